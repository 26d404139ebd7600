using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Processing;
using StreamTopicPartition = Sluice.Streaming.Processing.TopicPartition;

namespace Sluice.Streaming.Kafka;

/// <summary>An <see cref="IPartitionSource"/> over a Confluent.Kafka consumer in a consumer group.</summary>
/// <remarks>
/// Rebalance callbacks arrive inside <see cref="Poll"/> on the polling thread, as the engine requires: assigned
/// partitions create tasks before their first record; on revocation (or loss) the tasks close, the outputs are
/// flushed and the processed offsets of those partitions are committed before they are handed back. Offsets are
/// stored only through <see cref="Commit"/>, which the runner calls after flushing the outputs.
/// </remarks>
public sealed class KafkaPartitionSource : IPartitionSource
{
    private readonly KafkaClientFactory _factory;
    private readonly string _groupId;
    private readonly IFlushableCollector? _outputs;
    private readonly Dictionary<StreamTopicPartition, long> _pending = [];
    private IConsumer<byte[]?, byte[]>? _consumer;
    private IAssignmentListener? _listener;
    private bool _closing;

    public KafkaPartitionSource(KafkaClientFactory factory, string groupId, IFlushableCollector? outputs = null)
    {
        _factory = factory ?? throw new ArgumentNullException(nameof(factory));
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        _groupId = groupId;
        _outputs = outputs;
    }

    public void Subscribe(IReadOnlyCollection<string> topics, IAssignmentListener listener)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _listener = listener ?? throw new ArgumentNullException(nameof(listener));
        if (_consumer is not null) ThrowHelper.Throw("the partition source is already subscribed; create one source per runner");
        _consumer = _factory.CreateConsumer<byte[]?, byte[]>(_groupId, "streams", b => b
            .SetPartitionsAssignedHandler((_, assigned) => _listener.OnAssigned(Convert(assigned)))
            .SetPartitionsRevokedHandler((c, revoked) => HandBack(c, revoked.ConvertAll(p => p.TopicPartition), commit: true))
            .SetPartitionsLostHandler((c, lost) => HandBack(c, lost.ConvertAll(p => p.TopicPartition), commit: false)));
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
        _pending[record.TopicPartition] = record.Offset + 1;
    }

    public void Commit()
    {
        var consumer = _consumer ?? ThrowNotSubscribed();
        if (_pending.Count == 0) return;
        var offsets = new List<TopicPartitionOffset>(_pending.Count);
        foreach (var (tp, next) in _pending) offsets.Add(new TopicPartitionOffset(tp.Topic, tp.Partition, next));
        if (TryCommit(consumer, offsets)) _pending.Clear();
    }

    // A commit refused because the group is rebalancing is not an error: the offsets stay pending and go with the
    // next commit, or, if the partition moves, its new owner resumes from the last committed offset (at-least-once).
    private static bool TryCommit(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> offsets)
    {
        try
        {
            consumer.Commit(offsets);
            return true;
        }
        catch (KafkaException ex) when (IsRebalanceError(ex.Error.Code))
        {
            return false;
        }
    }

    private static bool IsRebalanceError(ErrorCode code) => code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
        or ErrorCode.UnknownMemberId or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost or ErrorCode.FencedInstanceId;

    /// <remarks>
    /// Flushes the outputs and commits what was processed first, while the consumer still serves requests, and only
    /// then leaves the group. <c>Close</c> revokes the assignment through the same callback as a rebalance, and a
    /// synchronous commit made from inside that callback can wait forever: the closing consumer no longer serves the
    /// commit's answer (a test run hung exactly there). So revocations during close hand the tasks back without a
    /// commit; a commit refused before close leaves those offsets to the partitions' next owner (at-least-once).
    /// </remarks>
    public void Dispose()
    {
        if (_consumer is null) return;
        try
        {
            if (_pending.Count > 0)
            {
                _outputs?.Flush();
                Commit();
            }
        }
        finally
        {
            _closing = true;
            try
            {
                _consumer.Close();
            }
            finally
            {
                _consumer.Dispose();
                _consumer = null;
            }
        }
    }

    private void HandBack(IConsumer<byte[]?, byte[]> consumer, List<Confluent.Kafka.TopicPartition> partitions, bool commit)
    {
        _listener!.OnRevoked(Convert(partitions));
        // A lost partition already belongs to someone else: its offsets must not be committed by us.
        var offsets = new List<TopicPartitionOffset>();
        foreach (var tp in partitions)
        {
            if (_pending.Remove(new StreamTopicPartition(tp.Topic, tp.Partition.Value), out var next) && commit) offsets.Add(new TopicPartitionOffset(tp, next));
        }
        if (offsets.Count == 0 || _closing) return;
        _outputs?.Flush();
        TryCommit(consumer, offsets);
    }

    private static List<StreamTopicPartition> Convert(List<Confluent.Kafka.TopicPartition> partitions) =>
        partitions.ConvertAll(p => new StreamTopicPartition(p.Topic, p.Partition.Value));

    private static IConsumer<byte[]?, byte[]> ThrowNotSubscribed() =>
        throw new SluiceException("the partition source is not subscribed; call Subscribe first");
}
