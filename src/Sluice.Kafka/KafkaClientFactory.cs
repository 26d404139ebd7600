using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>Builds Kafka clients with production defaults, for a real cluster or the embedded broker alike.</summary>
/// <remarks>
/// Producers are idempotent with acks=all, lz4 and batching. Consumers store offsets only when told
/// (<c>EnableAutoOffsetStore=false</c>) so an offset is committed after its effect is durable, and use
/// cooperative-sticky assignment so a rebalance moves only the partitions that must move.
/// </remarks>
public sealed class KafkaClientFactory
{
    private readonly KafkaOptions _options;
    private readonly ILogger _logger;

    /// <summary>Clients for the cluster at <paramref name="bootstrapServers"/> with the rest of <paramref name="options"/>.</summary>
    /// <param name="options">The validated <c>kafka.*</c> keys: client id, security, timeouts.</param>
    /// <param name="bootstrapServers">The cluster: <c>kafka.bootstrapServers</c>, or an embedded broker's.</param>
    /// <param name="logger">Where the clients' own log lines go.</param>
    /// <param name="embedded">Whether the cluster is the embedded broker; by default, whether <c>kafka.bootstrapServers</c> is empty.</param>
    public KafkaClientFactory(KafkaOptions options, string bootstrapServers, ILogger? logger = null, bool? embedded = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        _options = options;
        BootstrapServers = bootstrapServers;
        IsEmbedded = embedded ?? options.UseEmbeddedBroker;
        _logger = logger ?? NullLogger.Instance;
        NativeLibraries.EnsureLoaded();
    }

    public string BootstrapServers { get; }

    /// <summary>True when talking to the in-process mock cluster, whose group coordinator needs short timeouts.</summary>
    public bool IsEmbedded { get; }

    public ProducerConfig ProducerConfig(string? clientIdSuffix = null)
    {
        var config = new ProducerConfig
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
            MessageTimeoutMs = 120_000,
        };
        ApplyCommon(config, clientIdSuffix ?? "producer");
        return config;
    }

    public ConsumerConfig ConsumerConfig(string groupId, string? clientIdSuffix = null)
    {
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        // The mock coordinator completes a rebalance only after about the session timeout: 6 s for the in-process
        // embedded broker; a standalone one (`sluice broker`) looks like any cluster, so kafka.sessionTimeout says.
        var session = IsEmbedded ? TimeSpan.FromSeconds(6) : _options.SessionTimeout;
        config.SessionTimeoutMs = (int)session.TotalMilliseconds;
        config.HeartbeatIntervalMs = (int)Math.Clamp(session.TotalMilliseconds / 12, 100, 3000);
        ApplyCommon(config, clientIdSuffix ?? "consumer");
        return config;
    }

    public IProducer<string, byte[]> CreateProducer(string? clientIdSuffix = null) => CreateProducer(clientIdSuffix, null);

    /// <summary>A producer with the factory's defaults, then <paramref name="configure"/>'s changes (for a caller's own tuning).</summary>
    public IProducer<string, byte[]> CreateProducer(string? clientIdSuffix, Action<ProducerConfig>? configure)
    {
        var config = ProducerConfig(clientIdSuffix);
        configure?.Invoke(config);
        return new ProducerBuilder<string, byte[]>(config)
            .SetLogHandler((_, m) => Log(m))
            .SetErrorHandler((_, e) => LogError(e))
            .Build();
    }

    /// <summary>
    /// A <see cref="RecordProducer"/> (librdkafka without Confluent.Kafka's per-message objects) with the same
    /// settings as <see cref="CreateProducer(string?)"/>, then <paramref name="configure"/>'s changes.
    /// </summary>
    public RecordProducer CreateRecordProducer(string? clientIdSuffix = null, Action<ProducerConfig>? configure = null)
    {
        var config = ProducerConfig(clientIdSuffix);
        configure?.Invoke(config);
        return RecordProducer.Create(config, _logger);
    }

    /// <summary>A consumer with logging wired; callers add their own rebalance handlers through <paramref name="configure"/>.</summary>
    public IConsumer<string, byte[]> CreateConsumer(string groupId, string? clientIdSuffix = null,
        Action<ConsumerBuilder<string, byte[]>>? configure = null) =>
        CreateConsumer<string, byte[]>(groupId, clientIdSuffix, configure);

    /// <summary>As <see cref="CreateConsumer(string, string?, Action{ConsumerBuilder{string, byte[]}}?)"/>, with other key and value types (byte[] keys skip a UTF-8 round trip).</summary>
    public IConsumer<TKey, TValue> CreateConsumer<TKey, TValue>(string groupId, string? clientIdSuffix = null,
        Action<ConsumerBuilder<TKey, TValue>>? configure = null)
    {
        var builder = new ConsumerBuilder<TKey, TValue>(ConsumerConfig(groupId, clientIdSuffix))
            .SetLogHandler((_, m) => Log(m))
            .SetErrorHandler((_, e) => LogError(e));
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>An admin client (metadata, offsets) with the factory's connection and security settings and logging wired.</summary>
    public IAdminClient CreateAdminClient(string? clientIdSuffix = null)
    {
        var config = new AdminClientConfig();
        ApplyCommon(config, clientIdSuffix ?? "admin");
        return new AdminClientBuilder(config)
            .SetLogHandler((_, m) => Log(m))
            .SetErrorHandler((_, e) => LogError(e))
            .Build();
    }

    /// <summary>Fails with a one-line error when no broker answers within <see cref="KafkaOptions.ConnectTimeout"/>.</summary>
    public Metadata EnsureReachable()
    {
        var config = new AdminClientConfig();
        ApplyCommon(config, "probe");
        // A broker that is down is reported once, below; what the probe's retries say is detail, logged at debug.
        using var admin = new AdminClientBuilder(config)
            .SetLogHandler((_, m) => LibrdkafkaLog.Write(_logger, LogLevel.Debug, m.Facility, m.Name, m.Message))
            .SetErrorHandler((_, e) => _logger.LogDebug("kafka {Code}: {Reason}", e.Code, e.Reason))
            .Build();
        try
        {
            return admin.GetMetadata(_options.ConnectTimeout);
        }
        catch (KafkaException ex)
        {
            throw new SluiceException(
                $"no Kafka broker answered at {BootstrapServers} within {_options.ConnectTimeout.TotalSeconds:0} s ({ex.Error.Reason}); " +
                (_options.SecurityProtocol.Equals("plaintext", StringComparison.OrdinalIgnoreCase)
                    ? "check kafka.bootstrapServers, or start one with `./build.sh run broker`"
                    : $"check kafka.bootstrapServers and that the brokers speak kafka.securityProtocol {_options.SecurityProtocol}"), isTransient: true, ex);
        }
    }

    private void ApplyCommon(ClientConfig config, string clientIdSuffix)
    {
        config.BootstrapServers = BootstrapServers;
        config.ClientId = $"{_options.ClientId}-{clientIdSuffix}";
        config.SecurityProtocol = _options.SecurityProtocol.ToLowerInvariant() switch
        {
            "ssl" => SecurityProtocol.Ssl,
            "sasl_plaintext" => SecurityProtocol.SaslPlaintext,
            "sasl_ssl" => SecurityProtocol.SaslSsl,
            _ => SecurityProtocol.Plaintext,
        };
        if (!string.IsNullOrEmpty(_options.SaslMechanism))
        {
            config.Set("sasl.mechanism", _options.SaslMechanism.ToUpperInvariant());
            config.SaslUsername = _options.SaslUsername;
            config.SaslPassword = _options.SaslPassword;
        }
    }

    private void Log(LogMessage message) =>
        LibrdkafkaLog.Write(_logger, LibrdkafkaLog.Level((int)message.Level), message.Facility, message.Name, message.Message);

    private void LogError(Error error)
    {
        // Local transport errors repeat while a broker is down; the client retries by itself.
        var level = error.IsFatal ? LogLevel.Error : LogLevel.Warning;
        _logger.Log(level, "kafka {Code}: {Reason}", error.Code, error.Reason);
    }
}
