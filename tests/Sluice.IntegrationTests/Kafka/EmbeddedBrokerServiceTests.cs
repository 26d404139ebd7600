using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.IntegrationTests.Kafka;

public sealed class EmbeddedBrokerServiceTests
{
    [Fact]
    public async Task hosted_broker_serves_its_topics_while_the_host_runs_and_is_gone_after_it_stops()
    {
        // 1. A host with the broker as a hosted service.
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(new EmbeddedBrokerService(2, [new TopicSpec("hosted.events", 4)]));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBrokerService>());
        using var host = builder.Build();
        await host.StartAsync();

        // 2. While it runs, clients see two brokers and the topic with its partitions.
        var service = host.Services.GetRequiredService<EmbeddedBrokerService>();
        var options = new KafkaOptions { ConnectTimeout = TimeSpan.FromSeconds(2) };
        var factory = new KafkaClientFactory(options, service.BootstrapServers);
        var metadata = factory.EnsureReachable();
        Assert.Equal(2, metadata.Brokers.Count);
        Assert.Equal(4, Assert.Single(metadata.Topics, t => t.Topic == "hosted.events").Partitions.Count);

        // 3. Once the host stops, the broker is gone.
        await host.StopAsync();
        Assert.Throws<InvalidOperationException>(() => service.BootstrapServers);
        Assert.Throws<SluiceException>(() => factory.EnsureReachable());
    }
}
