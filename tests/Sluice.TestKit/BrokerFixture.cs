using Sluice.Core.Configuration;
using Sluice.Kafka;

namespace Sluice.TestKit;

/// <summary>One embedded broker shared by a test class (xunit class fixture); tests make their own topics.</summary>
public sealed class BrokerFixture : IDisposable
{
    public BrokerFixture()
    {
        Broker = EmbeddedBroker.Start(brokers: 3);
        Options = new KafkaOptions();
        Factory = new KafkaClientFactory(Options, Broker.BootstrapServers);
    }

    public EmbeddedBroker Broker { get; }
    public KafkaOptions Options { get; }
    public KafkaClientFactory Factory { get; }

    /// <summary>A topic with a unique name, so tests never see each other's records.</summary>
    public string CreateTopic(int partitions, string prefix = "test")
    {
        var name = $"{prefix}.{Guid.NewGuid():N}";
        Broker.CreateTopic(name, partitions);
        return name;
    }

    public void Dispose() => Broker.Dispose();
}
