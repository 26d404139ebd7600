using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Pipelines;

/// <summary>A processor member running a domain that is only a file (config/domains/iot.yaml) against a broker in its own process.</summary>
public sealed class DomainProcessTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task a_processor_member_runs_the_iot_domain_file_and_every_reading_is_accounted_for()
    {
        var iot = Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");
        using var dir = new TempDirectory();
        // 1. A broker that creates the domain's own topics, as `sluice broker --set processor.domain=…` does.
        using var broker = SluiceProcess.Start(["broker", "--bootstrap-file", dir.File("bootstrap"), "--set", $"processor.domain={iot}"]);
        try
        {
            var bootstrap = (await broker.StandardOutput.ReadLineAsync().WaitAsync(Step))!;
            var options = SluiceConfiguration.Load(Path.Combine(RepoRoot.Path, "config", "sluice.yaml"), [$"processor.domain={iot}"]);
            var factory = new KafkaClientFactory(options.Kafka, bootstrap);

            // 2. Readings of 20 devices over 30 minutes, one a minute per device and metric, with 40 repeats and 30 out of range.
            var start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() / 60_000 * 60_000;
            var readings = new List<(string Device, string Json)>();
            var random = new Random(7);
            for (var minute = 0; minute < 30; minute++)
                for (var device = 0; device < 20; device++)
                {
                    var value = minute * 20 + device < 30 ? 500.0 : 15 + random.NextDouble() * 10;
                    readings.Add(($"d{device}", Reading($"r-{minute}-{device}", $"d{device}", $"site{device % 3}", value, start + minute * 60_000 + device * 1_000)));
                }
            foreach (var i in Enumerable.Range(0, 40)) readings.Add(readings[i * 7]);
            using (var producer = factory.CreateProducer("iot-test"))
            {
                foreach (var (device, json) in readings)
                    producer.Produce("iot.readings", new Message<string, byte[]> { Key = device, Value = Encoding.UTF8.GetBytes(json) });
                producer.Flush(Step);
            }

            // 3. One member of the processor group, the input ended once every reading is processed: every window closes.
            var topology = ClickstreamProcessor.TopologyOptions(options);
            var processor = new ClickstreamProcessor(factory, topology, $"iot-it-{Guid.NewGuid():N}", "iot-it", NullLoggerFactory.Instance);
            using (var stop = new CancellationTokenSource(Step))
            {
                var run = processor.RunAsync(stop.Token, () => processor.Processed >= readings.Count);
                var clock = Stopwatch.StartNew();
                while (processor.Processed < readings.Count && clock.Elapsed < Step && !run.IsCompleted) await Task.Delay(250);
                await run.WaitAsync(Step);
            }
            Assert.Equal(readings.Count, processor.Processed);

            // 4. 600 distinct readings: 30 out of range are dead letters, 570 are valid. Validation comes before dedupe, so a
            //    repeat of an invalid reading (5 of the 40) is a dead letter again; the repeats of valid ones are dropped.
            using var reader = new TopicReader(factory, Step);
            List<TopicRecord> All(string topic) => [.. reader.Read(reader.Logs(topic)).SelectMany(p => p)];
            var letters = All("iot.dlq").Select(r => JsonDocument.Parse(r.Value).RootElement.GetProperty("reason_code").GetString()).ToList();
            Assert.Equal(30 + Enumerable.Range(0, 40).Count(i => i * 7 < 30), letters.Count);
            Assert.All(letters, code => Assert.Equal("temperature_out_of_range", code));
            Assert.Equal(570, All("iot.valid").Count);

            // 5. The per-device minute counts add up to the valid readings; each device-minute holds one reading.
            var rows = All("iot.aggregated").Select(r => JsonDocument.Parse(r.Value).RootElement).ToList();
            var perMinute = rows.Where(r => r.GetProperty("aggregate").GetString() == "device_stats_1m" && r.GetProperty("metric").GetString() == "readings").ToList();
            Assert.Equal(570, perMinute.Sum(r => r.GetProperty("value").GetDouble()));
            Assert.All(perMinute, r => Assert.Equal(1, r.GetProperty("value").GetDouble()));
            // Each device's readings a minute apart are one session (gap 10 minutes): 20 sessions of the device's valid readings.
            var sessions = rows.Where(r => r.GetProperty("aggregate").GetString() == "device_sessions" && r.GetProperty("metric").GetString() == "readings").ToList();
            Assert.Equal(20, sessions.Count);
            Assert.Equal(570, sessions.Sum(r => r.GetProperty("value").GetDouble()));
        }
        finally
        {
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }

    private static string Reading(string id, string device, string site, double value, long at) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"reading_id":"{{id}}","device_id":"{{device}}","site_id":"{{site}}","metric":"temperature","value":{{value}},"unit":"C","battery":80.5,"timestamp":{{at}}}""");
}
