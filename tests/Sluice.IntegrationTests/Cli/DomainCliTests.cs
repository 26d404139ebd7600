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
