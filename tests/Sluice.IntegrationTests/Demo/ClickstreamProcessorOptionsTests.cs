using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;

namespace Sluice.IntegrationTests.Demo;

public sealed class ClickstreamProcessorOptionsTests
{
    [Fact]
    public void a_processor_reads_avro_through_the_registry_at_schema_registry_url_and_only_json_without_one()
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), "127.0.0.1:9");
        var configured = new SluiceOptions { SchemaRegistry = { Url = "http://127.0.0.1:8081" } };
        configured.Kafka.Topics.Events = "shop.events";

        var avro = ClickstreamProcessor.FromOptions(configured, factory, "p1", NullLoggerFactory.Instance);
        var json = ClickstreamProcessor.FromOptions(new SluiceOptions(), factory, "p2", NullLoggerFactory.Instance);

        Assert.True(avro.ReadsAvro);
        Assert.False(json.ReadsAvro);
        Assert.Equal("shop.events", ClickstreamProcessor.TopologyOptions(configured).InputTopic);
    }
}
