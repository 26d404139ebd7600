using System.Text.Json;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice produce</c> taking its generator settings from the configuration, options winning.</summary>
public sealed class ProduceConfigCliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task generator_keys_set_the_fault_rates_and_an_option_on_the_command_line_wins()
    {
        using var dir = new TempDirectory();
        var manifestPath = Path.Combine(dir.Path, "m.json");
        var r = await SluiceProcess.RunAsync(
        [
            "produce", "--output", "null", "--events", "20000", "--manifest", manifestPath,
            "--set", "generator.botRate=0", "--set", "generator.lateRate=0.05", "--set", "generator.duplicateRate=0.2",
            "--duplicate-rate", "0",
        ], Quick);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        var generator = doc.RootElement.GetProperty("generator");
        Assert.Equal(0, generator.GetProperty("bot_rate").GetDouble());
        Assert.Equal(0.05, generator.GetProperty("late_rate").GetDouble());
        Assert.Equal(0, generator.GetProperty("duplicate_rate").GetDouble());
        var faults = doc.RootElement.GetProperty("faults");
        Assert.Equal(0, faults.GetProperty("bot").GetInt64());
        Assert.Equal(0, faults.GetProperty("duplicate").GetInt64());
        // Late events are held back 4-10 minutes of event time; 20,000 events cover about 50 minutes.
        Assert.True(faults.GetProperty("late").GetInt64() > 300);
    }

    [Fact]
    public async Task a_negative_rate_in_the_configuration_is_a_one_line_error_naming_its_key()
    {
        var r = await SluiceProcess.RunAsync(["produce", "--output", "null", "--events", "10", "--set", "generator.lateRate=-0.1"], Quick);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("generator.lateRate", r.StdOut + r.StdErr);
        Assert.DoesNotContain("   at ", r.StdOut + r.StdErr);
    }
}
