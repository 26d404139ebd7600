using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Verification;

/// <summary><c>sluice verify</c> end to end: a standalone broker, <c>sluice produce</c>, a processor in a consumer group, then verify.</summary>
public sealed class VerifyCliTests
{
    private const int Events = 20_000;
    // The machine is shared and loaded: every step gets minutes, not seconds.
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task a_processed_run_verifies_equal_and_tampered_outputs_are_named()
    {
        // 1. A broker in its own process, as in README's "Running the parts separately".
        using var dir = new TempDirectory();
        using var broker = SluiceProcess.Start(["broker", "--bootstrap-file", dir.File("bootstrap")]);
        try
        {
            var bootstrap = (await broker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)))!;

            // 2. Traffic with its manifest.
            var manifest = dir.File("manifest.json");
            var produce = await SluiceProcess.RunAsync(
                ["produce", "--bootstrap-servers", bootstrap, "--events", Events.ToString(System.Globalization.CultureInfo.InvariantCulture), "--manifest", manifest], Step);
            Assert.True(produce.ExitCode == 0, produce.StdErr);

            // 3. A processor member in a consumer group, running as a service does (no end of input: the last windows and
            //    sessions stay open), stopped once it has processed every record.
            var factory = new KafkaClientFactory(new KafkaOptions(), bootstrap);
            var processor = new ClickstreamProcessor(factory, new ClickstreamOptions(), $"verify-it-{Guid.NewGuid():N}", "verify-it", NullLoggerFactory.Instance);
            using (var stop = new CancellationTokenSource())
            {
                var run = processor.RunAsync(stop.Token);
                var clock = Stopwatch.StartNew();
                while (processor.Processed < Events && clock.Elapsed < Step && !run.IsCompleted) await Task.Delay(250);
                await stop.CancelAsync();
                await run.WaitAsync(Step);
                Assert.Equal(Events, processor.Processed);
            }

            // 4. verify reads the input from the topic: equal, exit 0.
            var verify = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--manifest", manifest], Step);
            Assert.True(verify.ExitCode == 0, verify.StdOut + verify.StdErr);
            Assert.Contains("input read from the topic clickstream.events (20,000 records over 6 partitions)", verify.StdOut);
            Assert.Contains("verify: every output equals its recomputation", verify.StdOut);
            foreach (var topic in new[] { "clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots", "clickstream.aggregated", "clickstream.sessions" })
            {
                var cells = Row(verify.StdOut, topic);
                Assert.True(long.Parse(cells[1], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) > 0, topic);
                Assert.Equal(["0", "0", "0"], cells[4..7]); // missing, extra, different
                Assert.Equal("equal", cells[^1]);
            }

            // 5. And from the manifest's seed: the same, and the 20,000 records the broker holds are byte-identical to it.
            var regenerated = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--manifest", manifest, "--regenerate"], Step);
            Assert.True(regenerated.ExitCode == 0, regenerated.StdOut + regenerated.StdErr);
            Assert.Contains("input regenerated from seed 42", regenerated.StdOut);
            Assert.Contains("the 20,000 records the broker still holds are byte-identical to it", regenerated.StdOut.Replace("\n", " ", StringComparison.Ordinal));

            // 6. Tamper: an enriched event again under its id with another country, and an aggregate row with a wrong value.
            using var reader = new TopicReader(factory, Step);
            var enriched = reader.Read(reader.Logs("clickstream.enriched")).SelectMany(p => p).First();
            var row = reader.Read(reader.Logs("clickstream.aggregated")).SelectMany(p => p)
                .First(r => JsonNode.Parse(r.Value)!["metric"]!.GetValue<string>() == "events");
            var changedEvent = JsonNode.Parse(enriched.Value)!;
            changedEvent["geo_country"] = "ZZ";
            var changedRow = JsonNode.Parse(row.Value)!;
            changedRow["value"] = changedRow["value"]!.GetValue<double>() + 1;
            using (var producer = new ProducerBuilder<byte[], byte[]>(factory.ProducerConfig()).Build())
            {
                producer.Produce("clickstream.enriched", new Message<byte[], byte[]> { Key = enriched.Key!, Value = Encoding.UTF8.GetBytes(changedEvent.ToJsonString()) });
                producer.Produce("clickstream.aggregated", new Message<byte[], byte[]> { Key = row.Key!, Value = Encoding.UTF8.GetBytes(changedRow.ToJsonString()) });
                producer.Flush(Step);
            }

            // 7. verify now fails and names both records and the field that changed.
            var tampered = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--examples", "3"], Step);
            Assert.Equal(1, tampered.ExitCode);
            var eventId = JsonNode.Parse(enriched.Value)!["event_id"]!.GetValue<string>();
            var rowKey = Encoding.UTF8.GetString(row.Key!);
            Assert.Contains($"conflicting duplicate {eventId}: a second record with geo_country:", tampered.StdOut);
            Assert.Contains($"conflicting duplicate {rowKey}: a second record with value:", tampered.StdOut);
            Assert.Equal("DIFFERS", Row(tampered.StdOut, "clickstream.enriched")[^1]);
            Assert.Equal("1", Row(tampered.StdOut, "clickstream.aggregated")[8]); // conflicts
            Assert.Equal("equal", Row(tampered.StdOut, "clickstream.sessions")[^1]);
            Assert.Equal("equal", Row(tampered.StdOut, "clickstream.dim_users")[^1]);
            Assert.Contains("verify: 2 of 8 outputs differ from their recomputation", tampered.StdOut);
        }
        finally
        {
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task verify_refuses_outputs_or_input_the_broker_no_longer_holds_whole()
    {
        // 1. A broker with the pipeline's topics; one bots partition filled past the embedded broker's 5 MiB.
        using var broker = EmbeddedBroker.Start(1, KafkaConnectionTopics());
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        Fill(factory, "clickstream.bots");

        // 2. verify cannot check an output it cannot read whole, and says which partition and why.
        var r = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", broker.BootstrapServers], Step);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"cannot verify: clickstream\.bots\[0\] starts at offset [1-9][\d,]*; the broker deleted the records before it", r.StdErr);

        // 3. Nor an input the broker has cut, without a manifest to regenerate it from.
        Fill(factory, "clickstream.events");
        r = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", broker.BootstrapServers], Step);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"cannot verify: clickstream\.events\[0\] starts at offset [1-9][\d,]*; .*Pass --manifest FILE", r.StdErr);
    }

    private static IEnumerable<TopicSpec> KafkaConnectionTopics() =>
        ClickstreamOutputs.All.Select(o => new TopicSpec(o.Topic(new ClickstreamOptions()), 2)).Append(new TopicSpec("clickstream.events", 2));

    // 8 MiB into partition 0: more than the embedded broker keeps, so it deletes the oldest records. Random bytes,
    // because the producer compresses (lz4) and zeros would shrink to nothing.
    private static void Fill(KafkaClientFactory factory, string topic)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(factory.ProducerConfig()).Build();
        var value = new byte[64 * 1024];
        new Random(1).NextBytes(value);
        for (var i = 0; i < 128; i++) producer.Produce(new TopicPartition(topic, 0), new Message<byte[]?, byte[]> { Value = value });
        producer.Flush(Step);
    }

    // The cells of the table row of an output topic.
    private static string[] Row(string table, string topic) =>
        table.Split('\n').Single(l => l.Contains($"│ {topic} ", StringComparison.Ordinal))
            .Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
