using Sluice.TestKit;
using static Sluice.IntegrationTests.Cli.CliErrorTests;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice domain check</c>, and a processor run on an edited copy of the e-commerce domain file.</summary>
public sealed class DomainCliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);
    private static string EcommerceFile => Path.Combine(RepoRoot.Path, "config", "domains", "ecommerce.yaml");
    private static string IotFile => Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");

    [Fact]
    public async Task domain_check_prints_the_fields_the_rules_in_order_and_the_topology()
    {
        var r = await SluiceProcess.RunAsync(["domain", "check", EcommerceFile], Quick);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("fields of ecommerce (21)", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("rules, checked in this order (13)", r.StdOut, StringComparison.Ordinal);
        Assert.True(r.StdOut.IndexOf("timestamp_not_positive", StringComparison.Ordinal) < r.StdOut.IndexOf("invalid_country_code", StringComparison.Ordinal));
        Assert.Contains("the topology it builds", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("clickstream.sessions", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("journey: valid", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task domain_check_against_an_earlier_file_applies_the_registry_s_compatibility_rules()
    {
        using var dir = new TempDirectory("sluice-domain");
        string Edited(string name, string field)
        {
            var file = dir.File(name);
            File.WriteAllText(file, File.ReadAllText(IotFile).Replace("\nfields:\n", $"\nfields:\n  {field}\n", StringComparison.Ordinal));
            return file;
        }
        var required = Edited("required.yaml", "firmware: { type: string, required: true }");
        var optional = Edited("optional.yaml", "firmware: { type: string }");

        var refused = await SluiceProcess.RunAsync(["domain", "check", required, "--against", IotFile], Quick);
        var accepted = await SluiceProcess.RunAsync(["domain", "check", optional, "--against", IotFile, "--avro"], Quick);
        var forward = await SluiceProcess.RunAsync(["domain", "check", IotFile, "--against", required, "--compatibility", "FORWARD"], Quick);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not BACKWARD compatible", refused.StdOut, StringComparison.Ordinal);
        Assert.Contains("firmware", refused.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, accepted.ExitCode);
        Assert.Contains("evolution: BACKWARD compatible", accepted.StdOut, StringComparison.Ordinal);
        Assert.Contains("schema: sluice.domains.Iot, 9 fields, registered as subject iot.readings-value", accepted.StdOut, StringComparison.Ordinal);
        Assert.Contains("\"logicalType\": \"timestamp-millis\"", accepted.StdOut, StringComparison.Ordinal);
        // Readers of the file with the required field cannot read data written without it.
        Assert.Equal(1, forward.ExitCode);
        Assert.Contains("not FORWARD compatible", forward.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task the_schema_generated_from_a_domain_file_registers_and_a_later_file_is_checked_against_it()
    {
        using var dir = new TempDirectory("sluice-domain");
        var required = dir.File("required.yaml");
        File.WriteAllText(required, File.ReadAllText(IotFile).Replace("\nfields:\n", "\nfields:\n  firmware: { type: string, required: true }\n", StringComparison.Ordinal));
        // The embedded registry keeps its subjects in a state file: each command below opens the same one.
        string[] state = ["--set", $"schemaRegistry.stateFile={dir.File("registry.json")}"];

        var registered = await SluiceProcess.RunAsync(["schema", "register", "--subject", "iot.readings-value", "--domain", IotFile, .. state], Quick);
        var check = await SluiceProcess.RunAsync(["schema", "check", "--subject", "iot.readings-value", "--domain", required, .. state], Quick);
        var refused = await SluiceProcess.RunAsync(["schema", "register", "--subject", "iot.readings-value", "--domain", required, .. state], Quick);

        Assert.True(registered.ExitCode == 0, registered.StdOut + registered.StdErr);
        Assert.Contains("(generated)", registered.StdOut, StringComparison.Ordinal);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("firmware", check.StdOut, StringComparison.Ordinal);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused", refused.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_wrong_rule_is_one_line_naming_the_file_the_line_and_the_key()
    {
        using var dir = new TempDirectory("sluice-domain");
        var file = Path.Combine(dir.Path, "shop.yaml");
        var lines = File.ReadAllLines(EcommerceFile).ToList();
        var at = lines.FindIndex(l => l.Contains("code: negative_price", StringComparison.Ordinal));
        lines[at] = "  - { code: negative_price, field: price, min: 0 }";
        await File.WriteAllLinesAsync(file, lines);

        var r = await SluiceProcess.RunAsync(["domain", "check", file], Quick);

        AssertOneLineError(r, 1, "'rules[3].field'", "'price' is not a field", $"({file}, line {at + 1})");
    }

    [Fact]
    public async Task a_journey_that_does_not_sum_to_one_is_reported_by_domain_check()
    {
        using var dir = new TempDirectory("sluice-domain");
        var file = Path.Combine(dir.Path, "shop.yaml");
        var text = (await File.ReadAllTextAsync(EcommerceFile)).Replace("purchase:         { browse: 0.10, product_view: 0.10, exit: 0.80 }",
            "purchase:         { browse: 0.10, product_view: 0.10, exit: 0.70 }", StringComparison.Ordinal);
        await File.WriteAllTextAsync(file, text);

        var r = await SluiceProcess.RunAsync(["domain", "check", file], Quick);

        AssertOneLineError(r, 1, "'journey.transitions.purchase'", "sum to");
    }

    [Fact]
    public async Task domain_check_of_a_file_with_its_own_event_prints_its_own_topology_and_needs_no_journey()
    {
        var r = await SluiceProcess.RunAsync(["domain", "check", IotFile], Quick);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("fields of iot (8)", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("temperature_out_of_range", r.StdOut, StringComparison.Ordinal);
        foreach (var expected in new[] { "iot.readings", "iot.valid", "iot.late", "iot.aggregated", "device_stats_1m", "site_stats_15m", "device_sessions" })
            Assert.Contains(expected, r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("clickstream.", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("journey: none", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("valid (8 fields, 11 rules, 3 aggregates)", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_wrong_aggregate_is_one_line_naming_the_file_the_line_and_the_key()
    {
        using var dir = new TempDirectory("sluice-domain");
        var file = Path.Combine(dir.Path, "sensors.yaml");
        var lines = File.ReadAllLines(IotFile).ToList();
        var at = lines.FindIndex(l => l.Contains("{ name: value_max,  max: value }", StringComparison.Ordinal));
        lines[at] = "      - { name: value_max,  max: site_id }";
        await File.WriteAllLinesAsync(file, lines);

        var r = await SluiceProcess.RunAsync(["domain", "check", file], Quick);

        AssertOneLineError(r, 1, "'aggregates[1].measures[2].max'", "site_id is string", $"({file}, line {at + 1})");
    }
}
