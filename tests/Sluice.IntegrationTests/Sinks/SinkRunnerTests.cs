using System.Diagnostics;
using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;
using Sluice.Sinks.Rows;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The runner over the embedded broker into PostgreSQL: what the topics hold lands once, through crashes and outages.</summary>
public sealed class SinkRunnerTests(SinkPipelineFixture f) : IClassFixture<SinkPipelineFixture>, IAsyncLifetime
{
    private TemporaryDatabase _db = null!;
    private readonly string _group = "sink-it-" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync() => _db = await PostgresTestServer.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task the_tables_hold_what_the_output_topics_hold()
    {
        using var sink = Open();
        using (var runner = Runner(sink, batchSize: 1_000)) await RunUntilStored(runner, sink);

        Assert.Equal(SinkTestData.ExpectedRows(f.Records, f.Topics), Counts());
        Assert.Equal(f.EndOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(_group).OrderBy(p => p.Key.ToString()));

        // A sample of events, field by field.
        foreach (var record in f.Records.Where(r => r.Topic == f.Topics.Enriched).Take(40))
        {
            var e = OutputRowParser.Event(record.Value);
            var row = Row($"SELECT event_type, user_id, session_id, revenue_cents, (extract(epoch FROM event_time) * 1000)::bigint, source_offset FROM events WHERE event_id = '{e.EventId}'");
            Assert.Equal([e.EventType, e.UserId, e.SessionId, e.RevenueCents, e.Timestamp, e.SourceOffset], row);
        }

        // Partial aggregates summed by the view equal the sums over the topic, window by window.
        var aggregates = f.Records.Where(r => r.Topic == f.Topics.Aggregated).Select(r => OutputRowParser.Aggregate(r.Value)).ToList();
        var expected = aggregates.Where(a => a.Metric is not ("conversion_rate_sessions" or "conversion_rate_carts"))
            .GroupBy(a => $"{a.Aggregate}|{a.WindowStart}|{a.Dimension}={a.DimensionValue}|{a.Metric}")
            .ToDictionary(g => g.Key, g => g.Sum(a => a.Value));
        var totals = Rows("SELECT aggregate, (extract(epoch FROM window_start) * 1000)::bigint, dimension, dimension_value, metric, value FROM window_totals")
            .ToDictionary(r => $"{r[0]}|{r[1]}|{r[2]}={r[3]}|{r[4]}", r => (double)r[5]!);
        Assert.True(expected.Count > 100, $"only {expected.Count} aggregate totals: the run should close many windows");
        foreach (var (key, value) in expected) Assert.True(totals.TryGetValue(key, out var actual) && Math.Abs(actual - value) < 1e-9, $"{key}: view {actual}, topic {value}");

        // Rates are recomputed from summed counts, not averaged over partitions.
        foreach (var w in aggregates.Where(a => a.Aggregate == "commerce_5m").Select(a => a.WindowStart).Distinct())
        {
            double Sum(string metric) => aggregates.Where(a => a.Aggregate == "commerce_5m" && a.WindowStart == w && a.Metric == metric).Sum(a => a.Value);
            var rate = Sum("sessions") > 0 ? Sum("converted_sessions") / Sum("sessions") : 0;
            Assert.Equal(rate, totals[$"commerce_5m|{w}|all=all|conversion_rate_sessions"], 9);
        }

        var sessions = f.Records.Where(r => r.Topic == f.Topics.Sessions).Select(r => OutputRowParser.Session(r.Value)).ToList();
        var funnel = Row("SELECT sum(sessions), sum(converted), max(conversion_rate) FROM funnel");
        Assert.Equal((decimal)sessions.Count, funnel[0]);
        Assert.Equal((decimal)sessions.Count(s => s.Converted), funnel[1]);
        Assert.InRange((double)funnel[2]!, 0, 1);
        Assert.Equal((decimal)f.Records.Count(r => r.Topic == f.Topics.DeadLetters), Row("SELECT sum(dead_letters) FROM dead_letters_by_reason")[0]);

        // Quality rows: quality_totals holds each window's counts summed over its partitions' rows on the topic.
        var quality = f.Records.Where(r => r.Topic == f.Topics.Quality).Select(r => OutputRowParser.Quality(r.Value)).ToList();
        Assert.NotEmpty(quality);
        var qualityTotals = Rows("SELECT (extract(epoch FROM window_start) * 1000)::bigint, partitions, records_in, invalid, duplicates, accepted FROM quality_totals")
            .ToDictionary(r => (long)r[0]!, r => string.Join(",", r.Skip(1)));
        var byWindow = quality.GroupBy(q => q.WindowStart).ToList();
        Assert.Equal(byWindow.Count, qualityTotals.Count);
        foreach (var w in byWindow)
            Assert.Equal($"{w.Count()},{w.Sum(q => q.RecordsIn)},{w.Sum(q => q.Invalid)},{w.Sum(q => q.Duplicates)},{w.Sum(q => q.Accepted)}", qualityTotals[w.Key]);
    }

    [Fact]
    public async Task a_runner_that_dies_after_storing_a_batch_restarts_from_the_stored_offsets()
    {
        using var sink = Open();
        // 1. The first runner stores three batches and dies before committing the third's offsets to Kafka.
        long storedByFirst;
        using (var first = Runner(sink, batchSize: 300, afterWrite: b => { if (b.Count > 0 && ++_batches == 3) throw new CrashException(); }))
        {
            await Assert.ThrowsAsync<CrashException>(() => Task.Run(() => first.Run(CancellationToken.None)));
            storedByFirst = first.Written;
        }
        Assert.Equal(900, storedByFirst);
        var stored = sink.ReadOffsets(_group);
        Assert.Equal(900, stored.Values.Sum()); // the output partitions start at offset 0

        // 2. A second runner in the same group starts where the rows end, not where Kafka's committed offsets say.
        using var second = Runner(sink, batchSize: 300);
        await RunUntilStored(second, sink);
        Assert.All(stored, p => Assert.Equal(p.Value, second.AssignedAt[p.Key]));
        Assert.Equal(f.Records.Count - storedByFirst, second.Written);

        // 3. Every row exactly once.
        Assert.Equal(SinkTestData.ExpectedRows(f.Records, f.Topics), Counts());
        Assert.Equal(f.EndOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(_group).OrderBy(p => p.Key.ToString()));
    }

    [Fact]
    public async Task a_topic_that_does_not_exist_yet_does_not_stop_the_runner_from_storing_the_others()
    {
        using var sink = Open();
        // As a sink subscribed to the quality topic before anything created it.
        var missing = f.Topics.Quality + ".missing-" + Guid.NewGuid().ToString("N")[..8];
        using (var runner = Runner(sink, batchSize: 1_000, topics: [.. f.Topics.All, missing]))
            await RunUntilStored(runner, sink);
        Assert.Equal(SinkTestData.ExpectedRows(f.Records, f.Topics), Counts());
    }

    private int _batches;

    private PostgresSink Open()
    {
        var sink = new PostgresSink(_db.ConnectionString, f.Topics);
        sink.Open();
        return sink;
    }

    private SinkRunner Runner(ISink sink, int batchSize, Action<SinkBatch>? afterWrite = null, IReadOnlyList<string>? topics = null) =>
        new(sink, f.Broker.Factory, new SinkRunnerOptions
        {
            GroupId = _group, Topics = topics ?? f.Topics.All, BatchSize = batchSize, BatchInterval = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1), BreakDuration = TimeSpan.FromSeconds(1),
            AfterWrite = afterWrite,
        });

    /// <summary>Runs until the stored offsets reach the end of every output partition, then stops the runner cleanly.</summary>
    internal static async Task RunUntilStored(SinkRunner runner, SinkPipelineFixture f, Func<IReadOnlyDictionary<SinkPartition, long>> stored, TimeSpan timeout)
    {
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => runner.Run(stop.Token));
        var watch = Stopwatch.StartNew();
        while (!run.IsCompleted && watch.Elapsed < timeout)
        {
            await Task.Delay(200);
            IReadOnlyDictionary<SinkPartition, long> now;
            try { now = stored(); }
            catch (Sluice.Core.Errors.SluiceException) { continue; } // the store is down: the runner is waiting for it too
            if (f.EndOffsets.All(p => now.GetValueOrDefault(p.Key) == p.Value)) break;
        }
        stop.Cancel();
        await run;
        Assert.True(watch.Elapsed < timeout, $"the runner stored {runner.Written:N0} of {f.Records.Count:N0} records within {timeout}");
    }

    // A sink is used by one thread at a time: the runner's is busy, so the offsets are watched through another.
    private async Task RunUntilStored(SinkRunner runner, PostgresSink sink)
    {
        _ = sink;
        using var watcher = new PostgresSink(_db.ConnectionString, f.Topics);
        await RunUntilStored(runner, f, () => watcher.ReadOffsets(_group), TimeSpan.FromSeconds(90));
    }

    private Dictionary<OutputKind, long> Counts() => new()
    {
        [OutputKind.Enriched] = (long)Row("SELECT count(*) FROM events")[0]!,
        [OutputKind.DeadLetters] = (long)Row("SELECT count(*) FROM dead_letters")[0]!,
        [OutputKind.Late] = (long)Row("SELECT count(*) FROM late_events")[0]!,
        [OutputKind.Bots] = (long)Row("SELECT count(*) FROM bot_events")[0]!,
        [OutputKind.Aggregated] = (long)Row("SELECT count(*) FROM window_aggregates")[0]!,
        [OutputKind.Sessions] = (long)Row("SELECT count(*) FROM sessions")[0]!,
        [OutputKind.Quality] = (long)Row("SELECT count(*) FROM quality")[0]!,
    };

    private object?[] Row(string sql) => Rows(sql).Single();

    private List<object?[]> Rows(string sql)
    {
        using var connection = new NpgsqlConnection(_db.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private sealed class CrashException() : Exception("injected: the process dies between storing a batch and committing to Kafka");
}
