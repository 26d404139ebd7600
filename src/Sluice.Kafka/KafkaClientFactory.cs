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

    /// <summary>The watch over this cluster, once one started (<see cref="BrokerAvailability.Start"/>): producers made from then on give up at its deadline, and clients close without waiting for brokers that do not answer.</summary>
    public BrokerAvailability? Availability { get; internal set; }

    public ProducerConfig ProducerConfig(string? clientIdSuffix = null)
    {
        var config = new ProducerConfig
        {
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
            BatchSize = 1_000_000,
            // Bounded, so that a producer faster than the brokers (or one whose brokers are away) waits instead of
            // growing: a million queued 350-byte records held about 0.5 GB of native memory.
            QueueBufferingMaxMessages = _options.ProducerQueueMessages,
            QueueBufferingMaxKbytes = _options.ProducerQueueMegabytes * 1024,
            // Records wait in the queue while the brokers are away; the command gives up at kafka.unavailableDeadline,
            // so the client must not drop them before.
            MessageTimeoutMs = (int)Math.Min(int.MaxValue, Math.Max(120_000, (_options.UnavailableDeadline + _options.ConnectTimeout).TotalMilliseconds + 30_000)),
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
            QueuedMaxMessagesKbytes = _options.ConsumerPrefetchMegabytes * 1024,
        };
        // The mock coordinator completes a rebalance only after about the session timeout: 6 s for the in-process
        // embedded broker; a standalone one (`sluice broker`) looks like any cluster, so kafka.sessionTimeout says.
        var session = IsEmbedded ? TimeSpan.FromSeconds(6) : _options.SessionTimeout;
        config.SessionTimeoutMs = (int)session.TotalMilliseconds;
        // The mock broker answers a fetch that finds nothing only after the whole fetch.wait.max.ms (500 ms by default),
        // even when records arrive meanwhile: a consumer that had caught up stalled half a second each time (bench e2e).
        if (IsEmbedded) config.FetchWaitMaxMs = 10;
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
        var producer = RecordProducer.Create(config, _logger);
        producer.Availability = Availability;
        return producer;
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

    /// <summary>An admin client for probing whether the cluster answers: its own log lines and errors go to debug, since the caller reports the outcome once.</summary>
    public IAdminClient CreateProbeClient(string clientIdSuffix = "probe")
    {
        var config = new AdminClientConfig();
        ApplyCommon(config, clientIdSuffix);
        return new AdminClientBuilder(config)
            .SetLogHandler((_, m) => LibrdkafkaLog.Write(_logger, LogLevel.Debug, m.Facility, m.Name, m.Message))
            .SetErrorHandler((_, e) => _logger.LogDebug("kafka {Code}: {Reason}", e.Code, e.Reason))
            .Build();
    }

    /// <summary>Fails with a one-line error when no broker answers within <see cref="KafkaOptions.ConnectTimeout"/>.</summary>
    public Metadata EnsureReachable()
    {
        // A broker that is down is reported once, below; what the probe's retries say is detail, logged at debug.
        using var admin = CreateProbeClient();
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

    /// <summary>Errors every client repeats while the brokers are unreachable.</summary>
    internal static bool IsOutage(ErrorCode code) => code is ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown
        or ErrorCode.Local_TimedOut or ErrorCode.Local_Resolve or ErrorCode.Local_TimedOutQueue;

    private static void CloseNow<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        try
        {
            consumer.Close();
        }
        finally
        {
            consumer.Dispose();
        }
    }

    private void Log(LogMessage message) =>
        LibrdkafkaLog.Write(_logger, LibrdkafkaLog.Level((int)message.Level, Availability), message.Facility, message.Name, message.Message);

    /// <summary>
    /// Closes a consumer (leaving its group) and disposes it; while no broker answers, leaving cannot finish and librdkafka
    /// would wait for it indefinitely, so the close is given <c>kafka.connectTimeout</c> and then abandoned (the process is
    /// stopping: the group drops the member after its session timeout).
    /// </summary>
    public void Close<TKey, TValue>(IConsumer<TKey, TValue> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        if (Availability is not { IsAvailable: false })
        {
            CloseNow(consumer);
            return;
        }
        var closing = Task.Run(() => CloseNow(consumer));
        if (!closing.Wait(_options.ConnectTimeout))
            _logger.LogWarning("{Client} did not leave its group within {Timeout} s (no broker answers); abandoned", consumer.Name, _options.ConnectTimeout.TotalSeconds);
    }

    private void LogError(Error error)
    {
        // Local transport errors repeat while a broker is down and the client retries by itself; the outage is reported
        // once, by BrokerAvailability.
        var level = error.IsFatal ? LogLevel.Error : IsOutage(error.Code) ? LogLevel.Debug : LogLevel.Warning;
        _logger.Log(level, "kafka {Code}: {Reason}", error.Code, error.Reason);
    }
}
