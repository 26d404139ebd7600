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
/// <para>Table topics (user changes) are not in the group: a second consumer, outside any group, is assigned each table's
/// partitions at the numbers the group gave this member, and gives them back with them, so a task always holds its table
/// partition beside its events whatever the assignor does. Their positions are never committed: they live in the task's
/// checkpoint with the table's state, and without one the task reads the table from the log start to build that state
/// again. A table's buffered records are read before the events (one empty look every 64 events), so the table is as
/// current as the consumer can make it when an event is joined.</para>
/// </remarks>
public sealed class KafkaPartitionSource : IPartitionSource
{
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(30);
    private readonly KafkaClientFactory _factory;
    private readonly string _groupId;
    private readonly Dictionary<StreamTopicPartition, long> _positions = [];
    private readonly Dictionary<StreamTopicPartition, long> _stored = [];
    private IConsumer<byte[]?, byte[]>? _consumer;
    private IConsumer<byte[]?, byte[]>? _tables;
    private IReadOnlyList<string> _tableTopics = [];
    private int _tableCountdown;
    private bool _tableHasMore;
    private bool _makeTables;
    // Table partitions assigned behind their log end: read to that end before any event, as a state store is restored
    // before its task processes, so the first events join with the table as it stood when the partition came.
    private readonly Dictionary<StreamTopicPartition, long> _catchUp = [];
    private DateTime _catchUpDeadline;
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(60);
    private IAssignmentListener? _listener;
    private bool _closing;
    private IReadOnlyDictionary<StreamTopicPartition, long> _lag = new Dictionary<StreamTopicPartition, long>();

    public KafkaPartitionSource(KafkaClientFactory factory, string groupId)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        _groupId = groupId;
    }

    public void Subscribe(IReadOnlyCollection<string> topics, IAssignmentListener listener) => Subscribe(topics, [], listener);

    public void Subscribe(IReadOnlyCollection<string> topics, IReadOnlyCollection<string> tableTopics, IAssignmentListener listener)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(tableTopics);
        _tableTopics = [.. tableTopics];
        // Outside the group (a group id of its own that it never joins): the tables follow the group's assignment.
        _makeTables = _tableTopics.Count > 0;
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
        if (_catchUp.Count > 0) return CatchUp(timeout);
        if (_tables is not null && (_tableHasMore || --_tableCountdown <= 0) && TryTable(out var change)) return change;
        var result = consumer.Consume(timeout);
        if (result?.Message is null) return _tables is not null && TryTable(out var idle) ? idle : null;
        return Convert(result);
    }

    private SourceRecord? CatchUp(TimeSpan timeout)
    {
        var result = _tables!.Consume(timeout);
        if (result?.Message is null)
        {
            // A table that cannot be read to its end (a broker that stopped answering) does not hold the events back forever.
            if (DateTime.UtcNow > _catchUpDeadline) _catchUp.Clear();
            return null;
        }
        var record = Convert(result);
        if (_catchUp.TryGetValue(record.TopicPartition, out var end) && record.Offset + 1 >= end) _catchUp.Remove(record.TopicPartition);
        return record;
    }

    // A buffered table record, if any: while the table has more, it is read before the next event.
    private bool TryTable(out SourceRecord? record)
    {
        var result = _tables!.Consume(TimeSpan.Zero);
        _tableHasMore = result?.Message is not null;
        _tableCountdown = 64;
        record = _tableHasMore ? Convert(result!) : null;
        return _tableHasMore;
    }

    // The table consumer's whole assignment, each partition at the next record to process. Set whole rather than by
    // increments: an incremental unassign on a consumer outside any group was seen to stop its other partitions' fetches.
    private void AssignTables()
    {
        // Made at the first assignment, not at subscription: a consumer left without partitions for the seconds a rebalance
        // takes was seen to fetch nothing for a second after it got them, while its member processed every event unjoined.
        if (_makeTables && _tables is null) _tables = _factory.CreateConsumer<byte[]?, byte[]>(_groupId + ".tables", "tables");
        if (_tables is not { } tables) return;
        tables.Assign(_positions.Where(kv => IsTable(kv.Key.Topic))
            .Select(kv => new TopicPartitionOffset(kv.Key.Topic, kv.Key.Partition, kv.Value)).ToList());
    }

    private static SourceRecord Convert(ConsumeResult<byte[]?, byte[]> result)
    {
        var message = result.Message;
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

    private bool IsTable(string topic)
    {
        foreach (var t in _tableTopics) if (t == topic) return true;
        return false;
    }

    // The table partitions that go with the group's partitions: the same numbers of every table topic.
    private List<Confluent.Kafka.TopicPartition> TablePartitions(IEnumerable<Confluent.Kafka.TopicPartition> partitions) =>
        [.. partitions.Select(p => p.Partition.Value).Distinct().SelectMany(p => _tableTopics.Select(t => new Confluent.Kafka.TopicPartition(t, p)))];

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
            if (IsTable(tp.Topic) || !_positions.TryGetValue(tp, out var next)) continue;
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
        if (_tables is { } tables)
        {
            _tables = null;
            _factory.Close(tables);
        }
    }

    private void RefreshLag()
    {
        if (_consumer is not { } consumer || _closing) return;
        var lag = new Dictionary<StreamTopicPartition, long>(_positions.Count);
        foreach (var (tp, next) in _positions)
        {
            var end = (IsTable(tp.Topic) && _tables is { } tables ? tables : consumer)
                .GetWatermarkOffsets(new Confluent.Kafka.TopicPartition(tp.Topic, tp.Partition)).High;
            if (end != Offset.Unset) lag[tp] = Math.Max(0, end.Value - next);
        }
        Volatile.Write(ref _lag, lag);
    }

    private List<TopicPartitionOffset> Assign(IConsumer<byte[]?, byte[]> consumer, List<Confluent.Kafka.TopicPartition> assigned)
    {
        var tables = TablePartitions(assigned);
        var starts = Starts(consumer, [.. assigned, .. tables]);
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
        if (tables.Count == 0) return offsets;
        foreach (var start in starts)
        {
            if (!IsTable(start.Partition.Topic) || _positions[start.Partition] >= start.LogEnd) continue;
            _catchUp[start.Partition] = start.LogEnd;
            _catchUpDeadline = DateTime.UtcNow + CatchUpLimit;
        }
        AssignTables();
        return [.. offsets.Where(o => !IsTable(o.Topic))];
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
            WatermarkOffsets watermarks;
            try
            {
                watermarks = consumer.QueryWatermarkOffsets(tp, BrokerTimeout);
            }
            catch (KafkaException ex) when (ex.Error.Code is ErrorCode.UnknownTopicOrPart or ErrorCode.Local_UnknownPartition or ErrorCode.Local_UnknownTopic)
            {
                throw new SluiceException($"{tp.Topic} has no partition {tp.Partition.Value}: a table topic read beside the events must have at least as many partitions, keyed the same way ({ex.Error.Reason})");
            }
            var partition = new StreamTopicPartition(tp.Topic, tp.Partition.Value);
            starts.Add(new PartitionStart(partition, committed.TryGetValue(partition, out var c) ? c : null, watermarks.Low.Value, watermarks.High.Value));
        }
        return starts;
    }

    private void HandBack(List<Confluent.Kafka.TopicPartition> partitions, bool lost)
    {
        var tables = TablePartitions(partitions).Where(t => _positions.ContainsKey(new StreamTopicPartition(t.Topic, t.Partition.Value))).ToList();
        partitions = [.. partitions, .. tables];
        var converted = Convert(partitions);
        if (lost) _listener!.OnLost(converted);
        else _listener!.OnRevoked(converted);
        foreach (var tp in converted)
        {
            _catchUp.Remove(tp);
            _positions.Remove(tp);
            _stored.Remove(tp);
        }
        if (tables.Count > 0 && !_closing) AssignTables();
    }

    private static List<StreamTopicPartition> Convert(List<Confluent.Kafka.TopicPartition> partitions) =>
        partitions.ConvertAll(p => new StreamTopicPartition(p.Topic, p.Partition.Value));

    private static IConsumer<byte[]?, byte[]> ThrowNotSubscribed() =>
        throw new SluiceException("the partition source is not subscribed; call Subscribe first");
}
