using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.App.Hosting;

/// <summary>The Kafka cluster of a run, as a hosted service: the embedded broker or the configured one, and the factory every other service's clients come from.</summary>
/// <remarks>
/// On start it opens a <see cref="KafkaConnection"/>: the embedded broker with every pipeline topic when no bootstrap servers are
/// configured, a check that the brokers answer, and the watch over them (<c>kafka.connectTimeout</c>,
/// <c>kafka.unavailableDeadline</c>); past the deadline it stops the host. Stopping releases nothing: members still
/// checkpoint and leave their group through the broker while the host stops. The broker goes when the service is disposed.
/// </remarks>
public sealed class KafkaClusterService : IHostedService, IDisposable
{
    private readonly SluiceOptions? _options;
    private readonly ILoggerFactory? _loggers;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly KafkaClientFactory? _connected;
    private KafkaConnection? _connection;
    private CancellationTokenRegistration _giveUp;

    /// <summary>A cluster this service connects to (and starts, when embedded) on start; past the unavailable deadline it stops <paramref name="lifetime"/>.</summary>
    public KafkaClusterService(SluiceOptions options, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        _options = options;
        _loggers = loggers;
        _lifetime = lifetime;
    }

    /// <summary>A cluster someone else started and connected to (a test's broker): nothing to start, nothing watched.</summary>
    public KafkaClusterService(KafkaClientFactory connected) => _connected = connected;

    /// <summary>The factory of the cluster's clients; there once the service has started.</summary>
    public KafkaClientFactory Factory => _connected ?? Volatile.Read(ref _connection)?.Factory
        ?? throw new InvalidOperationException("the Kafka cluster service has not started");

    /// <summary>Whether the brokers answer now; true when nothing watches them.</summary>
    public bool BrokersAnswer => Volatile.Read(ref _connection)?.Availability is not { IsAvailable: false };

    /// <summary>When the brokers stayed away past <c>kafka.unavailableDeadline</c>: the one-line error to stop with.</summary>
    public SluiceException? Unavailable => Volatile.Read(ref _connection)?.Unavailable;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_connected is not null) return Task.CompletedTask;
        var connection = KafkaConnection.Open(_options!, _loggers!);
        Volatile.Write(ref _connection, connection);
        var availability = connection.WatchAvailability(_options!, _loggers!);
        _giveUp = availability.Expired.Register(() => _lifetime!.StopApplication());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _giveUp.Dispose();
        _connection?.Dispose();
    }
}
