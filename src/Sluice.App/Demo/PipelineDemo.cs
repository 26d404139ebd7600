using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.App.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Sinks;
using Sluice.Streaming.Checkpoints;

namespace Sluice.App.Demo;

/// <summary>
/// The whole pipeline in one process: the generator writes to the events topic, processor members in one consumer group
/// run the clickstream topology, and a reader tallies the output topics. When the producer stops, the members process
/// what is left, close every window, and the final tally is compared with the generator's ground truth.
/// </summary>
/// <remarks>
/// <para>Composed of hosted services on the Generic Host that <c>sluice process</c> runs on (<see cref="ProcessorHost"/>),
/// started in this order: the Kafka cluster (<see cref="KafkaClusterService"/>: the embedded broker unless bootstrap servers
/// are configured), in Avro mode the schema registry (<see cref="SchemaRegistryService"/>), the output reader
/// (<see cref="OutputReaderService"/>), the processor members (<see cref="ProcessorMemberService"/>, as <c>process</c> runs
/// them, checkpointing into a folder that lives as long as the run), the generator (<see cref="GeneratorService"/>), the
/// sinks <see cref="DemoSinks"/> enables (<see cref="SinkService"/>), the run's course, and last whatever the caller added
/// (<see cref="AddService"/>: the command's live view).</para>
/// <para>In Avro mode the v3 event schema is registered under <c>{events topic}-value</c> through the HTTP registry client,
/// with the registry at <c>schemaRegistry.url</c> or, when that is empty, an embedded one on 127.0.0.1 that lives as long
/// as the run. The producer writes Confluent frames with the id it got, and the members resolve ids through the same
/// client, as separate processes would.</para>
/// </remarks>
public sealed class PipelineDemo
{
    /// <summary>How far the producer may run ahead of processing, in click records.</summary>
    /// <remarks>
    /// The embedded broker keeps only 5 MiB per partition; an unpaced producer that ran further ahead would see
    /// its oldest unread records deleted. Against a real cluster this is ordinary back-pressure.
    /// </remarks>
    public const long MaxLag = 60_000;

    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SinkCatchUpTimeout = TimeSpan.FromSeconds(120);

    private readonly SluiceOptions _options;
    private readonly KafkaClientFactory? _connected;
    private readonly PipelineDemoSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly ClickstreamOptions _topology;
    private readonly List<IHostedService> _added = [];
    private readonly ProcessorGroup _group = new();
    private bool JoinsUsers => TopologyOptions(_options).JoinsUsers;
    private readonly ProcessorFailures _failures = new();
    private readonly Stopwatch _clock = new();
    // Set as the host creates them; read from the view's thread.
    private volatile KafkaClusterService? _cluster;
    private volatile SchemaRegistryService? _registry;
    private volatile OutputReaderService? _reader;
    private volatile GeneratorService? _generator;
    private readonly List<SinkService> _sinks = [];
    private volatile bool _inputDone, _finished;
    private TimeSpan? _stored;
    private volatile OutputCounts? _final;
    private GroundTruth? _truth;
    private int _started;
    private QualityAlertDispatcher? _alerts;

    /// <summary>A demo that connects to the cluster itself: the embedded broker when <c>kafka.bootstrapServers</c> is empty.</summary>
    public PipelineDemo(SluiceOptions options, PipelineDemoSettings settings, ILoggerFactory loggers)
        : this(options, null, settings, loggers)
    {
    }

    /// <summary>A demo on a cluster that is already connected (<paramref name="factory"/>), whose topics exist.</summary>
    public PipelineDemo(SluiceOptions options, KafkaClientFactory? factory, PipelineDemoSettings settings, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        _options = options;
        _connected = factory;
        _settings = settings;
        _loggers = loggers;
        _topology = TopologyOptions(options);
        // The generator replays simulated time that starts in the past (generator.start), so every event's ingest lag is
        // the months since then, not a delay: the check would alert on every window and tell nothing.
        _topology.Quality.Thresholds.MaxIngestLag = TimeSpan.Zero;
    }

    /// <summary>The topics the demo needs, for a broker that must create them.</summary>
    public static IReadOnlyList<string> Topics(SluiceOptions options) => PipelineTopics.All(options);

    /// <summary>The topology's options from the configuration.</summary>
    public static ClickstreamOptions TopologyOptions(SluiceOptions options) => ClickstreamProcessor.TopologyOptions(options);

    /// <summary>The subject the event schema is registered under: the topic name strategy's <c>{topic}-value</c>.</summary>
    public static string ValueSubject(SluiceOptions options) => options.Kafka.Topics.Events + "-value";

    /// <summary>The generator's settings for a run: the configured traffic, up to <see cref="PipelineDemoSettings.Events"/> click records.</summary>
    public static GeneratorSettings GeneratorSettingsFor(SluiceOptions options, PipelineDemoSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        return GeneratorSettings.From(options.Generator, options.Kafka.Topics) with
        {
            MaxEvents = settings.Events ?? long.MaxValue,
            CdcTopic = options.Kafka.Topics.CdcUsers,
        };
    }

    /// <summary>Checks everything a run uses before anything starts: the <c>processor.*</c> keys as the topology reads them, and the generator's settings.</summary>
    /// <remarks>The rest of the configuration was checked when it was loaded; <see cref="RunAsync"/> calls this first.</remarks>
    /// <exception cref="ConfigurationException">Naming the first invalid key.</exception>
    public static void Validate(SluiceOptions options, PipelineDemoSettings settings)
    {
        ClickstreamProcessor.Validate(options);
        GeneratorSettingsFor(options, settings).Validate();
        if (settings.Processors < 1) throw new ArgumentOutOfRangeException(nameof(settings), settings.Processors, "a demo runs at least one processor member");
        foreach (var sink in settings.Sinks) SinkCatalog.Check(sink, options);
    }

    /// <summary>How click events travel in this run.</summary>
    public PayloadFormat Format => _settings.Format;

    /// <summary>The registry the run uses in Avro mode (embedded or configured); null until it is reached, and in JSON mode.</summary>
    public Uri? SchemaRegistryUrl => _registry?.Url;

    /// <summary>The id the registry gave the v3 event schema in Avro mode; 0 otherwise.</summary>
    public int SchemaId => _registry?.SchemaId ?? 0;

    /// <summary>Input records the broker deleted before the members read them (the embedded broker keeps 5 MiB per partition); non-zero means the run is not exact.</summary>
    public long LostInputRecords => _group.LostInput.Sum(l => l.Value);

    /// <summary>Processor members that own at least one partition, and the partitions owned in all.</summary>
    public (int Members, int Partitions) Ownership => _group.Ownership;

    /// <summary>Adds a service to the run, started after every other and stopped with them (a view of <see cref="Snapshot"/>); call before <see cref="RunAsync"/>.</summary>
    public void AddService(IHostedService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (Volatile.Read(ref _started) != 0) throw new InvalidOperationException("the demo has started; add services before RunAsync");
        _added.Add(service);
    }

    /// <summary>Runs the demo to its end (or until cancelled); then <see cref="Snapshot"/> holds the final tally and the ground truth.</summary>
    /// <exception cref="ConfigurationException">An invalid value (<see cref="Validate"/>), before anything has started.</exception>
    /// <exception cref="SluiceException">A service failed to start or failed while running (the first failure), or the brokers stayed away past <c>kafka.unavailableDeadline</c>.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("a demo runs once");
        Validate(_options, _settings);
        _clock.Start();
        try
        {
            using var checkpoints = new DemoCheckpointFolder();
            await using var alerts = QualityAlertDispatcher.FromOptions(_options.Quality, _loggers);
            _alerts = alerts;
            var builder = ProcessorHost.CreateBuilder("sluice-demo");
            Compose(builder.Services, checkpoints.Store);
            // RunAsync disposes the host, and with it the services in reverse order of creation: the broker and the
            // registry last, after every member has checkpointed and left the group.
            await builder.Build().RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _clock.Stop();
            _finished = true;
        }
        if (_cluster?.Unavailable is { } unavailable) throw unavailable;
        if (_failures.First is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    private void Compose(IServiceCollection services, ICheckpointStore store)
    {
        var group = _options.Processor.GroupId;
        services.AddSingleton<IHostedService>(sp => _cluster = _connected is null
            ? new KafkaClusterService(_options, _loggers, sp.GetRequiredService<IHostApplicationLifetime>())
            : new KafkaClusterService(_connected));
        if (Format == PayloadFormat.Avro)
            services.AddSingleton<IHostedService>(_ => _registry = new SchemaRegistryService(_options.SchemaRegistry, ValueSubject(_options)));
        services.AddSingleton<IHostedService>(_ => _reader = new OutputReaderService(() => Cluster.Factory, _topology, _settings.Probes?.OutputRead));

        var checkpoints = new CheckpointSettings(store, group, _options.Processor.CheckpointInterval);
        ProcessorHost.AddMembers(services, Math.Max(1, _settings.Processors),
            i => new ClickstreamProcessor(Cluster.Factory, _topology, group, $"processor-{i}", _loggers, _registry, checkpoints, _options.Processor.ExactlyOnce, _alerts),
            _group, _failures, _loggers.CreateLogger("Sluice.Demo.Member"), () => _inputDone);

        var generator = new GeneratorRun(GeneratorSettingsFor(_options, _settings), Format, _settings.Rate, _settings.Duration)
        {
            Wrap = _settings.Probes?.Producer,
        };
        services.AddSingleton<IHostedService>(sp => _generator = new GeneratorService(generator, () => Cluster.Factory, () => SchemaId,
            Paced, MaxLag, _failures, sp.GetRequiredService<IHostApplicationLifetime>()));

        var sinkLogger = _loggers.CreateLogger("Sluice.Sinks");
        // Each run reads the outputs in a group of its own: offsets a store kept for an earlier run's broker do not match
        // this one's topics (the embedded broker starts them at 0). Rows are upserted by stable id, so what an earlier run
        // stored is not duplicated.
        var run = Guid.NewGuid().ToString("N")[..12];
        foreach (var sink in DemoSinks.Configured(_options, _settings.Sinks, sinkLogger))
        {
            var runner = new SinkRunnerOptions
            {
                GroupId = $"{sink.GroupId}-demo-{run}",
                Topics = sink.Topics,
                BatchSize = _options.Sinks.BatchSize,
                BatchInterval = _options.Sinks.BatchInterval,
                MaxRetryDelay = _options.Sinks.MaxRetryDelay,
            };
            services.AddSingleton<IHostedService>(sp =>
            {
                Func<ISink> create = _settings.Probes?.Sink is { } wrap ? () => wrap(sink.Name, sink.Create()) : sink.Create;
                var service = new SinkService(sink.Name, create, () => Cluster.Factory, runner, _failures,
                    sp.GetRequiredService<IHostApplicationLifetime>(), sinkLogger);
                lock (_sinks) _sinks.Add(service);
                return service;
            });
        }

        services.AddSingleton<IHostedService>(sp => new DemoRunService(RunToEndAsync, _failures, sp.GetRequiredService<IHostApplicationLifetime>()));
        foreach (var added in _added) services.AddSingleton(added);
    }

    // What the producer is paced against, in click records: what the members have processed, less how far the slowest
    // store lags behind the output reader (in output records, about 1.4 per click record, so the bound is conservative).
    // The broker deletes a partition's oldest records beyond 5 MiB, outputs included: a store that fell further behind
    // would find its next records gone.
    private long Paced()
    {
        var processed = _group.Processed;
        long slowest = long.MaxValue;
        lock (_sinks)
        {
            foreach (var sink in _sinks) slowest = Math.Min(slowest, sink.Written);
        }
        if (slowest == long.MaxValue || _reader is not { } reader) return processed;
        return processed - Math.Max(0, reader.Read - slowest);
    }

    private KafkaClusterService Cluster => _cluster ?? throw new InvalidOperationException("the Kafka cluster service has not been created");

    // The run's course: production starts once the group has settled; when everything produced is processed the members
    // close their windows and stop, the reader reads the outputs to their ends, and the sinks store them.
    private async Task RunToEndAsync(CancellationToken ct)
    {
        await WaitForSettledGroupAsync(ct).ConfigureAwait(false);
        _clock.Restart(); // elapsed and throughput count from the first event, not from joining the group
        var generator = _generator!;
        generator.Start();
        await generator.Completion.WaitAsync(ct).ConfigureAwait(false);
        if (_failures.First is not null) return;

        // The user changes too, when the processors read them: the dimension's figures then cover every change sent.
        var changes = JoinsUsers ? generator.Manifest?.CdcRecords ?? 0 : 0;
        var lastProgress = (Processed: _group.Processed, At: DateTime.UtcNow);
        while (!ct.IsCancellationRequested && (_group.Processed < generator.Produced || _group.ChangesProcessed < changes))
        {
            await Task.Delay(50, ct).ConfigureAwait(false);
            if (_failures.First is not null) return;
            // Waiting for brokers that do not answer is reported by the availability watch, and bounded by its deadline.
            var progress = _group.Processed + _group.ChangesProcessed;
            if (progress != lastProgress.Processed || !Cluster.BrokersAnswer) lastProgress = (progress, DateTime.UtcNow);
            else if (DateTime.UtcNow - lastProgress.At > StallTimeout)
                throw new SluiceException(
                    $"processing stopped at {lastProgress.Processed:N0} of {generator.Produced:N0} records for {StallTimeout.TotalSeconds:0} s; " +
                    "the broker may have deleted records before they were read (see docs/embedded-broker.md)", isTransient: true);
        }
        // Everything produced is processed: the members close their windows and stop.
        _inputDone = true;
        await _group.Stopped.WaitAsync(ct).ConfigureAwait(false);
        if (_failures.First is not null) return;
        // The reader has followed the outputs live; it now reads up to their ends and stops.
        var reader = _reader!;
        reader.RequestDrain();
        if (await Task.WhenAny(reader.Completion, Task.Delay(TimeSpan.FromSeconds(60), ct)).ConfigureAwait(false) != reader.Completion)
            throw new SluiceException("reading the output topics did not reach their ends within 60 s", isTransient: true);
        await reader.Completion.ConfigureAwait(false);
        _final = reader.Snapshot();
        _clock.Stop();
        _sinkWait.Start();
        List<SinkService> sinks;
        lock (_sinks) sinks = [.. _sinks];
        foreach (var sink in sinks) await sink.WaitForEndsAsync(SinkCatchUpTimeout, ct).ConfigureAwait(false);
        // The clock stopped when the reader had drained; the sinks' wait ran on after it.
        _sinkWait.Stop();
        _stored = _clock.Elapsed + _sinkWait.Elapsed;
    }

    private readonly Stopwatch _sinkWait = new();

    /// <summary>From the first event produced until every output was read and every sink had stored it; null until then.</summary>
    public TimeSpan? StoredElapsed => _stored;

    // Production starts once every member owns partitions: the throughput counts from the first event, not from
    // joining the group, and no partition moves (checkpoint, restore, replay) while the run is measured.
    private async Task WaitForSettledGroupAsync(CancellationToken ct)
    {
        var partitions = _options.Kafka.Partitions;
        var wanted = Math.Min(Math.Max(1, _settings.Processors), partitions);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!ct.IsCancellationRequested)
        {
            var (owning, owned) = Ownership;
            if (owning >= wanted && owned >= partitions) return;
            if (DateTime.UtcNow > deadline)
                throw new SluiceException($"the processor group did not settle within 90 s ({owning} of {wanted} members own {owned} of {partitions} partitions)", isTransient: true);
            if (_failures.First is not null) return;
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public PipelineDemoSnapshot Snapshot()
    {
        var generator = _generator;
        Dictionary<string, long> sinks;
        lock (_sinks) sinks = _sinks.ToDictionary(s => s.Name, s => s.Written);
        return new PipelineDemoSnapshot(
            generator?.Produced ?? 0, _group.Processed, _clock.Elapsed, _final ?? _reader?.Snapshot() ?? OutputReaderService.Nothing,
            _group.Members.Select(m => m.Name).ToList(), generator?.Manifest is not null, _finished, Truth(generator), LostInputRecords, sinks);
    }

    private GroundTruth? Truth(GeneratorService? generator)
    {
        if (Volatile.Read(ref _truth) is { } truth) return truth;
        if (generator?.Manifest is not { } manifest) return null;
        Volatile.Write(ref _truth, GroundTruth.From(manifest));
        return _truth;
    }
}
