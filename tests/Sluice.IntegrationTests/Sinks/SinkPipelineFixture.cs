using Sluice.Generate;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.IntegrationTests.Pipelines;
using Sluice.Pipelines.Clickstream;
using Sluice.Sinks;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>Generated traffic through the clickstream topology on the embedded broker, once per class; the output topics as a sink reads them.</summary>
public sealed class SinkPipelineFixture : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public SinkPipelineFixture()
    {
        var prefix = "sinks-" + Guid.NewGuid().ToString("N")[..8];
        var options = new ClickstreamOptions
        {
            InputTopic = prefix + ".events", EnrichedTopic = prefix + ".enriched", DeadLetterTopic = prefix + ".dlq", LateTopic = prefix + ".late",
            AggregatedTopic = prefix + ".aggregated", SessionsTopic = prefix + ".sessions", BotsTopic = prefix + ".bots",
            Quality = new Sluice.Core.Configuration.QualityOptions { Topic = prefix + ".quality" },
        };
        Topics = new SinkTopics(options.EnrichedTopic, options.DeadLetterTopic, options.LateTopic, options.BotsTopic, options.AggregatedTopic,
            options.SessionsTopic, options.Quality.Topic);
        var settings = new GeneratorSettings
        {
            Seed = 4242, Users = 400, MaxEvents = 4_000, Cdc = false, EventsTopic = options.InputTopic,
            MalformedRate = 0.02, LateRate = 0.01, DuplicateRate = 0.01, BotRate = 0.03,
        };
        Broker.Broker.CreateTopic(options.InputTopic, 3);
        foreach (var topic in Topics.All) Broker.Broker.CreateTopic(topic, 3);
        var manifest = new ManifestBuilder();
        using (var writer = new KafkaTrafficWriter(Broker.Factory.CreateProducer("sinks-it"))) GeneratorRunner.Run(new ClickstreamGenerator(settings), writer, manifest: manifest);
        PipelineRun.RunTopology(Broker, options, manifest.ClickRecords, Timeout);
        Records = Topics.All.SelectMany(topic => PipelineRun.ReadAll(Broker, topic,
            r => new SinkRecord(r.Topic, r.Partition.Value, r.Offset.Value, r.Message.Timestamp.UnixTimestampMs, r.Message.Key, r.Message.Value), Timeout)).ToList();
        EndOffsets = new SinkBatch("end", Records).NextOffsets;
    }

    public BrokerFixture Broker { get; } = new();
    public SinkTopics Topics { get; }

    /// <summary>Every record of every output topic.</summary>
    public List<SinkRecord> Records { get; }

    /// <summary>Per partition of the output topics, one past its last offset: what a sink has stored when it has everything.</summary>
    public IReadOnlyDictionary<SinkPartition, long> EndOffsets { get; }

    public void Dispose() => Broker.Dispose();
}
