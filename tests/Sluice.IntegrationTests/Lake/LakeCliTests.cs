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

    private static long Count(string lakePath, string table)
    {
        if (!Directory.Exists(Path.Combine(lakePath, table, "_delta_log"))) return 0;
        using var lake = new LakeSink(lakePath, SinkTopics.Default, "clickstream.events", recentIds: 0);
        lake.Open();
        return lake.Tables.Single(t => t.Name == table).Snapshot.Files.Values.Sum(a =>
            System.Text.Json.Nodes.JsonNode.Parse(a.Stats!)!["numRecords"]!.GetValue<long>());
    }
}
