using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Pacing;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.App.Hosting;
using Sluice.Pipelines.Hosting;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Checkpoints;

namespace Sluice.App.Demo;

/// <summary>How long the demo runs and how hard it pushes.</summary>
public sealed record PipelineDemoSettings
{
    /// <summary>Click records to produce; null for no limit.</summary>
    public long? Events { get; init; }
    /// <summary>Wall-clock time to produce for; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Click records per second; 0 as fast as possible.</summary>
    public int Rate { get; init; }
    /// <summary>Processor group members to run in this process.</summary>
    public int Processors { get; init; } = 1;
    /// <summary>How click events travel: v3 Avro in the Confluent wire format through a schema registry (the default), or JSON.</summary>
    public PayloadFormat Format { get; init; } = PayloadFormat.Avro;
}

/// <summary>What the generator was told to send and what a correct pipeline must therefore output.</summary>
public sealed record GroundTruth(long Records, long Valid, long Malformed, long Late, long Bots, long Duplicates, IReadOnlyDictionary<long, long[]> Windows)
{
    public static GroundTruth From(ManifestBuilder m)
    {
        long valid = 0;
        foreach (var type in EventTypes.All) valid += m.ValidCount(type);
        long malformed = 0;
        foreach (var kind in Enum.GetValues<FaultKind>())
            if (kind.IsMalformed()) malformed += m.FaultCount(kind);
        return new GroundTruth(m.ClickRecords, valid, malformed, m.FaultCount(FaultKind.Late), m.FaultCount(FaultKind.Bot),
            m.FaultCount(FaultKind.Duplicate), m.Windows.ToDictionary(kv => kv.Key, kv => (long[])kv.Value.Clone()));
    }
}

/// <summary>The demo's state: producer progress, processing, and what the output topics hold.</summary>
public sealed record PipelineDemoSnapshot(
    long Produced, long Processed, TimeSpan Elapsed, OutputCounts Outputs,
    IReadOnlyList<string> Members, bool ProducerDone, bool Finished, GroundTruth? Truth, long LostInput = 0);

/// <summary>
/// The whole pipeline in one process: the generator writes to the events topic, processor members in one
/// consumer group run the clickstream topology, and a reader tallies the output topics. When the producer
/// stops, the members process what is left, close every window, and the final tally is compared with the
/// generator's ground truth.
/// </summary>
/// <remarks>
/// In Avro mode (the default) the demo registers the v3 event schema under <c>{events topic}-value</c> through the
/// HTTP registry client, with the registry at <c>schemaRegistry.url</c> or, when that is empty, an embedded one on
/// 127.0.0.1 that lives as long as the run. The producer writes Confluent frames with the id it got, and the members
/// resolve ids through the same client, as separate processes would.
/// </remarks>
public sealed class PipelineDemo
{
    private readonly SluiceOptions _options;
    private readonly KafkaClientFactory _factory;
    private readonly PipelineDemoSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly ClickstreamOptions _topology;
    private readonly Func<bool> _brokersAnswer;
    // Created once the schema registry is known; replaced whole, so readers on other threads see one list or the other.
    private IReadOnlyList<ClickstreamProcessor> _members = [];
    private EmbeddedSchemaRegistry? _registry;
    private RegistrySchemaSource? _schemas;
    private int _schemaId;
    private readonly OutputTally _tally;
    private readonly Stopwatch _clock = new();
    private long _produced;
    private volatile bool _producerDone, _finished;
    private GroundTruth? _truth;
    private OutputCounts? _final;

    /// <summary>How far the producer may run ahead of processing, in click records.</summary>
    /// <remarks>
    /// The embedded broker keeps only 5 MiB per partition; an unpaced producer that ran further ahead would see
    /// its oldest unread records deleted. Against a real cluster this is ordinary back-pressure.
    /// </remarks>
    public const long MaxLag = 60_000;

    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);

    /// <param name="brokersAnswer">Whether the brokers answer now (<see cref="BrokerAvailability.IsAvailable"/>): processing that stops while they do not is not a stall.</param>
    public PipelineDemo(SluiceOptions options, KafkaClientFactory factory, PipelineDemoSettings settings, ILoggerFactory loggers, Func<bool>? brokersAnswer = null)
    {
        _brokersAnswer = brokersAnswer ?? (() => true);
        _options = options;
        _factory = factory;
        _settings = settings;
        _loggers = loggers;
        _topology = TopologyOptions(options);
        _tally = new OutputTally(factory, _topology);
    }

    /// <summary>The topics the demo needs, for a broker that must create them.</summary>
    public static IReadOnlyList<string> Topics(SluiceOptions options) => PipelineTopics.All(options);

    /// <summary>The topology's options from the configuration.</summary>
    public static ClickstreamOptions TopologyOptions(SluiceOptions options) => ClickstreamProcessor.TopologyOptions(options);

    /// <summary>How click events travel in this run.</summary>
    public PayloadFormat Format => _settings.Format;

    /// <summary>The registry the run uses in Avro mode (embedded or configured); null until it is reached, and in JSON mode.</summary>
    public Uri? SchemaRegistryUrl => Volatile.Read(ref _schemas) is { } s ? new Uri(s.Url) : null;

    /// <summary>The id the registry gave the v3 event schema in Avro mode; 0 otherwise.</summary>
    public int SchemaId => Volatile.Read(ref _schemaId);

    /// <summary>The subject the event schema is registered under: the topic name strategy's <c>{topic}-value</c>.</summary>
    public static string ValueSubject(SluiceOptions options) => options.Kafka.Topics.Events + "-value";

    /// <summary>Runs the demo to its end (or until cancelled); then <see cref="Snapshot"/> holds the final tally and the ground truth.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        try
        {
            if (_settings.Format == PayloadFormat.Avro) await StartSchemasAsync(cancellationToken).ConfigureAwait(false);
            await RunPipelineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _schemas?.Dispose();
            if (_registry is not null) await _registry.DisposeAsync().ConfigureAwait(false);
            _clock.Stop();
            _finished = true;
        }
    }

    private async Task RunPipelineAsync(CancellationToken cancellationToken)
    {
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopLiveTally = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inputDone = false;
        // The members checkpoint as `sluice process` does, into a folder that lives as long as the run: the demo's
        // broker (embedded, or a cluster whose topics outlive it) is not the one a later run's checkpoints would match.
        using var checkpointFolder = new DemoCheckpointFolder();
        var checkpoints = new CheckpointSettings(checkpointFolder.Store, _options.Processor.GroupId, _options.Processor.CheckpointInterval);
        var created = new List<ClickstreamProcessor>();
        for (var i = 0; i < Math.Max(1, _settings.Processors); i++)
            created.Add(new ClickstreamProcessor(_factory, _topology, _options.Processor.GroupId, $"processor-{i + 1}", _loggers, _schemas, checkpoints,
                _options.Processor.ExactlyOnce));
        Volatile.Write(ref _members, created);
        var members = _members.Select(m => m.RunAsync(stopAll.Token, () => Volatile.Read(ref inputDone))).ToList();
        var tally = _tally.RunAsync(stopLiveTally.Token);
        try
        {
            await WaitForSettledGroupAsync(members, cancellationToken).ConfigureAwait(false);
            _clock.Restart(); // elapsed and throughput count from the first event, not from joining the group
            await Task.Factory.StartNew(() => Produce(cancellationToken), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var lastProgress = (Processed: Processed(), At: DateTime.UtcNow);
            while (!cancellationToken.IsCancellationRequested && Processed() < Interlocked.Read(ref _produced))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                ThrowIfFaulted(members);
                // Waiting for brokers that do not answer is reported by the availability watch, and bounded by its deadline.
                if (Processed() != lastProgress.Processed || !_brokersAnswer()) lastProgress = (Processed(), DateTime.UtcNow);
                else if (DateTime.UtcNow - lastProgress.At > StallTimeout)
                    throw new Core.Errors.SluiceException(
                        $"processing stopped at {lastProgress.Processed:N0} of {Interlocked.Read(ref _produced):N0} records for {StallTimeout.TotalSeconds:0} s; " +
                        "the broker may have deleted records before they were read (see docs/embedded-broker.md)", isTransient: true);
            }
            // Everything produced is processed: the members close their windows and stop.
            Volatile.Write(ref inputDone, true);
            await Task.WhenAll(members).ConfigureAwait(false);
            // The reader has followed the outputs live; it now reads up to their ends and stops.
            _tally.RequestDrain();
            if (await Task.WhenAny(tally, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken)).ConfigureAwait(false) != tally)
                throw new Core.Errors.SluiceException("reading the output topics did not reach their ends within 60 s", isTransient: true);
            await tally.ConfigureAwait(false);
            _final = _tally.Snapshot();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stopAll.CancelAsync().ConfigureAwait(false);
            await stopLiveTally.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(members.Append(tally)).ConfigureAwait(false);
            _clock.Stop();
        }
    }

    // The registry client is shared by the producer's registration and every member's decoder; ids it resolved once
    // are cached, so the members ask the registry once per schema id, not per record.
    private async Task StartSchemasAsync(CancellationToken ct)
    {
        var registry = _options.SchemaRegistry;
        if (registry.Url.Length == 0)
        {
            _registry = await EmbeddedSchemaRegistry.StartAsync(cancellationToken: ct).ConfigureAwait(false);
            registry = new SchemaRegistryOptions { Url = _registry.Url.ToString() };
        }
        var source = RegistrySchemaSource.Connect(registry);
        Volatile.Write(ref _schemas, source);
        var id = await source.Client.RegisterAvroAsync(source.Url, ValueSubject(_options), EventSchemas.V3Json).ConfigureAwait(false);
        Volatile.Write(ref _schemaId, id);
    }

    /// <summary>Input records the broker deleted before the members read them (the embedded broker keeps 5 MiB per partition); non-zero means the run is not exact.</summary>
    public long LostInputRecords => _members.Sum(m => m.LostInput.Values.Sum());

    /// <summary>Processor members that own at least one partition, and the partitions owned in all.</summary>
    public (int Members, int Partitions) Ownership => (_members.Count(m => m.OwnedPartitions > 0), _members.Sum(m => m.OwnedPartitions));

    // Production starts once every member owns partitions: the throughput counts from the first event, not from
    // joining the group, and no partition moves (checkpoint, restore, replay) while the run is measured.
    private async Task WaitForSettledGroupAsync(List<Task> members, CancellationToken ct)
    {
        var partitions = _options.Kafka.Partitions;
        var wanted = Math.Min(_members.Count, partitions);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!ct.IsCancellationRequested)
        {
            var (owning, owned) = Ownership;
            if (owning >= wanted && owned >= partitions) return;
            if (DateTime.UtcNow > deadline)
                throw new Core.Errors.SluiceException($"the processor group did not settle within 90 s ({owning} of {wanted} members own {owned} of {partitions} partitions)", isTransient: true);
            ThrowIfFaulted(members);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public PipelineDemoSnapshot Snapshot() => new(
        Interlocked.Read(ref _produced), Processed(), _clock.Elapsed, _final ?? _tally.Snapshot(),
        _members.Select(m => m.Name).ToList(), _producerDone, _finished, _truth, LostInputRecords);

    private long Processed() => _members.Sum(m => m.Processed);

    private static void ThrowIfFaulted(List<Task> tasks)
    {
        foreach (var t in tasks)
            if (t.IsFaulted) t.GetAwaiter().GetResult();
    }

    private void Produce(CancellationToken ct)
    {
        var settings = GeneratorSettings.From(_options.Generator, _options.Kafka.Topics) with
        {
            MaxEvents = _settings.Events ?? long.MaxValue,
            CdcTopic = _options.Kafka.Topics.CdcUsers,
        };
        settings.Validate();
        var generator = new ClickstreamGenerator(settings);
        var manifest = new ManifestBuilder();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_settings.Duration is { } d) stop.CancelAfter(d);
        var kafka = KafkaTrafficWriter.Create(_factory, "demo-producer");
        ITrafficWriter wire = _settings.Format == PayloadFormat.Avro ? new AvroTrafficWriter(kafka, _schemaId) : kafka;
        using var writer = new BackPressureWriter(wire, this, stop.Token);
        try
        {
            GeneratorRunner.Run(generator, writer, _settings.Rate > 0 ? Pacer.Rate(_settings.Rate) : Pacer.Max, manifest,
                p => Interlocked.Exchange(ref _produced, p.ClickRecords), stop.Token);
        }
        finally
        {
            Interlocked.Exchange(ref _produced, manifest.ClickRecords);
            _truth = GroundTruth.From(manifest);
            _producerDone = true;
        }
        if (kafka.Failed > 0)
            throw new Core.Errors.SluiceException($"{kafka.Failed} records could not be delivered to {settings.EventsTopic}; see the log above", isTransient: true);
    }

    // Holds the producer back while it is more than MaxLag click records ahead of the processors.
    private sealed class BackPressureWriter(ITrafficWriter inner, PipelineDemo demo, CancellationToken ct) : ITrafficWriter
    {
        private long _written;

        public ITrafficWriter Inner { get; } = inner;

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click && (++_written & 1023) == 0)
            {
                while (_written - demo.Processed() > MaxLag && !ct.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref demo._produced, _written);
                    Thread.Sleep(5);
                }
            }
            Inner.Write(record);
        }

        public void Flush(CancellationToken cancellationToken = default) => Inner.Flush(cancellationToken);

        public void Dispose() => Inner.Dispose();
    }
}

/// <summary>A checkpoint directory under the temp folder for one demo run, deleted with it.</summary>
internal sealed class DemoCheckpointFolder : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sluice-demo-checkpoints-{Guid.NewGuid():N}");

    public DemoCheckpointFolder()
    {
        var store = new DirectoryCheckpointStore(_path);
        store.Open();
        Store = store;
    }

    public ICheckpointStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            Directory.Delete(_path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
