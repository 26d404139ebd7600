using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.Cli.Commands;

/// <summary>What the commands that inspect a running cluster (<c>topics</c>, <c>tail</c>) share: they never start an embedded broker.</summary>
internal static class ClusterCommands
{
    /// <summary>A client factory for the configured cluster, checked to answer; an error naming the key when none is configured.</summary>
    public static KafkaClientFactory ExistingCluster(SluiceOptions options, ILoggerFactory loggers, string command)
    {
        if (options.Kafka.UseEmbeddedBroker)
            ThrowHelper.ThrowConfiguration("kafka.bootstrapServers",
                $"`sluice {command}` inspects a running cluster: pass --bootstrap-servers HOST:PORT or set kafka.bootstrapServers " +
                "(for the embedded broker, start `sluice broker` and use the address it prints)");
        var factory = new KafkaClientFactory(options.Kafka, options.Kafka.BootstrapServers, loggers.CreateLogger("Sluice.Kafka"));
        factory.EnsureReachable();
        return factory;
    }
}
