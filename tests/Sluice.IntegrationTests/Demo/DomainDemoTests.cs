using Sluice.TestKit;

namespace Sluice.IntegrationTests.Demo;

/// <summary><c>sluice demo --domain</c> as a process: the IoT file's simulation through its own topology, checked against its ground truth.</summary>
public sealed class DomainDemoTests
{
    [Theory]
    [InlineData("avro", "readings travelled as Avro in the Confluent wire format: schema id 1 (iot.readings-value, generated from the domain file)")]
    [InlineData("json", "readings travelled as JSON")]
    public async Task the_iot_demo_of_twenty_thousand_readings_matches_its_ground_truth_row_for_row(string format, string travelled)
    {
        var iot = Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");
        using var dir = new TempDirectory("sluice-demo-iot");
        var r = await SluiceProcess.RunAsync(["demo", "--domain", iot, "--events", "20000", "--format", format], TimeSpan.FromMinutes(4), workingDirectory: dir.Path);

        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("every output matches the ground truth", r.StdOut, StringComparison.Ordinal);
        // One row per count and per aggregate, each equal.
        foreach (var row in new[] { "readings produced", "valid (on time, first seen)", "dead letters: temperature_out_of_range", "duplicates dropped", "late",
                     "device_stats_1m rows", "site_stats_15m rows", "device_sessions rows" })
            Assert.Contains(row, r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("│ no", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("20,000", r.StdOut, StringComparison.Ordinal);
        Assert.Contains(travelled, r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_domain_demo_of_a_file_without_a_simulation_is_one_line_naming_the_key()
    {
        using var dir = new TempDirectory("sluice-demo-nosim");
        var text = File.ReadAllText(Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml"));
        var file = dir.File("plain.yaml");
        File.WriteAllText(file, text[..text.IndexOf("\n# Simulation", StringComparison.Ordinal)]);
        var r = await SluiceProcess.RunAsync(["demo", "--domain", file, "--events", "100"], TimeSpan.FromMinutes(1), workingDirectory: dir.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("configuration key 'simulation'", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("readings from seed", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task an_option_only_the_clickstream_demo_has_is_refused_with_domain()
    {
        var iot = Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");
        var r = await SluiceProcess.RunAsync(["demo", "--domain", iot, "--rate", "100"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--rate does not apply to --domain", r.StdErr, StringComparison.Ordinal);
    }
}
