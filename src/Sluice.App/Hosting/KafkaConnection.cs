using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;

namespace Sluice.App.Hosting;

/// <summary>The cluster a command talks to, and the one factory its Kafka clients come from.</summary>
/// <remarks>
/// Every client is built from the validated <c>kafka.*</c> keys (command-line options such as <c>--bootstrap-servers</c>
/// have already been folded into them by the command line's loader), so security settings, client id
/// and timeouts are the same for every command.
/// </remarks>
public sealed class KafkaConnection : IDisposable
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

    /// <summary>The watch over the brokers once <see cref="WatchAvailability"/> started it: readiness and the unavailable deadline.</summary>
    public BrokerAvailability? Availability { get; private set; }

    /// <summary>Starts watching whether the brokers answer (<c>kafka.connectTimeout</c>, <c>kafka.unavailableDeadline</c>); the factory's producers give up at the deadline.</summary>
    public BrokerAvailability WatchAvailability(SluiceOptions options, ILoggerFactory loggers) =>
        Availability ??= new BrokerAvailability(Factory, options.Kafka.ConnectTimeout, options.Kafka.UnavailableDeadline,
            loggers.CreateLogger("Sluice.Kafka")).Start();

    /// <summary>When the brokers stayed away past the deadline: the one-line error to stop with (use where a wait was given up).</summary>
    public SluiceException? Unavailable => Availability?.Failure is { } failure ? new SluiceException(failure, isTransient: true) : null;

    /// <summary>Starts the embedded broker when no bootstrap servers are configured, creates the topics, checks the cluster answers.</summary>
    public static KafkaConnection Open(SluiceOptions options, ILoggerFactory loggers) =>
        Connect(options, loggers, options.Kafka.UseEmbeddedBroker ? StartEmbedded(options, loggers, Topics(options)) : null);

    /// <summary>An embedded broker with no topics, whatever <c>kafka.bootstrapServers</c> says, and a factory for it.</summary>
    public static KafkaConnection OpenEmbedded(SluiceOptions options, ILoggerFactory loggers) =>
        Connect(options, loggers, StartEmbedded(options, loggers, []));

    /// <summary>Every topic the pipeline reads or writes, with the configured partition count.</summary>
    public static IEnumerable<TopicSpec> Topics(SluiceOptions options) =>
        PipelineTopics.All(options).Select(t => new TopicSpec(t, options.Kafka.Partitions));

    /// <summary>The embedded broker, logging through <paramref name="loggers"/>.</summary>
    public static EmbeddedBroker StartEmbedded(SluiceOptions options, ILoggerFactory loggers, IEnumerable<TopicSpec> topics) =>
        EmbeddedBroker.Start(options.Kafka.Embedded.Brokers, topics, loggers.CreateLogger("Sluice.Kafka.EmbeddedBroker"));

    private static KafkaConnection Connect(SluiceOptions options, ILoggerFactory loggers, EmbeddedBroker? embedded)
    {
        var logger = loggers.CreateLogger("Sluice.Kafka");
        var bootstrap = embedded?.BootstrapServers ?? options.Kafka.BootstrapServers;
        if (embedded is not null) logger.LogInformation("embedded broker ({Brokers} broker(s)) at {Bootstrap}", embedded.BrokerCount, bootstrap);
        try
        {
            var factory = new KafkaClientFactory(options.Kafka, bootstrap, logger, embedded is not null);
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

    public void Dispose()
    {
        Availability?.Dispose();
        Embedded?.Dispose();
    }
}
