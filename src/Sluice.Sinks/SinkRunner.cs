using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Sluice.Core.Diagnostics;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.Sinks;

/// <summary>Feeds one sink from the output topics: a Kafka consumer in the sink's own group, batches, retries, stored offsets.</summary>
/// <remarks>
/// <para>On assignment the runner asks the sink for the offsets it stored with its rows and seeks there; Kafka's committed
/// offsets are written after each batch only so that lag shows in the usual tools. Records are gathered into a batch
/// until <see cref="SinkRunnerOptions.BatchSize"/> or <see cref="SinkRunnerOptions.BatchInterval"/>, then written whole.</para>
/// <para>A write that fails transiently (the store is down or restarting) is retried with exponential backoff behind a
/// circuit breaker, and nothing is read meanwhile: memory stays at one batch and nothing is dropped. A partition taken
/// away in a rebalance loses its records not yet written; they were not stored, so its next owner reads them again.</para>
/// </remarks>
public sealed class SinkRunner : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly ISink _sink;
    private readonly SinkRunnerOptions _options;
    private readonly ILogger _logger;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly ResiliencePipeline _resilience;
    private readonly List<SinkRecord> _pending;
    private readonly Dictionary<SinkPartition, long> _assignedAt = [];
    private readonly HashSet<SinkPartition> _owned = [];
    private readonly HashSet<string> _missingTopics = new(StringComparer.Ordinal);
    private int _nextLatencySample;
    private long _written;
    private long _batches;
    private int _attempts;
    private long _retries;
    private int _circuit;
    private CancellationToken _stop;

    public SinkRunner(ISink sink, KafkaClientFactory factory, SinkRunnerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Topics.Count == 0) throw new ArgumentException("a sink reads at least one topic", nameof(options));
        _sink = sink;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _pending = new List<SinkRecord>(Math.Min(options.BatchSize, 100_000));
        _resilience = BuildResilience();
        _consumer = factory.CreateConsumer<byte[], byte[]>(options.GroupId, $"sink-{sink.Name}", b => b
            .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => Forget(partitions.Select(p => p.TopicPartition), "revoked"))
            .SetPartitionsLostHandler((_, partitions) => Forget(partitions.Select(p => p.TopicPartition), "lost")));
    }

    /// <summary>Records stored so far by this runner.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Batches stored so far by this runner.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Failed attempts to write a batch that were retried.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The sink's name (the store it writes).</summary>
    public string Name => _sink.Name;

    /// <summary>The circuit breaker's state now: 0 closed (writing), 1 open (not attempting), 2 half-open (one trial write).</summary>
    public int CircuitState => Volatile.Read(ref _circuit);

    /// <summary>Partitions of the output topics this runner is assigned now.</summary>
    public int AssignedPartitions
    {
        get { lock (_assignedAt) return _owned.Count; }
    }

    /// <summary>Where each partition started when it was last assigned: the stored offset, or 0 for one never written.</summary>
    public IReadOnlyDictionary<SinkPartition, long> AssignedAt
    {
        get { lock (_assignedAt) return new Dictionary<SinkPartition, long>(_assignedAt); }
    }

    /// <summary>Reads and writes until <paramref name="stop"/>, then writes what it holds and leaves the group.</summary>
    /// <exception cref="SluiceException">A write failed for good (not transiently), or the last batch could not be written before <see cref="SinkRunnerOptions.ShutdownTimeout"/>.</exception>
    public void Run(CancellationToken stop)
    {
        _stop = stop;
        SinkInstruments.Attach(this);
        _consumer.Subscribe(_options.Topics);
        _logger.LogInformation("{Sink}: reading {Topics} in group {Group}, batches of up to {Size:N0} records or {Interval} s",
            _sink.Name, string.Join(", ", _options.Topics), _options.GroupId, _options.BatchSize, _options.BatchInterval.TotalSeconds);
        var deadline = long.MaxValue;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var wait = _pending.Count == 0 ? PollInterval : TimeSpan.FromTicks(Math.Clamp(deadline - Stopwatch.GetTimestamp(), 0, PollInterval.Ticks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
                var result = Consume(wait);
                if (result is { IsPartitionEOF: false, Message: { } m })
                {
                    if (_pending.Count == 0) deadline = Stopwatch.GetTimestamp() + (long)(_options.BatchInterval.TotalSeconds * Stopwatch.Frequency);
                    _pending.Add(new SinkRecord(result.Topic, result.Partition.Value, result.Offset.Value, m.Timestamp.UnixTimestampMs, m.Key, m.Value));
                }
                if (_pending.Count >= _options.BatchSize || (_pending.Count > 0 && Stopwatch.GetTimestamp() >= deadline))
                    Flush(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped while waiting for the store: the batch is still held, and gets one last chance below.
        }
        try
        {
            FlushOnStop();
        }
        finally
        {
            SinkInstruments.Detach(this);
        }
        _consumer.Close();
    }

    // A subscribed topic that does not exist yet (the quality topic before a processor with quality.enabled has run, or
    // before `sluice broker` created it) is reported by every poll's metadata as an error; the other topics are read
    // meanwhile, and the group assigns the topic's partitions once it exists (at the consumer's next metadata refresh).
    private ConsumeResult<byte[], byte[]>? Consume(TimeSpan wait)
    {
        try
        {
            return _consumer.Consume(wait);
        }
        catch (ConsumeException ex) when (ex.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownTopic)
        {
            if (_missingTopics.Add(ex.Error.Reason))
                _logger.LogWarning("{Sink}: {Reason}; reading the other topics, and this one once it exists", _sink.Name, ex.Error.Reason);
            return null;
        }
    }

    private void FlushOnStop()
    {
        if (_pending.Count == 0) return;
        using var timeout = new CancellationTokenSource(_options.ShutdownTimeout);
        try
        {
            Flush(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            ThrowHelper.Throw($"{_sink.Name}: stopped before the last batch of {_pending.Count:N0} records could be written within " +
                $"{_options.ShutdownTimeout.TotalSeconds:0} s; nothing is lost: they are read again on the next start");
        }
    }

    private void Flush(CancellationToken cancellationToken)
    {
        var batch = new SinkBatch(_options.GroupId, _pending.ToArray());
        _attempts = 0;
        var watch = Stopwatch.StartNew();
        _resilience.Execute(static (state, ct) =>
        {
            state.Runner._attempts++;
            state.Runner._sink.Write(state.Batch, ct);
        }, (Runner: this, Batch: batch), cancellationToken);
        if (_attempts > 1)
            _logger.LogInformation("{Sink}: batch of {Records:N0} records written after {Attempts} attempts ({Seconds:0.0} s)",
                _sink.Name, batch.Count, _attempts, watch.Elapsed.TotalSeconds);
        SinkInstruments.BatchDuration.Record(watch.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("sink", _sink.Name));
        SampleLatency(batch);
        Interlocked.Add(ref _written, batch.Count);
        Interlocked.Increment(ref _batches);
        _pending.Clear();
        _options.AfterWrite?.Invoke(batch);
        CommitToKafka(batch);
    }

    // One stored row in LatencySampleEvery, counted across batches, so a row costs nothing unless it is measured.
    private void SampleLatency(SinkBatch batch)
    {
        var records = batch.Records;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var i = _nextLatencySample;
        for (; i < records.Count; i += SinkInstruments.LatencySampleEvery)
            if (records[i].Timestamp > 0)
                SinkInstruments.Latency.Record(LatencyBuckets.Between(records[i].Timestamp, now), new KeyValuePair<string, object?>("sink", _sink.Name));
        _nextLatencySample = i - records.Count;
    }

    // Only so that consumer-group tools show the sink's lag: the offsets stored with the rows are the ones that count.
    private void CommitToKafka(SinkBatch batch)
    {
        try
        {
            _consumer.Commit(batch.NextOffsets.Select(p => new TopicPartitionOffset(p.Key.Topic, p.Key.Partition, p.Value)));
        }
        catch (KafkaException ex)
        {
            _logger.LogDebug("{Sink}: committing offsets to Kafka failed ({Reason}); the stored offsets are unaffected", _sink.Name, ex.Error.Reason);
        }
    }

    private IEnumerable<TopicPartitionOffset> Assigned(List<TopicPartition> partitions)
    {
        // Read fresh on every assignment: another member of the group may have stored offsets since.
        var stored = _resilience.Execute(ct => _sink.ReadOffsets(_options.GroupId, ct), _stop);
        var result = new List<TopicPartitionOffset>(partitions.Count);
        lock (_assignedAt)
        {
            foreach (var tp in partitions)
            {
                var key = new SinkPartition(tp.Topic, tp.Partition.Value);
                var next = stored.TryGetValue(key, out var o) ? o : 0;
                _assignedAt[key] = next;
                _owned.Add(key);
                result.Add(new TopicPartitionOffset(tp, stored.ContainsKey(key) ? new Offset(next) : Offset.Beginning));
            }
        }
        _logger.LogInformation("{Sink}: assigned {Partitions}", _sink.Name,
            string.Join(", ", result.Select(r => $"{r.Topic}[{r.Partition.Value}]@{(r.Offset == Offset.Beginning ? "start" : r.Offset.Value)}")));
        return result;
    }

    private void Forget(IEnumerable<TopicPartition> partitions, string how)
    {
        var gone = partitions.Select(p => (p.Topic, p.Partition.Value)).ToHashSet();
        lock (_assignedAt) _owned.RemoveWhere(p => gone.Contains((p.Topic, p.Partition)));
        var dropped = _pending.RemoveAll(r => gone.Contains((r.Topic, r.Partition)));
        if (dropped > 0)
            _logger.LogInformation("{Sink}: {Count:N0} records of {How} partitions not yet written were let go; their next owner reads them from the stored offsets",
                _sink.Name, dropped, how);
    }

    private ResiliencePipeline BuildResilience()
    {
        var transient = new PredicateBuilder().Handle<SluiceException>(e => e.IsTransient);
        // The break never outlasts the retry cap: sinks.maxRetryDelay is the promise of how soon a returning store is used.
        var breakDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(500).Ticks,
            Math.Min(_options.BreakDuration.Ticks, _options.MaxRetryDelay.Ticks)));
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                // Wait for the store as long as it takes: dropping the batch is never an option, and stopping would only
                // move the wait to whoever restarts the sink.
                ShouldHandle = new PredicateBuilder().Handle<SluiceException>(e => e.IsTransient).Handle<BrokenCircuitException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                MaxDelay = _options.MaxRetryDelay,
                // While the circuit is open, the next attempt is the moment it half-opens: no later, so a store that
                // returns is written to again within one break (at most MaxRetryDelay), not a break plus a backoff.
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is BrokenCircuitException { RetryAfter: { } after } ? after + TimeSpan.FromMilliseconds(10) : (TimeSpan?)null),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    if (args.Outcome.Exception is not BrokenCircuitException)
                        _logger.LogWarning("{Sink}: {Error}; waiting {Delay:0.0} s before attempt {Attempt}, reading nothing meanwhile",
                            _sink.Name, args.Outcome.Exception?.Message, args.RetryDelay.TotalSeconds, args.AttemptNumber + 2);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = 1.0,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(Math.Max(10, breakDuration.TotalSeconds * 4)),
                BreakDuration = breakDuration,
                OnOpened = args =>
                {
                    Volatile.Write(ref _circuit, 1);
                    _logger.LogWarning("{Sink}: circuit open after repeated failures: no attempt for {Seconds:0} s", _sink.Name, args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Volatile.Write(ref _circuit, 2);
                    return default;
                },
                OnClosed = _ =>
                {
                    Volatile.Write(ref _circuit, 0);
                    _logger.LogInformation("{Sink}: the store answers again; circuit closed", _sink.Name);
                    return default;
                },
            })
            .Build();
    }

    public void Dispose() => _consumer.Dispose();
}
