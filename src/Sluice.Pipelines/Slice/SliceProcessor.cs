using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.Core.Events;
using Sluice.Kafka;
using Sluice.Pipelines.DeadLetters;

namespace Sluice.Pipelines.Slice;

/// <summary>Live counters of one processor; read from any thread.</summary>
public sealed class ProcessorCounters
{
    private long _consumed, _valid, _deadLettered, _late;
    public long Consumed => Interlocked.Read(ref _consumed);
    public long Valid => Interlocked.Read(ref _valid);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    public long Late => Interlocked.Read(ref _late);
    internal void AddConsumed(long n) => Interlocked.Add(ref _consumed, n);
    internal void AddValid(long n) => Interlocked.Add(ref _valid, n);
    internal void AddDeadLettered(long n) => Interlocked.Add(ref _deadLettered, n);
    internal void AddLate(long n) => Interlocked.Add(ref _late, n);
}

/// <summary>
/// One member of the processor consumer group: decodes and validates click events, dead-letters the
/// invalid ones with a reason code, and counts the valid ones per type in event-time windows.
/// </summary>
/// <remarks>
/// Call order per batch: process records, wait until every dead letter of the batch is acknowledged by the
/// broker, then store the batch's offsets (auto-commit sends stored offsets). A record's offset is therefore
/// committed only after its effect is durable; a crash replays, never loses. Window rows are in memory.
/// </remarks>
public sealed class SliceProcessor
{
    private const int MaxBatch = 2000;

    private readonly KafkaClientFactory _factory;
    private readonly string _eventsTopic;
    private readonly string _dlqTopic;
    private readonly string _groupId;
    private readonly string _name;
    private readonly ILogger _logger;
    private readonly WindowCounts _counts;
    private readonly Lock _countsGate = new();
    private readonly ConcurrentDictionary<int, bool> _assigned = new();
    // Newest processed offset per partition in the current batch; stored once the batch's effects are durable.
    private readonly Dictionary<int, TopicPartitionOffset> _lastOffsets = [];
    private IProducer<string, byte[]>? _dlq;
    private long _failedDeliveries;

    public SliceProcessor(KafkaClientFactory factory, string eventsTopic, string dlqTopic, string groupId, string name,
        TimeSpan windowSize, TimeSpan maxOutOfOrderness, ILogger logger)
    {
        _factory = factory;
        _eventsTopic = eventsTopic;
        _dlqTopic = dlqTopic;
        _groupId = groupId;
        _name = name;
        _logger = logger;
        _counts = new WindowCounts(windowSize, maxOutOfOrderness);
    }

    public string Name => _name;
    public ProcessorCounters Counters { get; } = new();

    /// <summary>Rows whose window is final (or handed over on rebalance), in the order they closed.</summary>
    public ConcurrentQueue<WindowCountRow> ClosedRows { get; } = new();

    /// <summary>Partitions this member owns now.</summary>
    public IReadOnlyCollection<int> AssignedPartitions => _assigned.Keys.Order().ToArray();

    /// <summary>A copy of the rows still open, for a live view.</summary>
    public IReadOnlyList<WindowCountRow> SnapshotOpenRows()
    {
        lock (_countsGate)
        {
            return _counts.OpenRows().Select(r =>
            {
                var copy = new WindowCountRow(r.Start, r.End, r.Partition);
                r.ByType.CopyTo(copy.ByType, 0);
                return copy;
            }).ToList();
        }
    }

    /// <summary>Consumes until cancelled; then emits the open windows as final and leaves the group.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        using var dlq = _factory.CreateProducer($"{_name}-dlq");
        _dlq = dlq;
        using var consumer = _factory.CreateConsumer(_groupId, _name, b => b
            .SetPartitionsAssignedHandler((_, partitions) =>
            {
                foreach (var tp in partitions) _assigned[tp.Partition.Value] = true;
                _logger.LogInformation("{Processor} assigned {Partitions}", _name, string.Join(",", partitions.Select(p => p.Partition.Value)));
            })
            .SetPartitionsRevokedHandler((c, partitions) => HandOver(c, partitions.Select(p => p.Partition.Value)))
            .SetPartitionsLostHandler((c, partitions) => HandOver(c, partitions.Select(p => p.Partition.Value))));
        consumer.Subscribe(_eventsTopic);

        var closed = new List<WindowCountRow>();
        Action<DeliveryReport<string, byte[]>> onDelivered = r =>
        {
            if (r.Error.IsError) Interlocked.Increment(ref _failedDeliveries);
        };

        try
        {
            while (!ct.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null || result.IsPartitionEOF) continue;

                int batch = 0, deadLettered = 0, valid = 0;
                lock (_countsGate)
                {
                    do
                    {
                        if (Process(result, dlq, closed, onDelivered)) valid++; else deadLettered++;
                        _lastOffsets[result.Partition.Value] = result.TopicPartitionOffset;
                        batch++;
                    }
                    while (batch < MaxBatch && (result = consumer.Consume(TimeSpan.Zero)) is { IsPartitionEOF: false });
                }

                if (deadLettered > 0) FlushDeadLetters(ct);
                foreach (var offset in _lastOffsets.Values) StoreOffset(consumer, offset);
                _lastOffsets.Clear();
                Counters.AddConsumed(batch);
                Counters.AddValid(valid);
                Counters.AddDeadLettered(deadLettered);
                Publish(closed);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_countsGate) _counts.Flush(closed);
            Publish(closed);
            dlq.Flush(TimeSpan.FromSeconds(10));
            try { consumer.Commit(); } catch (KafkaException) { /* nothing stored since the last commit */ }
            consumer.Close();
        }
    }

    private bool Process(ConsumeResult<string, byte[]> result, IProducer<string, byte[]> dlq, List<WindowCountRow> closed,
        Action<DeliveryReport<string, byte[]>> onDelivered)
    {
        var payload = result.Message.Value ?? [];
        if (ClickEventJson.TryRead(payload, out var evt, out var error))
        {
            if (!_counts.Add(result.Partition.Value, evt!.Timestamp, evt.EventType, closed)) Counters.AddLate(1);
            return true;
        }

        _logger.LogDebug("dead letter {Topic}[{Partition}]@{Offset}: {Reason} {Detail}",
            result.Topic, result.Partition.Value, result.Offset.Value, error.ReasonCode, error.Detail);
        var record = new DeadLetterRecord(error.ReasonCode, error.Detail, result.Topic, result.Partition.Value,
            result.Offset.Value, DateTimeOffset.UtcNow, result.Message.Key, payload);
        var message = new Message<string, byte[]>
        {
            Key = result.Message.Key,
            Value = record.ToJson(),
            Headers = new Headers
            {
                { DeadLetterRecord.Headers.ReasonCode, System.Text.Encoding.UTF8.GetBytes(error.ReasonCode) },
                { DeadLetterRecord.Headers.SourceTopic, System.Text.Encoding.UTF8.GetBytes(result.Topic) },
            },
        };
        dlq.Produce(_dlqTopic, message, onDelivered);
        return false;
    }

    // Waits until every dead letter is acknowledged; a delivery that failed stops the processor rather
    // than committing past a record whose dead letter was lost.
    private void FlushDeadLetters(CancellationToken ct)
    {
        while (_dlq!.Flush(TimeSpan.FromSeconds(1)) > 0) ct.ThrowIfCancellationRequested();
        if (Interlocked.Read(ref _failedDeliveries) > 0)
            throw new Core.Errors.SluiceException($"{_name}: a dead letter could not be written to {_dlqTopic}; stopping before committing past it", isTransient: true);
    }

    private void StoreOffset(IConsumer<string, byte[]> consumer, TopicPartitionOffset offset)
    {
        try
        {
            consumer.StoreOffset(new TopicPartitionOffset(offset.TopicPartition, offset.Offset + 1));
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_State)
        {
            // The partition was revoked during the batch; its new owner resumes from the last commit.
        }
    }

    // Runs inside Consume, possibly in the middle of a batch: the rows handed over include that batch's
    // records, so their offsets are made durable and committed here too, or the next owner would count
    // them again.
    private void HandOver(IConsumer<string, byte[]> consumer, IEnumerable<int> partitions)
    {
        var closed = new List<WindowCountRow>();
        var list = partitions.ToList();
        lock (_countsGate)
        {
            FlushDeadLetters(CancellationToken.None);
            foreach (var p in list)
            {
                _counts.Revoke(p, closed);
                _assigned.TryRemove(p, out _);
                if (_lastOffsets.Remove(p, out var offset)) StoreOffset(consumer, offset);
            }
        }
        Publish(closed);
        try { consumer.Commit(); } catch (KafkaException) { /* nothing stored since the last commit */ }
        _logger.LogInformation("{Processor} handed over {Partitions}", _name, string.Join(",", list));
    }

    private void Publish(List<WindowCountRow> closed)
    {
        foreach (var row in closed) ClosedRows.Enqueue(row);
        closed.Clear();
    }
}
