using System.Text;
using System.Text.Json.Nodes;
using Sluice.Core.Errors;
using Sluice.Generate;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

public class ManifestReplayTests
{
    [Fact]
    public void a_manifest_regenerates_the_click_records_of_its_run_in_each_partition_in_order()
    {
        // A run with settings away from every default, stopped by its simulated duration before its event limit.
        var settings = new GeneratorSettings
        {
            Seed = 5, Users = 700, Products = 90, ConcurrentSessions = 13, AnonymousShare = 0.5, CdcRate = 0.01,
            MaxEvents = 50_000, Duration = TimeSpan.FromMinutes(40), BotRate = 0.05, DuplicateRate = 0.02,
            Start = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero),
        };
        var sent = new Recorder(settings.EventsTopic);
        var manifest = new ManifestBuilder();
        var generator = new ClickstreamGenerator(settings);
        GeneratorRunner.Run(generator, sent, manifest: manifest);
        var path = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():N}.json");
        try
        {
            manifest.WriteFile(path, generator);
            var input = ManifestReplay.Regenerate(path, partitions: 4);

            Assert.Equal(sent.Records.Count, input.Records);
            for (var p = 0; p < 4; p++)
            {
                var want = sent.Records.Where(r => KafkaPartitioner.ConsistentRandom(Encoding.UTF8.GetBytes(r.Key), 4) == p).ToList();
                Assert.Equal(want.Select(r => r.Value), input.Partitions[p].Select(r => r.Value));
                Assert.Equal(Enumerable.Range(0, want.Count).Select(i => (long)i), input.Partitions[p].Select(r => r.Offset));
            }
            Assert.StartsWith("input regenerated from seed 5", input.Origin);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void a_manifest_without_every_setting_is_refused_with_the_missing_one_named()
    {
        var manifest = new ManifestBuilder();
        var generator = new ClickstreamGenerator(new GeneratorSettings { MaxEvents = 10 });
        GeneratorRunner.Run(generator, new NullTrafficWriter(), manifest: manifest);
        var path = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():N}.json");
        try
        {
            manifest.WriteFile(path, generator);
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            json["generator"]!.AsObject().Remove("cdc_rate");
            File.WriteAllText(path, json.ToJsonString());

            var ex = Assert.Throws<ConfigurationException>(() => ManifestReplay.Regenerate(path, 3));
            Assert.Contains("lacks generator.cdc_rate", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Recorder(string topic) : ITrafficWriter
    {
        public List<(string Key, byte[] Value)> Records { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click && record.Topic == topic) Records.Add((record.Key, record.Payload.ToArray()));
        }

        public void Flush(CancellationToken cancellationToken = default)
        {
        }

        public bool ReadsEvents => false;

        public void Dispose()
        {
        }
    }
}
