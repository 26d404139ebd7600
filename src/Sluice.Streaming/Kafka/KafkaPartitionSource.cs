using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Processing;
using StreamTopicPartition = Sluice.Streaming.Processing.TopicPartition;

namespace Sluice.Streaming.Kafka;

/// <summary>An <see cref="IPartitionSource"/> over a Confluent.Kafka consumer in a consumer group.</summary>
/// <remarks>
/// <para>Rebalance callbacks arrive inside <see cref="Poll"/> on the polling thread, as the engine requires. On assignment
/// the source asks the broker for each new partition's committed offset and log start and end, and a
/// <see cref="IRestoringAssignmentListener"/> (the commit coordinator) answers where each partition starts: the assigned
/// handler returns those offsets to the consumer, which works with cooperative-sticky incremental assignment too. Any
/// other listener starts from the committed offset, or the log start when nothing is committed.</para>
/// <para>The source tracks each partition's position (the next offset to read) and commits positions only when told
/// (<see cref="Commit()"/>), by storing them for the consumer's auto-commit; flushing outputs and checkpointing before
/// that are the coordinator's job. Revocations go
/// to the listener, which commits before the partitions are handed back; lost partitions, and revocations while the
/// consumer closes, go to <see cref="IAssignmentListener.OnLost"/> and commit nothing.</para>
/// </remarks>
public sealed class KafkaPartitionSource : IPartitionSource
{
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(30);
    private readonly KafkaClientFactory _factory;
    private readonly string _groupId;
    private readonly Dictionary<StreamTopicPartition, long> _positions = [];
    private readonly Dictionary<StreamTopicPartition, long> _stored = [];
    private IConsumer<byte[]?, byte[]>? _consumer;
    private IAssignmentListener? _listener;
    private bool _closing;
    private IReadOnlyDictionary<StreamTopicPartition, long> _lag = new Dictionary<StreamTopicPartition, long>();

    public KafkaPartitionSource(KafkaClientFactory factory, string groupId)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        _groupId = groupId;
    }

    public void Subscribe(IReadOnlyCollection<string> topics, IAssignmentListener listener)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _listener = listener ?? throw new ArgumentNullException(nameof(listener));
        if (_consumer is not null) ThrowHelper.Throw("the partition source is already subscribed; create one source per runner");
        _consumer = _factory.CreateConsumer<byte[]?, byte[]>(_groupId, "streams", b => b
            .SetPartitionsAssignedHandler((c, assigned) => Assign(c, assigned))
            .SetPartitionsRevokedHandler((_, revoked) => HandBack(revoked.ConvertAll(p => p.TopicPartition), lost: _closing))
            .SetPartitionsLostHandler((_, lost) => HandBack(lost.ConvertAll(p => p.TopicPartition), lost: true)));
        _consumer.Subscribe(topics);
    }

    public SourceRecord? Poll(TimeSpan timeout)
    {
        var consumer = _consumer ?? ThrowNotSubscribed();
        var result = consumer.Consume(timeout);
        if (result?.Message is not { } message) return null;
        List<RecordHeader>? headers = null;
        if (message.Headers is { Count: > 0 })
        {
            headers = new List<RecordHeader>(message.Headers.Count);
            foreach (var h in message.Headers) headers.Add(new RecordHeader(h.Key, h.GetValueBytes()));
        }
        return new SourceRecord(
            result.Topic, result.Partition.Value, result.Offset.Value, message.Timestamp.UnixTimestampMs,
            message.Key, message.Value ?? [], headers);
    }

    public void MarkProcessed(in SourceRecord record)
    {
        _positions[record.TopicPartition] = record.Offset + 1;
    }

    public long? PositionOf(StreamTopicPartition partition) => _positions.TryGetValue(partition, out var next) ? next : null;

    /// <summary>The consumer's group metadata (group, generation, member) for a transaction's offsets; null before subscribing.</summary>
    public IConsumerGroupMetadata? GroupMetadata => _consumer?.ConsumerGroupMetadata;

    /// <summary>
    /// When set, <see cref="Commit()"/> (never called from a rebalance callback) also commits the stored offsets at once
    /// instead of leaving them to the auto-commit interval. Exactly-once needs the committed offsets current after every
    /// transaction, because a restore compares checkpoints with them: a real broker commits them with the transaction,
    /// the embedded one does not store offsets sent in a transaction.
    /// </summary>
    public bool CommitSynchronously { get; init; }

    /// <summary>Records each assigned partition holds beyond the position (log end − position), as of the last <see cref="Commit()"/>; read from any thread.</summary>
    /// <remarks>Refreshed on the poll thread at each commit from the log end the consumer's fetches last reported (no request is made).</remarks>
    public IReadOnlyDictionary<StreamTopicPartition, long> Lag => Volatile.Read(ref _lag);

    public void Commit()
    {
        Commit(_positions.Keys);
        RefreshLag();
        if (!CommitSynchronously || _closing || _stored.Count == 0) return;
        try
        {
            _consumer!.Commit(_stored.Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value)));
        }
        catch (KafkaException ex) when (IsRebalanceError(ex.Error.Code))
        {
            // Handed back meanwhile: the new owner restores from the checkpoint the transaction committed.
        }
    }

    public void Commit(IReadOnlyCollection<StreamTopicPartition> partitions) => Commit((IEnumerable<StreamTopicPartition>)partitions);

    // Stores the positions for the consumer's own commit, which sends them within auto.commit.interval.ms, and at once
    // for partitions being handed back and on close. A synchronous commit is not made: from inside a rebalance callback
    // it waited forever (the group cannot finish the rebalance until the callback returns, and the mock coordinator
    // answers a commit only once it has), and after a checkpoint it need not be immediate, because the restore point
    // is the checkpoint's offsets, not the committed ones.
    private void Commit(IEnumerable<StreamTopicPartition> partitions)
    {
        var consumer = _consumer ?? ThrowNotSubscribed();
        if (_closing) return;
        List<StreamTopicPartition>? stored = null;
        foreach (var tp in partitions)
        {
            if (!_positions.TryGetValue(tp, out var next)) continue;
            if (_stored.TryGetValue(tp, out var done) && done == next) continue;
            if (!TryStore(consumer, new TopicPartitionOffset(tp.Topic, tp.Partition, next))) continue;
            (stored ??= []).Add(tp);
        }
        if (stored is null) return;
        foreach (var tp in stored) _stored[tp] = _positions[tp];
    }

    // A partition taken away by a rebalance no longer accepts offsets: not an error, its new owner resumes from the
    // last checkpoint or commit.
    private static bool TryStore(IConsumer<byte[]?, byte[]> consumer, TopicPartitionOffset offset)
    {
        try
        {
            consumer.StoreOffset(offset);
            return true;
        }
        catch (KafkaException ex) when (IsRebalanceError(ex.Error.Code))
        {
            return false;
        }
    }

    private static bool IsRebalanceError(ErrorCode code) => code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
        or ErrorCode.UnknownMemberId or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost or ErrorCode.FencedInstanceId
        or ErrorCode.Local_UnknownPartition;

    /// <remarks>
    /// Leaves the group. Whoever runs the source flushes, checkpoints and commits first (the runner's coordinator does
    /// on stop), while the consumer still serves requests. <c>Close</c> revokes the assignment through the same callback
    /// as a rebalance, and a synchronous commit made from inside that callback can wait forever: the closing consumer no
    /// longer serves the commit's answer (a test run hung exactly there). So revocations during close are reported as lost.
    /// </remarks>
    public void Dispose()
    {
        if (_consumer is null) return;
        _closing = true;
        var consumer = _consumer;
        _consumer = null;
        _factory.Close(consumer);
    }

    private void RefreshLag()
    {
        if (_consumer is not { } consumer || _closing) return;
        var lag = new Dictionary<StreamTopicPartition, long>(_positions.Count);
        foreach (var (tp, next) in _positions)
        {
            var end = consumer.GetWatermarkOffsets(new Confluent.Kafka.TopicPartition(tp.Topic, tp.Partition)).High;
            if (end != Offset.Unset) lag[tp] = Math.Max(0, end.Value - next);
        }
        Volatile.Write(ref _lag, lag);
    }

    private List<TopicPartitionOffset> Assign(IConsumer<byte[]?, byte[]> consumer, List<Confluent.Kafka.TopicPartition> assigned)
    {
        var starts = Starts(consumer, assigned);
        IReadOnlyDictionary<StreamTopicPartition, long>? chosen = null;
        if (_listener is IRestoringAssignmentListener restoring) chosen = restoring.OnAssigned(starts);
        else _listener!.OnAssigned(Convert(assigned));
        var offsets = new List<TopicPartitionOffset>(starts.Count);
        foreach (var start in starts)
        {
            var offset = chosen is not null && chosen.TryGetValue(start.Partition, out var o) ? o : start.Committed ?? start.LogStart;
            _positions[start.Partition] = offset;
            _stored.Remove(start.Partition);
            if (start.Committed == offset) _stored[start.Partition] = offset;
            offsets.Add(new TopicPartitionOffset(start.Partition.Topic, start.Partition.Partition, offset));
        }
        return offsets;
    }

    // Committed offsets in one request, watermarks per partition: a few round trips per rebalance, none per record.
    private static List<PartitionStart> Starts(IConsumer<byte[]?, byte[]> consumer, List<Confluent.Kafka.TopicPartition> assigned)
    {
        var committed = new Dictionary<StreamTopicPartition, long>();
        if (assigned.Count > 0)
        {
            foreach (var c in consumer.Committed(assigned, BrokerTimeout))
                if (c.Offset.Value >= 0) committed[new StreamTopicPartition(c.Topic, c.Partition.Value)] = c.Offset.Value;
        }
        var starts = new List<PartitionStart>(assigned.Count);
        foreach (var tp in assigned)
        {
            var watermarks = consumer.QueryWatermarkOffsets(tp, BrokerTimeout);
            var partition = new StreamTopicPartition(tp.Topic, tp.Partition.Value);
            starts.Add(new PartitionStart(partition, committed.TryGetValue(partition, out var c) ? c : null, watermarks.Low.Value, watermarks.High.Value));
        }
        return starts;
    }

    private void HandBack(List<Confluent.Kafka.TopicPartition> partitions, bool lost)
    {
        var converted = Convert(partitions);
        if (lost) _listener!.OnLost(converted);
        else _listener!.OnRevoked(converted);
        foreach (var tp in converted)
        {
            _positions.Remove(tp);
            _stored.Remove(tp);
        }
    }

    private static List<StreamTopicPartition> Convert(List<Confluent.Kafka.TopicPartition> partitions) =>
        partitions.ConvertAll(p => new StreamTopicPartition(p.Topic, p.Partition.Value));

    private static IConsumer<byte[]?, byte[]> ThrowNotSubscribed() =>
        throw new SluiceException("the partition source is not subscribed; call Subscribe first");
}
