using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Kafka;

/// <summary>The embedded broker as a hosted component: started with the host, destroyed when it stops.</summary>
/// <remarks>Register it in a host, then read <see cref="BootstrapServers"/> once the host has started.</remarks>
public sealed class EmbeddedBrokerService(int brokers, IReadOnlyList<TopicSpec> topics, ILogger<EmbeddedBrokerService>? logger = null)
    : IHostedService, IDisposable
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;
    private EmbeddedBroker? _broker;

    /// <summary>The running broker; throws before the host has started it.</summary>
    public EmbeddedBroker Broker => _broker ?? throw new InvalidOperationException("the embedded broker has not been started; start the host first");

    public string BootstrapServers => Broker.BootstrapServers;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _broker = EmbeddedBroker.Start(brokers, topics, _logger);
        _logger.LogInformation("embedded broker up: {Brokers} broker(s) at {Bootstrap}", brokers, _broker.BootstrapServers);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        _logger.LogInformation("embedded broker stopped");
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _broker?.Dispose();
        _broker = null;
    }
}
