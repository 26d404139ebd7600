using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Kafka;

namespace Sluice.Pipelines.Slice;

/// <summary>How long the demo runs and how hard it pushes.</summary>
public sealed record SliceDemoSettings
{
    /// <summary>Stop producing after this many events; null for no limit.</summary>
    public long? Events { get; init; }
    /// <summary>Stop producing after this long; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Events per second; 0 as fast as possible.</summary>
    public int Rate { get; init; }
    /// <summary>Processor group members to run in this process.</summary>
    public int Processors { get; init; } = 1;
}

/// <summary>What the demo has done so far; a consistent-enough snapshot for display.</summary>
public sealed record SliceDemoSnapshot(
    long Produced, long ProducedInvalid, long Consumed, long Valid, long DeadLettered, long Late,
    TimeSpan Elapsed, IReadOnlyList<(string Name, IReadOnlyCollection<int> Partitions)> Members,
    IReadOnlyList<WindowCountRow> ClosedRows, IReadOnlyList<WindowCountRow> OpenRows, bool ProducerDone, bool Finished);

/// <summary>
/// The first vertical slice: a producer writes click events to the events topic, processors in one consumer
/// group validate and count them, invalid records go to the dead-letter topic.
/// </summary>
public sealed class SliceDemo
{
    private readonly SluiceOptions _options;
    private readonly KafkaClientFactory _factory;
    private readonly SliceDemoSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly List<SliceProcessor> _processors = [];
    private readonly List<WindowCountRow> _closed = [];
    private readonly Stopwatch _clock = new();
    private long _produced, _producedInvalid;
    private volatile bool _producerDone, _finished;

    public SliceDemo(SluiceOptions options, KafkaClientFactory factory, SliceDemoSettings settings, ILoggerFactory loggers)
    {
        _options = options;
        _factory = factory;
        _settings = settings;
        _loggers = loggers;
        for (var i = 0; i < Math.Max(1, settings.Processors); i++)
        {
            _processors.Add(new SliceProcessor(factory, options.Kafka.Topics.Events, options.Kafka.Topics.Dlq,
                options.Processor.GroupId, $"processor-{i + 1}", options.Processor.WindowSize,
                options.Processor.MaxOutOfOrderness, loggers.CreateLogger<SliceProcessor>()));
        }
    }

    /// <summary>Runs until the producer is done and every produced record is processed, or until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        using var stopProcessors = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var processorTasks = _processors.Select(p => p.RunAsync(stopProcessors.Token)).ToList();
        try
        {
            await Task.Factory.StartNew(() => Produce(cancellationToken), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            // Drain: every produced record is consumed once (the DLQ counts too).
            while (!cancellationToken.IsCancellationRequested && Consumed() < Interlocked.Read(ref _produced))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                Faulted(processorTasks);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stopProcessors.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(processorTasks).ConfigureAwait(false);
            _clock.Stop();
            _finished = true;
        }
    }

    /// <summary>The current state, for the live view and the summary.</summary>
    public SliceDemoSnapshot Snapshot()
    {
        lock (_closed)
        {
            foreach (var p in _processors)
                while (p.ClosedRows.TryDequeue(out var row)) _closed.Add(row);
            return new SliceDemoSnapshot(
                Interlocked.Read(ref _produced), Interlocked.Read(ref _producedInvalid), Consumed(),
                _processors.Sum(p => p.Counters.Valid), _processors.Sum(p => p.Counters.DeadLettered), _processors.Sum(p => p.Counters.Late),
                _clock.Elapsed, _processors.Select(p => (p.Name, p.AssignedPartitions)).ToList(),
                _closed.ToList(), _processors.SelectMany(p => p.SnapshotOpenRows()).ToList(), _producerDone, _finished);
        }
    }

    private long Consumed() => _processors.Sum(p => p.Counters.Consumed);

    private static void Faulted(List<Task> tasks)
    {
        foreach (var t in tasks)
            if (t.IsFaulted) t.GetAwaiter().GetResult();
    }

    private void Produce(CancellationToken ct)
    {
        var logger = _loggers.CreateLogger<SliceDemo>();
        var traffic = new SliceTraffic(_options.Generator.Seed, _options.Generator.Users, _options.Generator.InvalidRate, DateTimeOffset.UtcNow);
        using var producer = _factory.CreateProducer("demo-producer");
        var topic = _options.Kafka.Topics.Events;
        var deliveryErrors = 0L;
        Action<DeliveryReport<string, byte[]>> onDelivered = r =>
        {
            if (r.Error.IsError && Interlocked.Increment(ref deliveryErrors) == 1)
                logger.LogError("producing to {Topic} failed: {Reason}", topic, r.Error.Reason);
        };
        var started = Stopwatch.StartNew();
        long n = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (_settings.Events is { } max && n >= max) break;
                if (_settings.Duration is { } d && started.Elapsed >= d) break;
                if (_settings.Rate > 0)
                {
                    // Pace by schedule, not by sleeping a fixed time per event: stays accurate at any rate.
                    var due = (long)(started.Elapsed.TotalSeconds * _settings.Rate);
                    if (n >= due) { Thread.Sleep(5); continue; }
                }
                var record = traffic.Next();
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, new Message<string, byte[]> { Key = record.Key, Value = record.Payload }, onDelivered);
                        break;
                    }
                    catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10)); // back-pressure: wait for the queue to drain
                    }
                }
                n++;
                if (record.IsInvalid) Interlocked.Increment(ref _producedInvalid);
                Interlocked.Exchange(ref _produced, n);
            }
        }
        finally
        {
            while (producer.Flush(TimeSpan.FromSeconds(1)) > 0 && !ct.IsCancellationRequested) { }
            _producerDone = true;
        }
        if (Interlocked.Read(ref deliveryErrors) > 0)
            throw new Core.Errors.SluiceException($"{deliveryErrors} events could not be delivered to {topic}; see the log above", isTransient: true);
    }
}
