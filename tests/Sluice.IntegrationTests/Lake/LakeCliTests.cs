using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Sluice.IntegrationTests.Sinks;
using Sluice.Sinks;
using Sluice.Sinks.Lake;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Lake;

/// <summary><c>sluice sink --to lake</c> and <c>sluice lake compact</c> as a user runs them, against the embedded broker.</summary>
public sealed class LakeCliTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-lake-cli-").FullName;

    public LakeCliTests(BrokerFixture broker) => _broker = broker;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task sink_to_lake_lands_the_input_and_the_outputs_stops_on_sigterm_and_compacts()
    {
        // 1. The input topic holds raw records (one not even JSON); the output topics hold real outputs.
        const string input = "clickstream.events";
        _broker.Broker.CreateTopic(input, 2);
        foreach (var topic in SinkTopics.Default.All) _broker.Broker.CreateTopic(topic, SinkTestData.Partitions);
        var records = SinkTestData.Outputs(1_500, seed: 13);
        var inputs = Enumerable.Range(0, 200).Select(i => (Partition: i % 2, Value: i == 7 ? new byte[] { 0xFF, 0xFE } : System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"))).ToList();
        using (var producer = new ProducerBuilder<byte[], byte[]>(_broker.Factory.ProducerConfig("lake-cli")).Build())
        {
            foreach (var r in records)
                producer.Produce(new TopicPartition(r.Topic, r.Partition), new Message<byte[], byte[]> { Key = r.Key!, Value = r.Value! });
            foreach (var (partition, value) in inputs)
                producer.Produce(new TopicPartition(input, partition), new Message<byte[], byte[]> { Key = null!, Value = value });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var lakePath = Path.Combine(_root, "lake");
        var environment = new Dictionary<string, string> { ["SLUICE__LAKE__PATH"] = lakePath, ["SLUICE__SINKS__BATCHSIZE"] = "500" };

        // 2. sluice sink --to lake runs until everything is stored, then gets SIGTERM.
        using var process = SluiceProcess.Start(["sink", "--to", "lake", "--bootstrap-servers", _broker.Broker.BootstrapServers], environment);
        var stderr = process.StandardError.ReadToEndAsync();
        var expected = SinkTestData.ExpectedRows(records);
        var watch = Stopwatch.StartNew();
        var tables = new Dictionary<string, long>
        {
            ["bronze/events"] = inputs.Count, ["silver/events"] = expected[OutputKind.Enriched], ["silver/bot_events"] = expected[OutputKind.Bots],
            ["silver/dead_letters"] = expected[OutputKind.DeadLetters], ["silver/late_events"] = expected[OutputKind.Late],
            ["gold/window_aggregates"] = expected[OutputKind.Aggregated], ["gold/sessions"] = expected[OutputKind.Sessions],
        };
        while (tables.Any(t => Count(lakePath, t.Key) < t.Value))
        {
            if (process.HasExited) Assert.Fail($"sluice sink exited early: {await stderr}");
            if (watch.Elapsed > TimeSpan.FromSeconds(120))
            {
                process.Kill();
                Assert.Fail($"sluice sink --to lake did not store everything within 120 s: {await stderr}");
            }
            await Task.Delay(500);
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");

        // 3. Every table holds each id once, and its log keeps the protocol.
        using var duck = LakeReader.Connect();
        using (var lake = new LakeSink(lakePath, SinkTopics.Default, input))
        {
            lake.Open();
            Assert.Equal(expected[OutputKind.Aggregated], LakeReader.Count(duck, lake.Tables.Single(t => t.Name == "gold/window_aggregates")));
            Assert.Equal(inputs.Count, LakeReader.Count(duck, lake.Tables.Single(t => t.Name == "bronze/events")));
            foreach (var table in lake.Tables) Assert.Empty(DeltaLogChecker.Problems(table, duck));
        }

        // 4. sluice lake compact leaves one file per partition and the same rows.
        var compact = await SluiceProcess.RunAsync(["lake", "compact", "--path", lakePath], TimeSpan.FromSeconds(120));
        Assert.True(compact.ExitCode == 0, compact.StdErr);
        Assert.Contains("compacted", compact.StdOut);
        using (var lake = new LakeSink(lakePath, SinkTopics.Default, input))
        {
            lake.Open();
            Assert.Equal(expected[OutputKind.Enriched], LakeReader.Count(duck, lake.Tables.Single(t => t.Name == "silver/events")));
            foreach (var table in lake.Tables)
            {
                Assert.All(table.Snapshot.Files.Values.GroupBy(a => a.PartitionValues["event_date"]), p => Assert.Single(p));
                Assert.Empty(DeltaLogChecker.Problems(table, duck));
            }
        }
    }

    internal static long Count(string lakePath, string table)
    {
        if (!Directory.Exists(Path.Combine(lakePath, table, "_delta_log"))) return 0;
        using var lake = new LakeSink(lakePath, SinkTopics.Default, "clickstream.events", recentIds: 0);
        lake.Open();
        return lake.Tables.Single(t => t.Name == table).Snapshot.Files.Values.Sum(a =>
            System.Text.Json.Nodes.JsonNode.Parse(a.Stats!)!["numRecords"]!.GetValue<long>());
    }
}

/// <summary>kill -9 of <c>sluice sink --to lake</c> mid-run, then a restart: every row once (its own broker, default topic names).</summary>
public sealed class LakeKillTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-lake-kill-").FullName;

    public LakeKillTests(BrokerFixture broker) => _broker = broker;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task a_sink_killed_mid_run_and_restarted_lands_every_row_once()
    {
        // 1. Outputs and input records on this class's own broker: enough input (300 batches of 100 into bronze) that the
        //    sink is still writing when it is killed, however fast the machine.
        var topics = SinkTopics.Default;
        const string input = "clickstream.events";
        _broker.Broker.CreateTopic(input, 2);
        foreach (var topic in topics.All) _broker.Broker.CreateTopic(topic, SinkTestData.Partitions);
        var records = SinkTestData.Outputs(3_000, seed: 17);
        var inputs = Enumerable.Range(0, 30_000).Select(i => System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")).ToList();
        using (var producer = new ProducerBuilder<byte[], byte[]>(_broker.Factory.ProducerConfig("lake-kill")).Build())
        {
            foreach (var r in records)
                producer.Produce(new TopicPartition(r.Topic, r.Partition), new Message<byte[], byte[]> { Key = r.Key!, Value = r.Value! });
            for (var i = 0; i < inputs.Count; i++) producer.Produce(new TopicPartition(input, i % 2), new Message<byte[], byte[]> { Key = null!, Value = inputs[i] });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var lakePath = Path.Combine(_root, "killed");
        var environment = new Dictionary<string, string> { ["SLUICE__LAKE__PATH"] = lakePath, ["SLUICE__SINKS__BATCHSIZE"] = "100" };
        var expected = SinkTestData.ExpectedRows(records, topics);
        var tables = new Dictionary<string, long>
        {
            ["bronze/events"] = inputs.Count, ["silver/events"] = expected[OutputKind.Enriched], ["silver/bot_events"] = expected[OutputKind.Bots],
            ["silver/dead_letters"] = expected[OutputKind.DeadLetters], ["silver/late_events"] = expected[OutputKind.Late],
            ["gold/window_aggregates"] = expected[OutputKind.Aggregated], ["gold/sessions"] = expected[OutputKind.Sessions],
            ["gold/quality"] = expected.GetValueOrDefault(OutputKind.Quality),
        };

        // 2. The sink is killed with SIGKILL once it has stored some batches, wherever it is.
        using (var first = SluiceProcess.Start(["sink", "--to", "lake", "--bootstrap-servers", _broker.Broker.BootstrapServers], environment))
        {
            // Read its log as it comes: a full stderr pipe would block the sink.
            var firstErr = first.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            while (tables.Keys.Sum(t => LakeCliTests.Count(lakePath, t)) < 1_000 && !first.HasExited && watch.Elapsed < TimeSpan.FromSeconds(120))
                await Task.Delay(50);
            if (first.HasExited) Assert.Fail("the sink exited before it was killed: " + await firstErr);
            first.Kill();
            await first.WaitForExitAsync();
        }
        Assert.True(tables.Any(t => LakeCliTests.Count(lakePath, t.Key) < t.Value), "the first sink stored everything before it was killed: nothing was tested");

        // 3. A restarted sink resumes from the offsets in the logs and stores the rest.
        using var second = SluiceProcess.Start(["sink", "--to", "lake", "--bootstrap-servers", _broker.Broker.BootstrapServers], environment);
        var stderr = second.StandardError.ReadToEndAsync();
        var wait = Stopwatch.StartNew();
        while (tables.Any(t => LakeCliTests.Count(lakePath, t.Key) < t.Value))
        {
            if (second.HasExited) Assert.Fail($"the restarted sink exited: {await stderr}");
            if (wait.Elapsed > TimeSpan.FromSeconds(120))
            {
                second.Kill();
                Assert.Fail($"the restarted sink did not store everything within 120 s: {await stderr}");
            }
            await Task.Delay(250);
        }
        using (var kill = Process.Start("kill", ["-TERM", second.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // 4. Every row once, by DuckDB over the live files, and every log keeps the protocol.
        using var duck = LakeReader.Connect();
        using var lake = new LakeSink(lakePath, topics, input);
        lake.Open();
        // The lake appends each state of a user version and each correction of an event: their stable ids are counted.
        var ids = new Dictionary<string, (string Columns, OutputKind Kind)>
        {
            ["silver/dim_users"] = ("user_id, source_position", OutputKind.UserVersions), ["silver/profile_corrections"] = ("event_id", OutputKind.Corrections),
        };
        foreach (var table in lake.Tables)
        {
            if (ids.TryGetValue(table.Name, out var id))
                Assert.Equal(expected[id.Kind], LakeReader.Scalar<long>(duck, $"SELECT count(*) FROM (SELECT DISTINCT {id.Columns} FROM {LakeReader.Source(table)})"));
            else Assert.Equal(tables[table.Name], LakeReader.Count(duck, table));
            Assert.Empty(DeltaLogChecker.Problems(table, duck));
        }
    }
}
