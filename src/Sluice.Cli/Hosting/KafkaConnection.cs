using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Kafka;

namespace Sluice.Cli.Hosting;

/// <summary>The cluster a command talks to: the configured one, or an embedded broker started for it.</summary>
internal sealed class KafkaConnection : IDisposable
{
    private KafkaConnection(KafkaClientFactory factory, EmbeddedBroker? embedded, Confluent.Kafka.Metadata metadata)
    {
        Factory = factory;
        Embedded = embedded;
        Metadata = metadata;
    }

    public KafkaClientFactory Factory { get; }

    /// <summary>The cluster's metadata as it answered at start-up: brokers and topics.</summary>
    public Confluent.Kafka.Metadata Metadata { get; }
    public EmbeddedBroker? Embedded { get; }

    /// <summary>Starts the embedded broker when no bootstrap servers are configured, creates the topics, checks the cluster answers.</summary>
    public static KafkaConnection Open(SluiceOptions options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Sluice.Kafka");
        EmbeddedBroker? embedded = null;
        string bootstrap;
        if (options.Kafka.UseEmbeddedBroker)
        {
            embedded = EmbeddedBroker.Start(options.Kafka.Embedded.Brokers, Topics(options));
            bootstrap = embedded.BootstrapServers;
            logger.LogInformation("embedded broker ({Brokers} broker(s)) at {Bootstrap}", embedded.BrokerCount, bootstrap);
        }
        else
        {
            bootstrap = options.Kafka.BootstrapServers;
        }
        try
        {
            var factory = new KafkaClientFactory(options.Kafka, bootstrap, logger);
            var metadata = factory.EnsureReachable();
            logger.LogInformation("connected to {Brokers} broker(s) at {Bootstrap}", metadata.Brokers.Count, bootstrap);
            return new KafkaConnection(factory, embedded, metadata);
        }
        catch
        {
            embedded?.Dispose();
            throw;
        }
    }

    /// <summary>Every topic the pipeline reads or writes, with the configured partition count.</summary>
    public static IEnumerable<TopicSpec> Topics(SluiceOptions options) =>
        Pipelines.Demo.PipelineDemo.Topics(options).Select(t => new TopicSpec(t, options.Kafka.Partitions));

    public void Dispose() => Embedded?.Dispose();
}
