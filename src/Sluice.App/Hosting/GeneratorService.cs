using Microsoft.Extensions.Hosting;
using Sluice.Core.Errors;
using Sluice.Generate;
using Sluice.Generate.Manifests;
using Sluice.Generate.Pacing;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;

namespace Sluice.App.Hosting;

/// <summary>How a <see cref="GeneratorService"/> produces: what, in which format, how fast, for how long.</summary>
/// <param name="Settings">The generator's settings, validated (<see cref="GeneratorSettings.Validate"/>).</param>
/// <param name="Rate">Click records per second; 0 as fast as possible.</param>
/// <param name="Duration">Wall-clock time to produce for; null for no limit (then <see cref="GeneratorSettings.MaxEvents"/> ends it).</param>
public sealed record GeneratorRun(GeneratorSettings Settings, PayloadFormat Format, int Rate, TimeSpan? Duration)
{
    /// <summary>Wraps the Kafka writer (a measuring point); null writes as it is.</summary>
    public Func<ITrafficWriter, ITrafficWriter>? Wrap { get; init; }
}

/// <summary>The traffic generator writing to Kafka, as a hosted service: it produces once told to start, and keeps the manifest of what it sent.</summary>
/// <remarks>
/// Production waits for <see cref="Start"/>, so a run can hold it back until its consumers are ready. While it is more than
/// <paramref name="maxLag"/> click records ahead of <paramref name="consumed"/> it pauses: the embedded broker keeps only
/// 5 MiB per partition, and an unpaced producer that ran further ahead would see its oldest unread records deleted;
/// against a real cluster this is ordinary back-pressure. A failure is recorded in <paramref name="failures"/> and stops the host.
/// </remarks>
/// <param name="schemaId">The registry id of the v3 event schema, read when production starts (Avro only).</param>
public sealed class GeneratorService(
    GeneratorRun run, Func<KafkaClientFactory> factory, Func<int> schemaId, Func<long> consumed, long maxLag,
    ProcessorFailures failures, IHostApplicationLifetime lifetime)
    : BackgroundService
{
    private readonly TaskCompletionSource _start = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _produced;
    private ManifestBuilder? _manifest;

    /// <summary>Click records produced so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>What the generator sent, once it has stopped producing; null before.</summary>
    public ManifestBuilder? Manifest => Volatile.Read(ref _manifest);

    /// <summary>Completes when production has ended (its end reached, stopped, or failed).</summary>
    public Task Completion => ExecuteTask ?? Task.CompletedTask;

    /// <summary>Lets production begin.</summary>
    public void Start() => _start.TrySetResult();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _start.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            await Task.Factory.StartNew(() => Produce(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failures.Record(ex);
            lifetime.StopApplication();
        }
    }

    private void Produce(CancellationToken ct)
    {
        NameThread("sl-generator");
        var generator = new ClickstreamGenerator(run.Settings);
        var manifest = new ManifestBuilder();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (run.Duration is { } d) stop.CancelAfter(d);
        var kafka = KafkaTrafficWriter.Create(factory(), "demo-producer");
        ITrafficWriter wire = run.Format == PayloadFormat.Avro ? new AvroTrafficWriter(kafka, schemaId()) : kafka;
        if (run.Wrap is { } wrap) wire = wrap(wire);
        using var writer = new BackPressureWriter(wire, this, stop.Token);
        try
        {
            GeneratorRunner.Run(generator, writer, run.Rate > 0 ? Pacer.Rate(run.Rate) : Pacer.Max, manifest,
                p => Interlocked.Exchange(ref _produced, p.ClickRecords), stop.Token);
        }
        finally
        {
            Interlocked.Exchange(ref _produced, manifest.ClickRecords);
            Volatile.Write(ref _manifest, manifest);
        }
        if (kafka.Failed > 0)
            throw new SluiceException($"{kafka.Failed} records could not be delivered to {run.Settings.EventsTopic}; see the log above", isTransient: true);
    }

    // Holds the producer back while it is more than maxLag click records ahead of the consumers.
    private sealed class BackPressureWriter(ITrafficWriter inner, GeneratorService service, CancellationToken ct) : ITrafficWriter
    {
        private long _written;

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click && (++_written & 1023) == 0)
            {
                while (_written - service.Consumed() > service.MaxLag && !ct.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref service._produced, _written);
                    Thread.Sleep(5);
                }
            }
            inner.Write(record);
        }

        public void Flush(CancellationToken cancellationToken = default) => inner.Flush(cancellationToken);

        public void Dispose() => inner.Dispose();
    }

    private long Consumed() => consumed();

    // The operating system's name of the thread (/proc/self/task/*/comm), so profiles can tell the stages apart; the
    // thread is the task's own (LongRunning), so renaming it touches no pool thread.
    internal static void NameThread(string name)
    {
        try
        {
            Thread.CurrentThread.Name = name;
        }
        catch (InvalidOperationException)
        {
        }
    }

    private long MaxLag => maxLag;
}
