using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>
/// The warehouse end to end, as README's "Running the parts separately": a broker process, <c>sluice produce</c>, a
/// processor, <c>sluice sink --to duckdb,postgres,clickhouse</c> (three sinks, three groups, one process), then <c>sluice sql</c> and
/// <c>sluice verify --store</c> against the files and tables it left.
/// </summary>
public sealed class DuckDbPipelineTests
{
    private const int Events = 20_000;
    // The machine is shared and loaded: every step gets minutes, not seconds.
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task produce_process_sink_then_sql_and_verify_see_every_output_once()
    {
        using var dir = new TempDirectory();
        var warehouse = dir.File("warehouse/sluice.duckdb");
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        using var clickhouse = ClickHouseTestServer.CreateDatabase();
        var env = new Dictionary<string, string>
        {
            ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString,
            ["SLUICE__SINKS__CLICKHOUSE__URL"] = ClickHouseTestServer.Url,
            ["SLUICE__SINKS__CLICKHOUSE__DATABASE"] = clickhouse.Name,
        };
        using var broker = SluiceProcess.Start(["broker", "--bootstrap-file", dir.File("bootstrap")]);
        Process? sink = null;
        try
        {
            // 1. Traffic with its manifest, and a processor that handles all of it, as a service does (no end of input).
            var bootstrap = (await broker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)))!;
            var manifest = dir.File("manifest.json");
            var produce = await SluiceProcess.RunAsync(
                ["produce", "--bootstrap-servers", bootstrap, "--events", Events.ToString(CultureInfo.InvariantCulture), "--manifest", manifest], Step);
            Assert.True(produce.ExitCode == 0, produce.StdErr);
            var factory = new KafkaClientFactory(new KafkaOptions(), bootstrap);
            var processor = new ClickstreamProcessor(factory, new ClickstreamOptions(), $"duckdb-it-{Guid.NewGuid():N}", "duckdb-it", NullLoggerFactory.Instance);
            using (var stop = new CancellationTokenSource())
            {
                var run = processor.RunAsync(stop.Token);
                var clock = Stopwatch.StartNew();
                while (processor.Processed < Events && clock.Elapsed < Step && !run.IsCompleted) await Task.Delay(250);
                await stop.CancelAsync();
                await run.WaitAsync(Step);
                Assert.Equal(Events, processor.Processed);
            }

            // 2. The three sinks in one process, each in its own group, until each group has stored every output record.
            var ends = EndOffsets(factory);
            Assert.True(ends.Values.Sum() > Events, $"the outputs hold only {ends.Values.Sum():N0} records");
            var sinkArgs = new[] { "sink", "--to", "duckdb,postgres,clickhouse", "--bootstrap-servers", bootstrap, "--warehouse", warehouse, "--set", "kafka.sessionTimeout=00:00:06" };
            sink = SluiceProcess.Start(sinkArgs, env);
            var sinkErr = sink.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            while (!(Stored(factory, "sluice-sink-duckdb", ends) && Stored(factory, "sluice-sink-postgres", ends) && Stored(factory, "sluice-sink-clickhouse", ends)))
            {
                if (sink.HasExited) Assert.Fail($"sluice sink exited early: {await sinkErr}");
                if (watch.Elapsed > Step)
                {
                    sink.Kill(entireProcessTree: true);
                    Assert.Fail($"the sinks did not store every output record within {Step}: {await sinkErr}");
                }
                await Task.Delay(500);
            }

            // 3. While it runs the file is the sink's: a second writer and a query from another process are refused, naming the file.
            var second = await SluiceProcess.RunAsync(["sink", "--to", "duckdb", "--bootstrap-servers", bootstrap, "--warehouse", warehouse], Step);
            Assert.Equal(1, second.ExitCode);
            Assert.Contains($"the DuckDB file {warehouse} is open in another process", second.StdErr);
            Assert.Contains($"(PID {sink.Id})", second.StdErr);
            var busy = await SluiceProcess.RunAsync(["sql", "SELECT count(*) FROM events", "--warehouse", warehouse], Step);
            Assert.Equal(1, busy.ExitCode);
            Assert.Single(busy.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("is open in another process", busy.StdErr);

            // 4. SIGTERM: a clean stop that releases the file.
            using (var kill = Process.Start("kill", ["-TERM", sink.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await sink.WaitForExitAsync().WaitAsync(Step);
            Assert.True(sink.ExitCode == 0, $"exit {sink.ExitCode}: {await sinkErr}");
            Assert.Contains("duckdb: stopped after writing", await sinkErr);
            Assert.Contains("postgres: stopped after writing", await sinkErr);
            Assert.Contains("clickhouse: stopped after writing", await sinkErr);

            // 5. sql sees one row per stable id, equal to PostgreSQL's count, and reads the views.
            var outputs = ReadOutputs(factory);
            var expected = SinkTestData.ExpectedRows(outputs);
            var csv = await SluiceProcess.RunAsync(["sql", "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM sessions) AS sessions, " +
                "(SELECT sum(dead_letters) FROM dead_letters_by_reason) AS dead_letters", "--warehouse", warehouse, "--format", "csv"], Step);
            Assert.True(csv.ExitCode == 0, csv.StdErr);
            Assert.Equal($"events,sessions,dead_letters\n{expected[OutputKind.Enriched]},{expected[OutputKind.Sessions]},{expected[OutputKind.DeadLetters]}\n",
                csv.StdOut.ReplaceLineEndings("\n"));
            await using (var pg = new NpgsqlConnection(db.ConnectionString))
            {
                await pg.OpenAsync();
                await using var count = new NpgsqlCommand("SELECT count(*) FROM events", pg);
                Assert.Equal(expected[OutputKind.Enriched], (long)(await count.ExecuteScalarAsync())!);
            }
            var json = await SluiceProcess.RunAsync(["sql", "SELECT category, purchases FROM category_performance ORDER BY category LIMIT 3", "--warehouse", warehouse, "--format", "json"], Step);
            Assert.True(json.ExitCode == 0, json.StdErr);
            Assert.Equal(3, System.Text.Json.JsonDocument.Parse(json.StdOut).RootElement.GetArrayLength());

            // 6. verify: the topics, the warehouse, PostgreSQL and ClickHouse all equal the batch recomputation.
            var verify = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--manifest", manifest, "--store", "duckdb", "--store", "postgres",
                "--store", "clickhouse", "--warehouse", warehouse], Step, env);
            Assert.True(verify.ExitCode == 0, verify.StdOut + verify.StdErr);
            Assert.Contains("verify: every output equals its recomputation", verify.StdOut);
            Assert.Contains("verify: every table of duckdb equals its recomputation", verify.StdOut);
            Assert.Contains("verify: every table of postgres equals its recomputation", verify.StdOut);
            Assert.Contains("verify: every table of clickhouse equals its recomputation", verify.StdOut);

            // 7. A row changed and a row deleted by hand in the warehouse: verify names both, and PostgreSQL stays equal.
            string eventId, sessionKey;
            using (var connection = new DuckDBConnection($"Data Source={warehouse}"))
            {
                connection.Open();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = "SELECT event_id::VARCHAR FROM events ORDER BY event_id LIMIT 1";
                eventId = (string)cmd.ExecuteScalar()!;
                cmd.CommandText = $"UPDATE events SET geo_country = 'ZZ' WHERE event_id = '{eventId}'";
                Assert.Equal(1, cmd.ExecuteNonQuery());
                cmd.CommandText = "SELECT session_key || '|' || epoch_ms(session_start) FROM sessions ORDER BY 1 LIMIT 1";
                sessionKey = (string)cmd.ExecuteScalar()!;
                cmd.CommandText = $"DELETE FROM sessions WHERE session_key || '|' || epoch_ms(session_start) = '{sessionKey}'";
                Assert.Equal(1, cmd.ExecuteNonQuery());
            }
            var tampered = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--store", "duckdb,postgres", "--warehouse", warehouse], Step, env);
            Assert.Equal(1, tampered.ExitCode);
            Assert.Contains($"different {eventId}: geo_country: ", tampered.StdOut);
            Assert.Contains("'ZZ' found", tampered.StdOut);
            Assert.Contains($"missing {sessionKey}: not in sessions", tampered.StdOut);
            Assert.Contains("verify: 2 of 6 tables of duckdb differ from their recomputation", tampered.StdOut);
            Assert.Contains("verify: every table of postgres equals its recomputation", tampered.StdOut);
        }
        finally
        {
            if (sink is { HasExited: false }) sink.Kill(entireProcessTree: true);
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }

    private static Dictionary<TopicPartition, long> EndOffsets(KafkaClientFactory factory)
    {
        using var reader = new TopicReader(factory, Step);
        return SinkTopics.Default.All.SelectMany(reader.Logs).ToDictionary(l => new TopicPartition(l.Topic, l.Partition), l => l.LogEnd);
    }

    private static List<SinkRecord> ReadOutputs(KafkaClientFactory factory)
    {
        using var reader = new TopicReader(factory, Step);
        return SinkTopics.Default.All.SelectMany(t => reader.Read(reader.Logs(t)).SelectMany(p => p))
            .Select(r => new SinkRecord(r.Topic, r.Partition, r.Offset, 0, r.Key, r.Value)).ToList();
    }

    // The runner commits each stored batch's offsets to Kafka too: the group's committed offsets show how far it got
    // without opening the store, which the sink holds.
    private static bool Stored(KafkaClientFactory factory, string group, Dictionary<TopicPartition, long> ends)
    {
        using var consumer = factory.CreateConsumer<byte[], byte[]>(group, "duckdb-it-watch");
        var committed = consumer.Committed(ends.Keys, TimeSpan.FromSeconds(30));
        return committed.All(c => ends[c.TopicPartition] == 0 || c.Offset.Value == ends[c.TopicPartition]);
    }
}
