using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;
using Sluice.TestKit;
using Xunit.Abstractions;
using KafkaTopicPartition = Confluent.Kafka.TopicPartition;

namespace Sluice.IntegrationTests.Cli;

/// <summary>What the tests of <c>sluice process</c> as real child processes share: producing, running, waiting for checkpoints, verifying.</summary>
internal static class ProcessorRuns
{
    // The machine is shared and the mock coordinator takes about the session timeout per rebalance: generous timeouts.
    public static readonly TimeSpan Long = TimeSpan.FromMinutes(3);
    public const string Topic = "clickstream.events";

    /// <summary><c>sluice produce</c> of <paramref name="events"/> records (seed 42 unless told), paced at <paramref name="rate"/> per second (0: unpaced).</summary>
    /// <remarks>A paced run gets twice its planned duration on top of <see cref="Long"/>: the machine is shared.</remarks>
    public static async Task ProduceAsync(string bootstrap, int events, int rate = 0, string? manifest = null, int? seed = null)
    {
        var planned = rate > 0 ? TimeSpan.FromSeconds(2.0 * events / rate) : TimeSpan.Zero;
        using var dir = new TempDirectory("sluice-produce");
        string[] seedArgs = seed is { } s ? ["--seed", N(s)] : [];
        var result = await SluiceProcess.RunAsync(
            ["produce", "--bootstrap-servers", bootstrap, "--events", N(events), "--rate", N(rate), "--manifest", manifest ?? dir.File("truth.json"), .. seedArgs], Long + planned);
        Assert.True(result.ExitCode == 0, result.StdErr);
    }

    /// <summary>A <c>sluice process</c> command line: one group, one checkpoint directory, checkpoints every 2 s, a 6 s session timeout.</summary>
    public static string[] ProcessArgs(string bootstrap, string group, string checkpoints, int members = 1, string guarantee = "at_least_once") =>
    [
        "process", "--bootstrap-servers", bootstrap, "--members", N(members),
        "--set", $"processor.groupId={group}",
        "--set", $"processor.guarantee={guarantee}",
        "--set", $"processor.checkpoint.directory={checkpoints}",
        "--set", "processor.checkpointInterval=00:00:02",
        "--set", "kafka.sessionTimeout=00:00:06",
    ];

    public static bool Has(string line, string text) => line.Contains(text, StringComparison.Ordinal);

    /// <summary>Runs the processor until it has written a checkpoint (with <paramref name="toEnd"/>, until its checkpoints reach the end of the input), then SIGTERM: it must exit 0. Returns its log lines.</summary>
    public static async Task<IReadOnlyList<string>> RunThenTerminateAsync(string[] args, string bootstrap, string directory, string group, bool toEnd)
    {
        using var run = SluiceChild.Start(args);
        await run.WaitForLineAsync(l => Has(l, "Checkpoint written"), Long, "a checkpoint");
        if (toEnd) await WaitForCheckpointsAtEndAsync(bootstrap, directory, group, run);
        await TerminateAsync(run);
        return run.Lines;
    }

    /// <summary>SIGTERM, then exit code 0 (it checkpointed, committed and left the group).</summary>
    public static async Task TerminateAsync(SluiceChild run)
    {
        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync(Long));
    }

    /// <summary>The latest checkpoint's offset of each input partition that has one.</summary>
    public static Dictionary<int, long> LatestOffsets(string directory, string group, int partitions)
    {
        var store = new DirectoryCheckpointStore(directory);
        var offsets = new Dictionary<int, long>();
        for (var p = 0; p < partitions; p++)
        {
            if (store.TryLoadLatest(new CheckpointKey(group, "clickstream", new TaskId(p))) is { } checkpoint)
                offsets[p] = checkpoint.OffsetOf(new Sluice.Streaming.Processing.TopicPartition(Topic, p)) ?? -1;
        }
        return offsets;
    }

    /// <summary>Each partition's log start and end offsets now.</summary>
    public static IReadOnlyList<PartitionLog> Logs(string bootstrap, string topic = Topic)
    {
        using var inspector = new TopicInspector(Factory(bootstrap), TimeSpan.FromSeconds(30));
        return inspector.Partitions([topic]);
    }

    public static Dictionary<int, long> EndOffsets(string bootstrap, string topic = Topic) => Logs(bootstrap, topic).ToDictionary(l => l.Partition, l => l.LogEnd);

    /// <summary>Waits until the latest checkpoint of every input partition is at its end; fails if every process in <paramref name="running"/> has exited.</summary>
    public static async Task WaitForCheckpointsAtEndAsync(string bootstrap, string directory, string group, params SluiceChild[] running)
    {
        var ends = EndOffsets(bootstrap);
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var latest = LatestOffsets(directory, group, ends.Count);
            if (ends.All(e => latest.TryGetValue(e.Key, out var o) && o == e.Value)) return;
            if (running.All(r => r.HasExited))
                throw new InvalidOperationException($"sluice process exited before checkpointing the whole input; stderr:\n{string.Join("\n---\n", running.Select(r => r.StdErr))}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"checkpoints did not reach the end of the input within {Long}: {string.Join(", ", latest)} of {string.Join(", ", ends)}");
            await Task.Delay(250);
        }
    }

    public static KafkaClientFactory Factory(string bootstrap) => new(new KafkaOptions { BootstrapServers = bootstrap }, bootstrap);

    /// <summary><c>sluice verify</c> of everything the broker holds; its table and a line per output go to the test output, its rows are returned.</summary>
    public static async Task<VerifyReport> VerifyAsync(string bootstrap, string? manifest, ITestOutputHelper output)
    {
        string[] manifestArgs = manifest is null ? [] : ["--manifest", manifest];
        var result = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--examples", "3", .. manifestArgs], TimeSpan.FromMinutes(5));
        output.WriteLine(result.StdOut);
        var report = new VerifyReport(result);
        foreach (var row in report.Rows) output.WriteLine(row.ToString());
        return report;
    }

    /// <summary>Asserts what every fault test ends with: verify exits 0 and no output has anything missing, extra, different or conflicting.</summary>
    public static void AssertEqual(VerifyReport verify)
    {
        Assert.True(verify.Result.ExitCode == 0, verify.Result.StdOut + verify.Result.StdErr);
        foreach (var row in verify.Rows)
        {
            Assert.True(row.Missing + row.Extra + row.Different + row.Conflicts == 0,
                $"{row.Topic}: {row.Missing} missing, {row.Extra} extra, {row.Different} different, {row.Conflicts} conflicting duplicates");
        }
        Assert.True(verify.Rows.Single(r => r.Topic == "clickstream.enriched").Actual > 0, "nothing was enriched");
    }

    /// <summary>A duration between two log lines' arrivals, for the test output.</summary>
    public static string Seconds(DateTime from, DateTime to) => $"{(to - from).TotalSeconds:0.0} s";

    public static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Every aggregate row's final value, session and enriched event id equal an uninterrupted run's; duplicates by stable id are counted, conflicting ones fail.</summary>
    public static void AssertSameOutputs(string referenceBootstrap, string actualBootstrap, ITestOutputHelper output)
    {
        var expectedAggregates = ReadFinal(referenceBootstrap, "clickstream.aggregated", AggregateId);
        var actualAggregates = ReadFinal(actualBootstrap, "clickstream.aggregated", AggregateId);
        var expectedSessions = ReadFinal(referenceBootstrap, "clickstream.sessions", SessionId);
        var actualSessions = ReadFinal(actualBootstrap, "clickstream.sessions", SessionId);
        var expectedEnriched = ReadFinal(referenceBootstrap, "clickstream.enriched", EventId);
        var actualEnriched = ReadFinal(actualBootstrap, "clickstream.enriched", EventId);
        output.WriteLine($"aggregate rows: {expectedAggregates.Final.Count} expected, {actualAggregates.Final.Count} after the faults ({actualAggregates.Duplicates} duplicates)");
        output.WriteLine($"sessions: {expectedSessions.Final.Count} expected, {actualSessions.Final.Count} after the faults ({actualSessions.Duplicates} duplicates)");
        output.WriteLine($"enriched events: {expectedEnriched.Final.Count} expected, {actualEnriched.Final.Count} after the faults ({actualEnriched.Duplicates} duplicates)");
        Assert.Equal(0, expectedAggregates.Duplicates);
        Assert.NotEmpty(expectedAggregates.Final);
        Assert.NotEmpty(expectedSessions.Final);
        AssertSameResults(expectedAggregates.Final, actualAggregates.Final, "aggregate");
        AssertSameResults(expectedSessions.Final, actualSessions.Final, "session");
        Assert.Equal(expectedEnriched.Final.Keys.Order(), actualEnriched.Final.Keys.Order());
        Assert.Equal(0, actualAggregates.Conflicts + actualSessions.Conflicts);
    }

    private static void AssertSameResults(Dictionary<string, string> expected, Dictionary<string, string> actual, string what)
    {
        var missing = expected.Keys.Except(actual.Keys).Take(5).ToList();
        Assert.True(missing.Count == 0, $"{what} results missing after the faults: {string.Join("; ", missing)}");
        var extra = actual.Keys.Except(expected.Keys).Take(5).ToList();
        Assert.True(extra.Count == 0, $"{what} results not in the uninterrupted run: {string.Join("; ", extra)}");
        var different = expected.Where(kv => actual[kv.Key] != kv.Value).Take(5).Select(kv => $"{kv.Key}: {kv.Value} vs {actual[kv.Key]}").ToList();
        Assert.True(different.Count == 0, $"{what} results that differ: {string.Join("; ", different)}");
    }

    private sealed record Results(Dictionary<string, string> Final, long Duplicates, long Conflicts);

    private static string AggregateId(ConsumeResult<string, byte[]> r)
    {
        using var json = JsonDocument.Parse(r.Message.Value);
        var e = json.RootElement;
        return $"{e.GetProperty("aggregate").GetString()}|{e.GetProperty("window_start").GetInt64()}|{e.GetProperty("partition").GetInt32()}|" +
               $"{e.GetProperty("dimension").GetString()}={e.GetProperty("dimension_value").GetString()}|{e.GetProperty("metric").GetString()}";
    }

    private static string SessionId(ConsumeResult<string, byte[]> r) => r.Message.Key;

    private static string EventId(ConsumeResult<string, byte[]> r)
    {
        using var json = JsonDocument.Parse(r.Message.Value);
        return json.RootElement.GetProperty("event_id").GetString()!;
    }

    // Everything the topic holds, from its start: by stable id, the last value, how many ids came again, and how many
    // came again with another value (a replay must re-emit identical records).
    private static Results ReadFinal(string bootstrap, string topic, Func<ConsumeResult<string, byte[]>, string> id)
    {
        using var consumer = Factory(bootstrap).CreateConsumer($"reader-{Guid.NewGuid():N}");
        var remaining = new Dictionary<int, long>();
        foreach (var log in Logs(bootstrap, topic))
        {
            // The embedded broker keeps 5 MiB per partition: a log that does not start at 0 has lost records.
            Assert.True(log.LogStart == 0, $"{topic}[{log.Partition}] starts at {log.LogStart}: the broker deleted records; make the input smaller");
            if (log.LogEnd > 0) remaining[log.Partition] = log.LogEnd;
        }
        consumer.Assign(remaining.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var final = new Dictionary<string, string>(StringComparer.Ordinal);
        long duplicates = 0, conflicts = 0;
        var deadline = DateTime.UtcNow + Long;
        while (remaining.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"reading {topic} did not reach its end");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            // A transaction's commit marker takes the last offset and is never delivered: the position says it was read.
            foreach (var p in remaining.Keys.ToList())
                if (consumer.Position(new Confluent.Kafka.TopicPartition(topic, p)) is { Value: >= 0 } position && position.Value >= remaining[p]) remaining.Remove(p);
            if (r?.Message is null) continue;
            var key = id(r);
            var value = Encoding.UTF8.GetString(r.Message.Value);
            if (final.TryGetValue(key, out var earlier))
            {
                duplicates++;
                if (earlier != value) conflicts++;
            }
            final[key] = value;
            if (remaining.TryGetValue(r.Partition.Value, out var end) && r.Offset.Value + 1 >= end) remaining.Remove(r.Partition.Value);
        }
        return new Results(final, duplicates, conflicts);
    }
}

/// <summary>One row of <c>sluice verify</c>'s table.</summary>
internal sealed record VerifyRow(string Topic, long Expected, long Pending, long Actual, long Missing, long Extra, long Different, long Duplicates, long Conflicts)
{
    public override string ToString() =>
        $"{Topic}: {Actual:N0} records ({Expected:N0} expected, {Pending:N0} pending), {Missing} missing, {Extra} extra, {Different} different, " +
        $"{Duplicates:N0} identical duplicates, {Conflicts} conflicting";
}

/// <summary>What <c>sluice verify</c> printed, its table parsed.</summary>
internal sealed class VerifyReport(ProcessResult result)
{
    public ProcessResult Result { get; } = result;

    public IReadOnlyList<VerifyRow> Rows { get; } = Parse(result.StdOut);

    public long Duplicates => Rows.Sum(r => r.Duplicates);

    private static List<VerifyRow> Parse(string table) =>
        [.. table.Split('\n')
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(c => c.Length == 10 && (c[0].StartsWith("clickstream.", StringComparison.Ordinal) || c[0].StartsWith("profiles:", StringComparison.Ordinal)))
            .Select(c => new VerifyRow(c[0], L(c[1]), L(c[2]), L(c[3]), L(c[4]), L(c[5]), L(c[6]), L(c[7]), L(c[8])))];

    private static long L(string cell) => long.Parse(cell, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
}

/// <summary>Two standalone brokers, each with a checkpoint directory: one for an uninterrupted run, one for a run with faults.</summary>
internal sealed class ReferenceAndFaulted : IDisposable
{
    public required BrokerProcess Reference { get; init; }
    public required BrokerProcess Faulted { get; init; }
    public TempDirectory ReferenceDir { get; } = new("sluice-ckpt-ref");
    public TempDirectory FaultedDir { get; } = new("sluice-ckpt-faulted");

    public static async Task<ReferenceAndFaulted> StartAsync(int? partitions = null)
    {
        var brokers = await Task.WhenAll(BrokerProcess.StartAsync(partitions: partitions), BrokerProcess.StartAsync(partitions: partitions));
        return new ReferenceAndFaulted { Reference = brokers[0], Faulted = brokers[1] };
    }

    public void Dispose()
    {
        Reference.Dispose();
        Faulted.Dispose();
        ReferenceDir.Dispose();
        FaultedDir.Dispose();
    }
}
