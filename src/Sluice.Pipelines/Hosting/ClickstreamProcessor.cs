using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Diagnostics;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Hosting;

/// <summary>One member of the processor consumer group running the clickstream topology against Kafka.</summary>
/// <remarks>
/// Composes the engine's pieces: a <see cref="KafkaPartitionSource"/> in the group, a <see cref="TaskManager"/>
/// that creates a task per assigned partition, a <see cref="KafkaRecordCollector"/> for the outputs, the
/// <see cref="CommitCoordinator"/> (flush → checkpoint → commit; restore on assignment) and the <see cref="StreamRunner"/>
/// poll loop. Without checkpoint settings it flushes and commits without checkpoints. Run several in one
/// process, or one per process on as many machines as there are partitions. With a schema source the input may
/// carry Avro frames in the Confluent wire format as well as JSON (see <see cref="ClickEventDecoder"/>).
/// </remarks>
public sealed class ClickstreamProcessor
{
    private readonly KafkaClientFactory _factory;
    private readonly ClickstreamOptions _options;
    private readonly string _groupId;
    private readonly ILoggerFactory _loggers;
    private readonly ISchemaSource? _schemas;
    private readonly IDisposable? _ownedSchemas;
    private readonly CheckpointSettings? _checkpoints;
    private readonly bool _exactlyOnce;
    private readonly IQualityAlertSink? _alerts;
    private StreamRunner? _runner;
    private KafkaRecordCollector? _outputs;
    private int _ownedPartitions;

    /// <summary>A member of <paramref name="groupId"/>; with <paramref name="schemas"/> (a registry client, shared) it also reads Avro frames.</summary>
    /// <remarks>
    /// With <paramref name="checkpoints"/> (whose group must be <paramref name="groupId"/>) tasks are checkpointed and restored.
    /// With <paramref name="exactlyOnce"/> the outputs are written in Kafka transactions that commit the input offsets
    /// with them, as <see cref="TransactionalId"/>. Quality windows that fail a check raise alerts in <paramref name="alerts"/>
    /// (one per process, shared by its members).
    /// </remarks>
    public ClickstreamProcessor(KafkaClientFactory factory, ClickstreamOptions options, string groupId, string name, ILoggerFactory loggers,
        ISchemaSource? schemas = null, CheckpointSettings? checkpoints = null, bool exactlyOnce = false, IQualityAlertSink? alerts = null)
        : this(factory, options, groupId, name, loggers, schemas, ownsSchemas: false, checkpoints, exactlyOnce, alerts)
    {
    }

    private ClickstreamProcessor(KafkaClientFactory factory, ClickstreamOptions options, string groupId, string name, ILoggerFactory loggers,
        ISchemaSource? schemas, bool ownsSchemas, CheckpointSettings? checkpoints, bool exactlyOnce, IQualityAlertSink? alerts)
    {
        _alerts = alerts;
        if (checkpoints is not null && checkpoints.Group != groupId)
            throw new ArgumentException($"checkpoints are filed under group {checkpoints.Group} but the member joins {groupId}", nameof(checkpoints));
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        _factory = factory;
        _options = options;
        _groupId = groupId;
        Name = name;
        _loggers = loggers;
        _schemas = schemas;
        _ownedSchemas = ownsSchemas ? schemas as IDisposable : null;
        _checkpoints = checkpoints;
        _exactlyOnce = exactlyOnce;
        // Stable per member, as Kafka Streams' exactly-once v2 keeps one producer per stream thread: a restarted member
        // fences its predecessor's producer and aborts the transaction it left open, instead of the broker waiting for it
        // to time out. The host name keeps members of processes on different machines apart.
        TransactionalId = $"{groupId}-{Environment.MachineName}-{name}";
    }

    /// <summary>The transactional.id of this member's producer under exactly-once.</summary>
    public string TransactionalId { get; }

    /// <summary>True when outputs and offsets are committed in Kafka transactions.</summary>
    public bool ExactlyOnce => _exactlyOnce;

    /// <summary>Transactions this member has committed (exactly-once only).</summary>
    public long TransactionsCommitted => Volatile.Read(ref _outputs) is { } o ? o.TransactionsCommitted : 0;

    /// <summary>
    /// A member configured from <paramref name="options"/>: topics, group id and out-of-orderness, and the registry at
    /// <c>schemaRegistry.url</c> for Avro input. Without a URL only JSON is read (an embedded registry lives only as
    /// long as the process that started it, so a standalone processor cannot assume one).
    /// </summary>
    /// <remarks>With <paramref name="store"/> (opened, shared by the members) tasks are checkpointed every <c>processor.checkpointInterval</c>.</remarks>
    public static ClickstreamProcessor FromOptions(SluiceOptions options, KafkaClientFactory factory, string name, ILoggerFactory loggers,
        ICheckpointStore? store = null, IQualityAlertSink? alerts = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var registry = options.SchemaRegistry.Url.Length > 0 ? RegistrySchemaSource.Connect(options.SchemaRegistry) : null;
        var group = options.Processor.GroupId;
        var checkpoints = store is null ? null : new CheckpointSettings(store, group, options.Processor.CheckpointInterval);
        return new ClickstreamProcessor(factory, TopologyOptions(options), group, name, loggers, registry, ownsSchemas: true, checkpoints,
            options.Processor.ExactlyOnce, alerts);
    }

    /// <summary>Checks every <c>processor.*</c> key the topology reads, as it would when built.</summary>
    /// <remarks>Call before starting anything (a broker, a checkpoint directory, a consumer), so a bad value is one line naming its key.</remarks>
    /// <exception cref="Core.Errors.ConfigurationException">Naming the first invalid key.</exception>
    public static void Validate(SluiceOptions options) => TopologyOptions(options).Validate();

    /// <summary>The topology's options from the configuration.</summary>
    public static ClickstreamOptions TopologyOptions(SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var p = options.Processor;
        return new ClickstreamOptions
        {
            ConfigSection = "processor",
            InputTopic = options.Kafka.Topics.Events,
            DeadLetterTopic = options.Kafka.Topics.Dlq,
            MaxOutOfOrderness = p.MaxOutOfOrderness,
            Domain = string.IsNullOrWhiteSpace(p.Domain) ? DomainDefinition.Ecommerce : DomainDefinition.Load(p.Domain),
            IdleTimeout = p.IdleTimeout,
            AllowedLateness = p.AllowedLateness,
            DedupHorizon = p.DedupHorizon,
            DedupMaxEntries = p.DedupMaxEntries,
            SessionGap = p.SessionGap,
            MaxOpenSessions = p.MaxOpenSessions,
            MaxWindowEntries = p.MaxWindowEntries,
            TopProducts = p.TopProducts,
            TopCategories = p.TopCategories,
            UserChangesTopic = p.UserDimension ? options.Kafka.Topics.CdcUsers : null,
            CorrectionHorizon = p.CorrectionHorizon,
            MaxJoinedEvents = p.MaxJoinedEvents,
            Quality = options.Quality,
        };
    }

    public string Name { get; }

    // A transaction is open for a checkpoint interval; the broker aborts one open longer than this.
    private TimeSpan TransactionTimeout =>
        TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(60).Ticks, 3 * (_checkpoints?.Interval ?? TimeSpan.Zero).Ticks));

    /// <summary>True when Avro frames are read (a schema source was given or configured).</summary>
    public bool ReadsAvro => _schemas is not null;

    /// <summary>Records this member has processed so far (read from any thread; may lag by one poll).</summary>
    public long Processed => Volatile.Read(ref _runner) is { } r ? r.Processed : 0;

    /// <summary>User changes (the table topic) this member has processed so far.</summary>
    public long ChangesProcessed => Volatile.Read(ref _runner) is { } r ? r.TableRecordsProcessed : 0;

    /// <summary>Input records the broker deleted before this member read them, per partition; non-empty means its results are not exact.</summary>
    public IReadOnlyDictionary<TopicPartition, long> LostInput =>
        Volatile.Read(ref _runner) is { } r ? r.Coordinator.LostInput : new Dictionary<TopicPartition, long>();

    /// <summary>Task checkpoints this member has written.</summary>
    public long CheckpointsWritten => Volatile.Read(ref _runner) is { } r ? r.Coordinator.CheckpointsWritten : 0;

    /// <summary>Partitions (tasks) this member owns now.</summary>
    public int OwnedPartitions => Volatile.Read(ref _ownedPartitions);

    /// <summary>Polls until cancelled, or until <paramref name="endOfInput"/> says the input is exhausted (then every window closes). Call once.</summary>
    public Task RunAsync(CancellationToken cancellationToken, Func<bool>? endOfInput = null) =>
        Task.Factory.StartNew(() => Run(cancellationToken, endOfInput), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken, Func<bool>? endOfInput)
    {
        // The operating system's name of the thread (/proc/self/task/*/comm), so profiles can tell the members apart.
        // The thread is this task's own (LongRunning), so renaming it touches no pool thread.
        Thread.CurrentThread.Name = "sl-" + Name;
        try
        {
            // The e-commerce topology, or the one a domain file describes whole (processor.domain with an event: section).
            var domain = _options.Domain.Event is null ? null : new DomainTopology(_options.Domain, _options.Limits(), _schemas);
            ITopology topology = domain is null ? new ClickstreamTopology(_options, _schemas, _alerts) : domain;
            var watermarks = domain?.WatermarkStrategy ?? ((ClickstreamTopology)topology).WatermarkStrategy;
            using var source = new KafkaPartitionSource(_factory, _groupId) { CommitSynchronously = _exactlyOnce };
            using var outputs = _exactlyOnce
                ? KafkaRecordCollector.Transactional(_factory, TransactionalId, () => source.GroupMetadata, TransactionTimeout)
                : new KafkaRecordCollector(_factory);
            if (domain is null) ClickstreamJson.RegisterAll(outputs);
            else DomainJson.RegisterAll(outputs.Serializers);
            Volatile.Write(ref _outputs, outputs);
            using var tasks = new TaskManager(topology, watermarks, TimeProvider.System, outputs, _loggers.CreateLogger<TaskManager>());
            tasks.TaskCreated += _ => Interlocked.Increment(ref _ownedPartitions);
            tasks.TaskClosing += _ => Interlocked.Decrement(ref _ownedPartitions);
            var coordinator = new CommitCoordinator(source, tasks, outputs, TimeProvider.System, _loggers.CreateLogger<CommitCoordinator>(), _checkpoints, Name,
                _exactlyOnce ? outputs : null);
            var runner = new StreamRunner(source, tasks, topology.SourceTopics, TimeProvider.System, TimeSpan.FromMilliseconds(250), outputs,
                _loggers.CreateLogger<StreamRunner>(), coordinator);
            Volatile.Write(ref _runner, runner);
            TaskTelemetry.Shared.Attach(tasks);
            KafkaInstruments.Attach(source);
            try
            {
                runner.Run(cancellationToken, endOfInput);
            }
            finally
            {
                KafkaInstruments.Detach(source);
            }
        }
        finally
        {
            _ownedSchemas?.Dispose();
        }
    }
}
