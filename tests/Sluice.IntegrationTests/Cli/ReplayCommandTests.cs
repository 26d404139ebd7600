using System.Text.RegularExpressions;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice replay</c> against a broker process a processor has run over: a correct range changes nothing; after a
/// rule is changed, the range's new outcomes are written once.</summary>
public sealed class ReplayCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Quick = TimeSpan.FromMinutes(3);
    private static readonly string[] Outputs =
        ["clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots", "clickstream.aggregated", "clickstream.sessions"];

    [Fact]
    public async Task a_correct_range_changes_nothing_and_a_range_replayed_after_a_rule_change_writes_its_new_outcomes_once()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-replay");
        var bootstrap = broker.BootstrapServers;
        await ProduceAsync(bootstrap, 12_000);
        await RunThenTerminateAsync(ProcessArgs(bootstrap, "replay-test", dir.File("checkpoints")), bootstrap, dir.File("checkpoints"), "replay-test", toEnd: true);
        var before = Ends();

        // The processor's outputs are right: replaying any range recomputes them identical and writes nothing.
        var byOffset = await Replay(["--from-offset", "700"], bootstrap);
        Assert.Contains("nothing written", byOffset, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"Aggregated\s*│[^│]*│\s*[1-9][\d,]*\s*│\s*[1-9][\d,]*\s*│\s*0\s*│\s*0\s*│\s*0\s*│"), byOffset);
        // The generated traffic starts at 2026-01-01T00:00Z and 12,000 events last under an hour: 00:15 is mid-stream.
        var byTime = await Replay(["--from-time", "2026-01-01T00:15:00Z"], bootstrap);
        Assert.Contains("nothing written", byTime, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"range of clickstream.events: [1-9][\d,]* records"), byTime);
        Assert.Matches(new Regex(@"warm-up [1-9][\d,]* records"), byTime);
        Assert.Equal(before, Ends());

        // Without the negative-price rule, those events are valid: the replay writes the new enriched events and the
        // changed windows, and a second replay finds them written.
        var shop = dir.File("shop.yaml");
        File.WriteAllLines(shop, File.ReadAllLines(Path.Combine(RepoRoot.Path, "config", "domains", "ecommerce.yaml"))
            .Where(l => !l.Contains("code: negative_price", StringComparison.Ordinal)));
        var dry = await Replay(["--from-offset", "0", "--dry-run", "--set", $"processor.domain={shop}"], bootstrap);
        Assert.Contains("nothing written (--dry-run)", dry, StringComparison.Ordinal);
        Assert.Equal(before, Ends());
        var changed = await Replay(["--from-offset", "0", "--set", $"processor.domain={shop}"], bootstrap);
        var written = long.Parse(Regex.Match(changed, @"([\d,]+) records written").Groups[1].Value.Replace(",", "", StringComparison.Ordinal),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(written > 0, changed);
        var after = Ends();
        Assert.Equal(written, after.Sum(kv => kv.Value) - before.Sum(kv => kv.Value));
        Assert.True(after["clickstream.enriched"] > before["clickstream.enriched"]);
        var again = await Replay(["--from-offset", "0", "--set", $"processor.domain={shop}"], bootstrap);
        Assert.Contains("nothing written", again, StringComparison.Ordinal);
        Assert.Equal(after, Ends());

        Dictionary<string, long> Ends() => Outputs.ToDictionary(t => t, t => EndOffsets(bootstrap, t).Values.Sum());
    }

    private async Task<string> Replay(string[] args, string bootstrap)
    {
        var r = await SluiceProcess.RunAsync(["replay", .. args, "--bootstrap-servers", bootstrap], Quick);
        output.WriteLine(r.StdOut + r.StdErr);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        return r.StdOut;
    }
}
