using System.Diagnostics;
using Confluent.Kafka;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Sinks;
using Sluice.TestKit;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>
/// <c>sluice sink --to postgres</c> as a real child process under faults: kill -9 mid-run, PostgreSQL stopped for a
/// minute, a table altered by hand. Each ends with every row there once and the stored offsets at the topics' ends.
/// </summary>
public sealed class SinkProcessFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(3);
    private static readonly Dictionary<OutputKind, string> Tables = new()
    {
        [OutputKind.Enriched] = "events", [OutputKind.DeadLetters] = "dead_letters", [OutputKind.Late] = "late_events",
        [OutputKind.Bots] = "bot_events", [OutputKind.Aggregated] = "window_aggregates", [OutputKind.Sessions] = "sessions",
    };

    [Fact]
    public async Task a_sink_killed_9_times_mid_run_lands_every_row_once()
    {
        // 1. The six output topics hold the outputs of 20,000 generated events; a database of its own.
        using var broker = StartBroker();
        var records = SinkTestData.Outputs(20_000, seed: 23);
        Produce(broker, records);
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        var total = records.Count;

        // 2. Three times: the sink runs in small batches until it has stored more than before, then after a random pause
        //    (up to 300 ms, so the kill falls inside a batch's write as often as between two) kill -9; a fresh one starts.
        var random = new Random(29);
        long before = 0;
        var midRun = 0;
        for (var kill = 1; kill <= 3; kill++)
        {
            using var sink = StartSink(broker, db.ConnectionString);
            await WaitForStoredAsync(db.ConnectionString, sink, s => s > before);
            await Task.Delay(random.Next(0, 300));
            sink.KillHard();
            Assert.Equal(137, await sink.WaitForExitAsync(Long));
            var at = before = StoredOffsets(db.ConnectionString);
            if (at < total) midRun++;
            output.WriteLine($"kill {kill}: {at:N0} of {total:N0} records' offsets stored");
        }
        Assert.True(midRun > 0, "every kill came after the sink had stored everything: nothing was tested");

        // 3. A last run stores the rest; SIGTERM: exit 0.
        using (var last = StartSink(broker, db.ConnectionString))
        {
            await WaitForStoredAsync(db.ConnectionString, last, s => s == total);
            last.Terminate();
            Assert.Equal(0, await last.WaitForExitAsync(Long));
        }

        // 4. Every row once: each table holds exactly the distinct stable ids of its output, and the stored offsets are the topics' ends.
        AssertEveryRowOnce(db.ConnectionString, records);
    }

    /// <remarks>
    /// The sink retries a failed batch after a delay that doubles up to <c>sinks.maxRetryDelay</c> (5 s by default), and
    /// its circuit breaks for no longer than that, so after a minute's outage it writes again at most that long after the
    /// database returns, plus the write itself. This test sets 2 s, which leaves the 5 s bound 3 s for a loaded machine.
    /// </remarks>
    [Fact]
    public async Task postgres_stopped_for_a_minute_the_sink_waits_and_with_a_2_s_retry_cap_resumes_within_5_s_of_its_return_losing_nothing()
    {
        // 1. A PostgreSQL server of this test's own (stopping the shared one would fail the tests beside it), the topics,
        //    and the first half of the outputs of 20,000 events stored by a running sink.
        using var server = PrivatePostgresServer.Start();
        using var broker = StartBroker();
        var records = SinkTestData.Outputs(20_000, seed: 31);
        var firstHalf = records.Where((_, i) => i % 2 == 0).ToList();
        var secondHalf = records.Where((_, i) => i % 2 == 1).ToList();
        Produce(broker, firstHalf);
        using var sink = StartSink(broker, server.ConnectionString, "--set", "sinks.maxRetryDelay=00:00:02");
        await WaitForStoredAsync(server.ConnectionString, sink, s => s == firstHalf.Count);

        // 2. PostgreSQL stops for 60 s; the second half arrives on the topics meanwhile. The sink keeps running.
        server.Stop();
        var clock = Stopwatch.StartNew();
        Produce(broker, secondHalf);
        var retriesBefore = sink.Lines.Count(l => l.Contains("failed", StringComparison.Ordinal));
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(sink.HasExited, $"sluice sink exited while PostgreSQL was down:\n{sink.StdErr}");
            await Task.Delay(500);
        }

        // 3. PostgreSQL comes back (pg_ctl start -w: accepting connections); the sink writes again within 5 s.
        var down = clock.Elapsed;
        Assert.True(sink.Lines.Count(l => l.Contains("failed", StringComparison.Ordinal)) > retriesBefore, "the sink never tried to write while PostgreSQL was down");
        server.Restart();
        var back = Stopwatch.StartNew();
        await WaitForStoredAsync(server.ConnectionString, sink, s => s > firstHalf.Count, pollMs: 100);
        var resumed = back.Elapsed;
        output.WriteLine($"down {down.TotalSeconds:0.0} s; first batch stored {resumed.TotalSeconds:0.0} s after PostgreSQL was back");
        output.WriteLine(string.Join('\n', sink.Lines.Where(l => l.Contains("warn", StringComparison.Ordinal) || l.Contains("postgres", StringComparison.OrdinalIgnoreCase)).Take(8)));
        await WaitForStoredAsync(server.ConnectionString, sink, s => s == records.Count);
        sink.Terminate();
        Assert.Equal(0, await sink.WaitForExitAsync(Long));

        // 4. Nothing lost, nothing twice; and it was back within 5 s.
        AssertEveryRowOnce(server.ConnectionString, records);
        Assert.True(resumed <= TimeSpan.FromSeconds(5), $"the sink stored nothing until {resumed.TotalSeconds:0.0} s after PostgreSQL was back");
    }

    [Fact]
    public async Task a_column_dropped_by_hand_stops_the_sink_naming_the_table_and_loses_nothing()
    {
        // 1. The first half of the outputs stored; the sink stopped; someone drops a column of events.
        using var broker = StartBroker();
        var records = SinkTestData.Outputs(10_000, seed: 37);
        var firstHalf = records.Where((_, i) => i % 2 == 0).ToList();
        Produce(broker, firstHalf);
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        using (var sink = StartSink(broker, db.ConnectionString))
        {
            await WaitForStoredAsync(db.ConnectionString, sink, s => s == firstHalf.Count);
            sink.Terminate();
            Assert.Equal(0, await sink.WaitForExitAsync(Long));
        }
        // The view over events goes first: PostgreSQL refuses to drop a column a view reads.
        Execute(db.ConnectionString, "DROP VIEW events_with_profile; ALTER TABLE events DROP COLUMN geo_country");

        // 2. The second half arrives; the sink started again stops with a clear error naming the table, exit code not 0,
        //    and the enriched topic's stored offsets stay where they were: no batch holding events was half written or
        //    skipped (batches of the other outputs alone may land meanwhile, rightly).
        Produce(broker, records.Where((_, i) => i % 2 == 1));
        var enriched = SinkTopics.Default.Enriched;
        var stored = StoredOffsets(db.ConnectionString, enriched);
        using (var sink = StartSink(broker, db.ConnectionString))
        {
            var code = await sink.WaitForExitAsync(Long);
            output.WriteLine($"exit {code}:\n{sink.StdErr}");
            Assert.NotEqual(0, code);
            var error = Assert.Single(sink.Lines, l => l.StartsWith("sluice:", StringComparison.Ordinal));
            Assert.Contains("events", error, StringComparison.Ordinal);
            Assert.Contains("geo_country", error, StringComparison.Ordinal);
        }
        Assert.Equal(stored, StoredOffsets(db.ConnectionString, enriched));
        Assert.Equal(firstHalf.Count(r => r.Topic == enriched), stored);

        // 3. The column put back, the sink lands the rest: every row once.
        Execute(db.ConnectionString, "ALTER TABLE events ADD COLUMN geo_country text");
        using (var sink = StartSink(broker, db.ConnectionString))
        {
            await WaitForStoredAsync(db.ConnectionString, sink, s => s == records.Count);
            sink.Terminate();
            Assert.Equal(0, await sink.WaitForExitAsync(Long));
        }
        AssertEveryRowOnce(db.ConnectionString, records);
    }

    private static EmbeddedBroker StartBroker() =>
        EmbeddedBroker.Start(1, SinkTopics.Default.All.Select(t => new TopicSpec(t, SinkTestData.Partitions)));

    // Records keep the offsets SinkTestData gave them only when produced in order into empty partitions; the sink's
    // stored offsets are compared with counts, which hold either way.
    private static void Produce(EmbeddedBroker broker, IEnumerable<SinkRecord> records)
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(factory.ProducerConfig("sink-faults")).Build();
        foreach (var r in records)
            producer.Produce(new TopicPartition(r.Topic, r.Partition), new Message<byte[]?, byte[]?> { Key = r.Key, Value = r.Value });
        producer.Flush(Long);
    }

    // Batches of 1,000 (against 10,000 by default), so a run takes dozens of transactions and a kill lands inside one often.
    private static SluiceChild StartSink(EmbeddedBroker broker, string connectionString, params string[] extra) =>
        SluiceChild.Start(["sink", "--to", "postgres", "--bootstrap-servers", broker.BootstrapServers, "--set", "sinks.batchSize=1000", .. extra],
            new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = connectionString });

    /// <summary>The records the sink has stored: the sum of its stored next offsets (every partition starts at 0).</summary>
    private static long StoredOffsets(string connectionString, string? topic = null)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var cmd = new NpgsqlCommand("SELECT coalesce(sum(next_offset), 0)::bigint FROM sink_offsets WHERE @t::text IS NULL OR topic = @t", connection);
            cmd.Parameters.Add(new NpgsqlParameter("t", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)topic ?? DBNull.Value });
            return (long)cmd.ExecuteScalar()!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return 0;
        }
        catch (NpgsqlException)
        {
            return -1; // the server is not answering (yet)
        }
    }

    private static async Task<long> WaitForStoredAsync(string connectionString, SluiceChild sink, Func<long, bool> done, int pollMs = 250)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var stored = StoredOffsets(connectionString);
            if (stored >= 0 && done(stored)) return stored;
            if (sink.HasExited) throw new InvalidOperationException($"sluice sink exited ({stored:N0} stored); stderr:\n{sink.StdErr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"sluice sink stored {stored:N0} records' offsets in {Long}; stderr:\n{sink.StdErr}");
            await Task.Delay(pollMs);
        }
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    private static void AssertEveryRowOnce(string connectionString, List<SinkRecord> records)
    {
        var expected = SinkTestData.ExpectedRows(records);
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        foreach (var (kind, table) in Tables)
        {
            using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            Assert.True(expected[kind] == (long)count.ExecuteScalar()!, $"{table}: {count.ExecuteScalar()} rows, {expected[kind]} distinct ids expected");
        }
        foreach (var topic in records.GroupBy(r => (r.Topic, r.Partition)))
        {
            using var offset = new NpgsqlCommand("SELECT next_offset FROM sink_offsets WHERE topic = @t AND partition = @p", connection);
            offset.Parameters.AddWithValue("t", topic.Key.Topic);
            offset.Parameters.AddWithValue("p", topic.Key.Partition);
            Assert.Equal((long)topic.Count(), (long)offset.ExecuteScalar()!);
        }
    }
}
