using System.Text;
using System.Text.Json;
using Sluice.Generate;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Clickstream.Users;
using Sluice.Streaming.Testing;
using Sluice.Verification;

namespace Sluice.UnitTests.Pipelines.Users;

/// <summary>The user dimension and the as-of join over generated histories, checked against a brute-force as-of join of the same changes.</summary>
public sealed class ProfileJoinTests
{
    private const int Partitions = 3;
    private static readonly Lazy<List<GeneratedRecord>> Traffic = new(() => Generate(20_000));

    [Fact]
    public void in_produced_order_every_event_ends_with_the_profile_of_its_time()
    {
        var run = Run(Traffic.Value);
        AssertMatchesBruteForce(run);
        Assert.True(run.Enriched.Count(e => e.Profile is not null) > 8_000, $"only {run.Enriched.Count(e => e.Profile is not null)} events joined");
    }

    [Fact]
    public void changes_read_after_the_events_they_apply_to_are_written_as_corrections()
    {
        // The consumer reads the events 3,000 records ahead of the changes: the join sees each change late, and corrects.
        var run = Run(Lagged(Traffic.Value, 3_000));
        Assert.True(run.Corrections.Count > 20, $"only {run.Corrections.Count} corrections");
        AssertMatchesBruteForce(run);
        // A correction names the version the event had and the one it should have, and they differ.
        Assert.All(run.Corrections, c => Assert.NotEqual(c.OldPosition, c.Profile?.Position));
    }

    [Fact]
    public void changes_read_before_every_event_need_no_correction()
    {
        var records = Traffic.Value;
        var run = Run([.. records.Where(r => r.Kind == RecordKind.Cdc), .. records.Where(r => r.Kind == RecordKind.Click)]);
        Assert.Empty(run.Corrections);
        AssertMatchesBruteForce(run);
    }

    [Fact]
    public void the_dimension_holds_one_row_per_version_with_contiguous_validity_and_one_current_row_per_live_user()
    {
        var records = Traffic.Value;
        var run = Run(records);
        var changes = Changes(records);
        var rows = run.Versions.GroupBy(v => (v.UserId, v.Position)).Select(g => g.Last()).ToList();
        Assert.Equal(changes.Count(c => c.Op != "d"), rows.Count);
        foreach (var user in rows.GroupBy(r => r.UserId))
        {
            var versions = user.OrderBy(v => v.Position).ToList();
            Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
            for (var i = 0; i + 1 < versions.Count; i++) Assert.Equal(versions[i + 1].ValidFrom, versions[i].ValidTo);
            var deleted = changes.Where(c => c.User == user.Key).MaxBy(c => c.Lsn)!.Op == "d";
            Assert.Equal(deleted ? 0 : 1, versions.Count(v => v.IsCurrent));
            if (deleted) Assert.NotNull(versions[^1].DeletedAt);
        }
        Assert.Contains(changes, c => c.Op == "d");
        Assert.Contains(changes, c => c.Op == "u");
    }

    [Fact]
    public void a_replayed_change_stream_changes_nothing()
    {
        var records = Traffic.Value;
        var changes = records.Where(r => r.Kind == RecordKind.Cdc).ToList();
        using var driver = Driver();
        foreach (var r in records) Pipe(driver, r);
        var versions = driver.Collector.Records(new ClickstreamOptions().UserVersionsTopic).Count;
        var corrections = driver.Collector.Records(new ClickstreamOptions().CorrectionsTopic).Count;
        foreach (var r in changes) Pipe(driver, r);
        Assert.Equal(versions, driver.Collector.Records(new ClickstreamOptions().UserVersionsTopic).Count);
        Assert.Equal(corrections, driver.Collector.Records(new ClickstreamOptions().CorrectionsTopic).Count);
        long replayed = 0;
        for (var p = 0; p < Partitions; p++) replayed += driver.Task(p).Metrics.Get(UserChangeProcessor.ReplayedCounter);
        Assert.Equal(changes.Count, replayed);
    }

    [Fact]
    public void a_restored_task_joins_and_corrects_as_the_original_would()
    {
        var records = Lagged(Traffic.Value, 3_000);
        var whole = Run(records);
        var cut = records.Count / 2;
        var t = new ClickstreamTopology();
        var first = new TopologyTestDriver(t, t.WatermarkStrategy, new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(records[0].StreamTime)));
        first.Assign(Enumerable.Range(0, Partitions).ToArray());
        foreach (var r in records.Take(cut)) Pipe(first, r);
        var snapshots = Enumerable.Range(0, Partitions).Select(p => first.Task(p).Snapshot()).ToList();
        var head = Collect(first);
        var clock = first.Clock.GetUtcNow();
        first.Dispose();

        var t2 = new ClickstreamTopology();
        using var second = new TopologyTestDriver(t2, t2.WatermarkStrategy, new ManualClock(clock));
        // Offsets do not matter to the join; the records carry on where they stopped.
        for (var p = 0; p < Partitions; p++) second.AssignFromSnapshot(p, snapshots[p], nextOffset: 1_000_000);
        foreach (var r in records.Skip(cut)) Pipe(second, r);
        second.EndOfInput();
        var tail = Collect(second);
        Assert.Equal(whole.Corrections.Count, head.Corrections.Count + tail.Corrections.Count);
        Assert.Equal(Final(whole), Final(new RunResult([.. head.Enriched, .. tail.Enriched], [.. head.Corrections, .. tail.Corrections], [])));
    }

    // The brute force: each event's profile is the user's change with the greatest (ts_ms, lsn) at or before the
    // event's time, none when that change is a delete; read from the change payloads by JsonDocument, not by the processor.
    private static void AssertMatchesBruteForce(RunResult run)
    {
        var byUser = Changes(Traffic.Value).GroupBy(c => c.User).ToDictionary(g => g.Key, g => g.OrderBy(c => c.Ts).ThenBy(c => c.Lsn).ToList());
        var final = Final(run);
        var checkedEvents = 0;
        foreach (var e in run.Enriched)
        {
            if (e.Event.UserId is not { } user) continue;
            var expected = byUser.TryGetValue(user, out var list) ? list.LastOrDefault(c => c.Ts <= e.Timestamp) : null;
            if (expected?.Op == "d") expected = null;
            var actual = final[e.Event.EventId.ToString()];
            Assert.True(expected?.Lsn == actual.Position, $"event {e.Event.EventId} of {user} at {e.Timestamp}: expected the change at lsn {expected?.Lsn}, got {actual.Position}");
            Assert.Equal(expected?.Segment, actual.Segment);
            Assert.Equal(expected?.Country, actual.Country);
            Assert.Equal(expected?.Signup, actual.Signup);
            // The generator writes the segment in effect into each click: the join agrees with it.
            if (expected is not null) Assert.Equal(e.Event.UserSegment, actual.Segment);
            checkedEvents++;
        }
        Assert.True(checkedEvents > 8_000, $"only {checkedEvents} events of logged-in users");
    }

    private sealed record Profile(long? Position, string? Segment, string? Country, DateOnly? Signup);

    // The enriched event's profile, replaced by the last correction of the event when there is one.
    private static Dictionary<string, Profile> Final(RunResult run)
    {
        var final = new Dictionary<string, Profile>();
        foreach (var e in run.Enriched)
            final[e.Event.EventId.ToString()] = new Profile(e.Profile?.Position, e.Profile?.Segment, e.Profile?.Country, e.Profile?.SignupDate);
        foreach (var c in run.Corrections)
            final[c.EventId.ToString()] = new Profile(c.Profile?.Position, c.Profile?.Segment, c.Profile?.Country, c.Profile?.SignupDate);
        return final;
    }

    private sealed record Change(string User, string Op, long Lsn, long Ts, string? Segment, string? Country, DateOnly? Signup);

    private static List<Change> Changes(IEnumerable<GeneratedRecord> records)
    {
        var list = new List<Change>();
        foreach (var r in records.Where(r => r.Kind == RecordKind.Cdc))
        {
            using var doc = JsonDocument.Parse(r.Payload);
            var root = doc.RootElement;
            var after = root.GetProperty("after");
            var row = after.ValueKind == JsonValueKind.Object ? after : root.GetProperty("before");
            DateOnly? signup = after.ValueKind == JsonValueKind.Object
                ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(after.GetProperty("created_at").GetInt64()).UtcDateTime) : null;
            list.Add(new Change(row.GetProperty("user_id").GetString()!, root.GetProperty("op").GetString()!,
                root.GetProperty("source").GetProperty("lsn").GetInt64(), root.GetProperty("source").GetProperty("ts_ms").GetInt64(),
                after.ValueKind == JsonValueKind.Object ? after.GetProperty("segment").GetString() : null,
                after.ValueKind == JsonValueKind.Object ? after.GetProperty("country").GetString() : null, signup));
        }
        return list;
    }

    private sealed record RunResult(List<EnrichedEvent> Enriched, List<ProfileCorrection> Corrections, List<UserVersion> Versions);

    private static RunResult Run(IReadOnlyList<GeneratedRecord> records)
    {
        using var driver = Driver(records[0].StreamTime);
        foreach (var r in records) Pipe(driver, r);
        driver.EndOfInput();
        return Collect(driver);
    }

    private static RunResult Collect(TopologyTestDriver driver)
    {
        var o = new ClickstreamOptions();
        return new RunResult([.. driver.Output<EnrichedEvent>(o.EnrichedTopic)], [.. driver.Output<ProfileCorrection>(o.CorrectionsTopic)],
            [.. driver.Output<UserVersion>(o.UserVersionsTopic)]);
    }

    private static TopologyTestDriver Driver(long? start = null)
    {
        var t = new ClickstreamTopology();
        var driver = new TopologyTestDriver(t, t.WatermarkStrategy,
            new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(start ?? Traffic.Value[0].StreamTime)));
        driver.Assign(Enumerable.Range(0, Partitions).ToArray());
        return driver;
    }

    // As the runtime would: processing time follows the stream, both topics partitioned by key with librdkafka's default partitioner.
    private static void Pipe(TopologyTestDriver driver, GeneratedRecord r)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(r.StreamTime + 1_500);
        if (at > driver.Clock.GetUtcNow()) driver.Clock.Set(at);
        var key = Encoding.UTF8.GetBytes(r.Key);
        var partition = KafkaPartitioner.ConsistentRandom(key, Partitions) ?? 0;
        var topic = r.Kind == RecordKind.Cdc ? new ClickstreamOptions().UserChangesTopic! : new ClickstreamOptions().InputTopic;
        driver.Pipe(topic, partition, r.Payload.ToArray(), key, r.EventTime);
    }

    // Each change moved `lag` records later: the events get ahead of the changes, as when a consumer fetches them first.
    private static List<GeneratedRecord> Lagged(List<GeneratedRecord> records, int lag)
    {
        var result = new List<GeneratedRecord>(records.Count);
        var waiting = new Queue<(int Due, GeneratedRecord Record)>();
        for (var i = 0; i < records.Count; i++)
        {
            while (waiting.TryPeek(out var w) && w.Due <= i) result.Add(waiting.Dequeue().Record);
            if (records[i].Kind == RecordKind.Cdc) waiting.Enqueue((i + lag, records[i]));
            else result.Add(records[i]);
        }
        while (waiting.Count > 0) result.Add(waiting.Dequeue().Record);
        return result;
    }

    private static List<GeneratedRecord> Generate(int events)
    {
        var settings = new GeneratorSettings
        {
            Seed = 7, Users = 600, Products = 200, ConcurrentSessions = 60, MaxEvents = events, Cdc = true, CdcRate = 0.02,
            Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        };
        var capture = new Streaming.Snapshots.ClickstreamRun.Capture();
        GeneratorRunner.Run(new ClickstreamGenerator(settings), capture);
        return capture.Records;
    }
}
