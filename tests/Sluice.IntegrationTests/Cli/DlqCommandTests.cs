using System.Text;
using System.Text.RegularExpressions;
using Sluice.App.DeadLetters;
using Sluice.TestKit;
using Sluice.Verification;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice dlq list | show | replay</c> against a broker process that a processor has filled with dead letters.</summary>
public sealed class DlqCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Quick = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task letters_are_counted_by_reason_replayed_after_a_rule_is_fixed_marked_with_what_they_became_and_never_replayed_twice()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-dlq");
        var bootstrap = broker.BootstrapServers;
        await ProduceAsync(bootstrap, 6_000);
        await RunThenTerminateAsync(ProcessArgs(bootstrap, "dlq-test", dir.File("checkpoints")), bootstrap, dir.File("checkpoints"), "dlq-test", toEnd: true);
        var letters = ReadLetters(bootstrap);
        var byReason = letters.GroupBy(l => l.ReasonCode).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byReason.GetValueOrDefault("negative_price") > 5, string.Join(", ", byReason));

        // list: every reason with its count.
        var list = await Dlq(["list"], bootstrap);
        foreach (var (reason, count) in byReason)
            Assert.Matches(new Regex($@"{reason}\s*│\s*{count:N0}\s*│"), list);

        // A copy of the domain file without the negative-price rule: what were negative-price letters are judged again.
        var shop = dir.File("shop.yaml");
        File.WriteAllLines(shop, File.ReadAllLines(Path.Combine(RepoRoot.Path, "config", "domains", "ecommerce.yaml")).Where(l => !l.Contains("code: negative_price", StringComparison.Ordinal)));
        var before = EndOffsets(bootstrap).Values.Sum();
        var dry = await Dlq(["replay", "--reason", "negative_price", "--dry-run", "--set", $"processor.domain={shop}"], bootstrap);
        Assert.Contains("nothing was written", dry, StringComparison.Ordinal);
        Assert.Equal(before, EndOffsets(bootstrap).Values.Sum());

        var replay = await Dlq(["replay", "--reason", "negative_price", "--set", $"processor.domain={shop}"], bootstrap);
        var chosen = byReason["negative_price"];
        Assert.Contains($"{chosen:N0} payloads written back", replay, StringComparison.Ordinal);
        Assert.Equal(before + chosen, EndOffsets(bootstrap).Values.Sum());
        var marks = ReadMarks(bootstrap);
        Assert.Equal(chosen, marks.Count);
        Assert.Contains(marks.Values, m => m.Became == "valid");

        // Run twice, a replay writes nothing twice.
        var again = await Dlq(["replay", "--reason", "negative_price", "--set", $"processor.domain={shop}"], bootstrap);
        Assert.Contains("replayed already", again, StringComparison.Ordinal);
        Assert.Equal(before + chosen, EndOffsets(bootstrap).Values.Sum());

        // The processor, on the fixed file, does with each replayed record what its mark says: a letter again with the
        // marked reason, or none.
        await RunThenTerminateAsync([.. ProcessArgs(bootstrap, "dlq-test", dir.File("checkpoints")), "--set", $"processor.domain={shop}"],
            bootstrap, dir.File("checkpoints"), "dlq-test", toEnd: true);
        var after = ReadLetters(bootstrap).Where(l => marks.Values.Any(m => m.Partition == l.SourcePartition && m.Offset == l.SourceOffset))
            .ToDictionary(l => (l.SourcePartition, l.SourceOffset), l => l.ReasonCode);
        foreach (var mark in marks.Values)
        {
            if (mark.Became == "valid") Assert.False(after.ContainsKey((mark.Partition, mark.Offset)), $"{mark} became a dead letter");
            else Assert.Equal(mark.Became, after[(mark.Partition, mark.Offset)]);
        }

        var valid = marks.Values.First(m => m.Became == "valid");
        var show = await Dlq(["show", "--letter", valid.Letter], bootstrap);
        Assert.Contains($"{valid.Letter} ", show, StringComparison.Ordinal);
        Assert.Contains("→ valid", show, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_letter_id_that_is_not_partition_colon_offset_is_a_usage_error()
    {
        var r = await SluiceProcess.RunAsync(["dlq", "show", "--letter", "x", "--bootstrap-servers", "127.0.0.1:1"], Quick);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("PARTITION:OFFSET", r.StdErr, StringComparison.Ordinal);
    }

    private async Task<string> Dlq(string[] args, string bootstrap)
    {
        var r = await SluiceProcess.RunAsync(["dlq", .. args, "--bootstrap-servers", bootstrap], Quick);
        output.WriteLine(r.StdOut);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        return r.StdOut;
    }

    private static List<DeadLetter> ReadLetters(string bootstrap)
    {
        using var reader = new TopicReader(Factory(bootstrap), TimeSpan.FromSeconds(60));
        return [.. reader.Read(reader.Logs("clickstream.dlq")).SelectMany(p => p).Select(DeadLetter.Parse).OfType<DeadLetter>()];
    }

    private static Dictionary<string, ReplayMark> ReadMarks(string bootstrap)
    {
        using var reader = new TopicReader(Factory(bootstrap), TimeSpan.FromSeconds(60));
        return reader.Read(reader.Logs("clickstream.dlq.replays")).SelectMany(p => p)
            .Select(r => ReplayMark.Parse(r.Value)!).ToDictionary(m => m.Letter, StringComparer.Ordinal);
    }
}
