using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Kafka;

/// <summary>Writes the topology's output records to Kafka, serialising keys and values with the serialisers registered per type.</summary>
/// <remarks>
/// <para>Produce is asynchronous; <see cref="Flush"/> waits for every acknowledgement and throws if any record failed, so
/// the runner commits input offsets only after the outputs are durable. Keys of type string, byte[], int, long and
/// Guid are built in; every value type must be registered with <see cref="Register{T}(BufferSerializer{T})"/>.</para>
/// <para>Records go through a <see cref="RecordProducer"/>: keys and values are serialised into two buffers this
/// collector reuses, and librdkafka copies them, so an output record costs no managed allocation and none of
/// Confluent.Kafka's per-message objects (a message, pinned handles, a delivery handler). Use it from one thread,
/// the one that runs the tasks.</para>
/// <para>Made by <see cref="Transactional"/>, it writes in Kafka transactions (exactly-once): the first record after a
/// commit begins one, and <see cref="CommitTransaction"/> sends the consumer's positions into it and commits.</para>
/// </remarks>
public sealed class KafkaRecordCollector : ITransactionalCollector, IDisposable
{
    private readonly RecordProducer _producer;
    private readonly RecordBuffers _buffers = new();
    private readonly MessageHeaders _headers = new();
    private readonly Func<IConsumerGroupMetadata?>? _group;
    private readonly TimeSpan _transactionTimeout;
    private long _failedReported;
    private bool _inTransaction;
    private long _committed;

    /// <summary>A collector producing with <paramref name="factory"/>'s settings, then <paramref name="configure"/>'s changes (a caller's own tuning).</summary>
    public KafkaRecordCollector(KafkaClientFactory factory, Action<ProducerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _producer = factory.CreateRecordProducer("streams", configure);
    }

    private KafkaRecordCollector(RecordProducer producer, Func<IConsumerGroupMetadata?> group, TimeSpan transactionTimeout)
    {
        _producer = producer;
        _group = group;
        _transactionTimeout = transactionTimeout;
    }

    /// <summary>
    /// A collector writing in transactions as <paramref name="transactionalId"/> (stable per group member, so a restarted
    /// member fences its predecessor and aborts its open transaction); initialises them before returning.
    /// </summary>
    /// <param name="factory">The producer's settings.</param>
    /// <param name="transactionalId">The member's transactional.id.</param>
    /// <param name="group">The input consumer's group metadata, read at each commit (it changes with every rebalance).</param>
    /// <param name="transactionTimeout">How long the broker lets a transaction stay open (longer than the checkpoint interval), and how long each transactional call waits.</param>
    public static KafkaRecordCollector Transactional(KafkaClientFactory factory, string transactionalId, Func<IConsumerGroupMetadata?> group, TimeSpan transactionTimeout)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(transactionalId);
        ArgumentNullException.ThrowIfNull(group);
        var producer = factory.CreateRecordProducer("streams", c =>
        {
            c.TransactionalId = transactionalId;
            c.TransactionTimeoutMs = (int)transactionTimeout.TotalMilliseconds;
            // librdkafka requires it: a record may not outlive the transaction it belongs to.
            c.MessageTimeoutMs = Math.Min(c.MessageTimeoutMs ?? int.MaxValue, c.TransactionTimeoutMs.Value);
        });
        try
        {
            producer.InitTransactions(transactionTimeout);
        }
        catch
        {
            producer.Dispose();
            throw;
        }
        return new KafkaRecordCollector(producer, group, transactionTimeout);
    }

    /// <summary>True when records are written in transactions.</summary>
    public bool IsTransactional => _group is not null;

    /// <summary>Transactions committed so far.</summary>
    public long TransactionsCommitted => Interlocked.Read(ref _committed);

    /// <summary>Records whose delivery failed so far.</summary>
    public long Failed => _producer.Failed;

    /// <summary>The serialisers of keys and values, by type.</summary>
    public RecordSerializers Serializers { get; } = new();

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, written into a buffer the collector reuses.</summary>
    public KafkaRecordCollector Register<T>(BufferSerializer<T> serializer)
    {
        Serializers.Register(serializer);
        return this;
    }

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, as a new array per record.</summary>
    public KafkaRecordCollector Register<T>(Func<T, byte[]> serializer)
    {
        Serializers.Register(serializer);
        return this;
    }

    public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) =>
        Produce(topic, record, Serializers.For<TKey>(), Serializers.For<TValue>());

    /// <remarks>The serialisers are looked up once here; a type without one fails on its first record, as <see cref="Send"/> does.</remarks>
    public IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic) =>
        Serializers.Has<TKey>() && Serializers.Has<TValue>()
            ? new BoundSender<TKey, TValue>(this, topic, Serializers.For<TKey>(), Serializers.For<TValue>())
            : new ForwardingSender<TKey, TValue>(this, topic);

    private void Produce<TKey, TValue>(string topic, in Record<TKey, TValue> record, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
    {
        if (_group is not null && !_inTransaction) Begin();
        var hasKey = _buffers.Fill(record, keySerializer, valueSerializer);
        MessageHeaders? headers = null;
        if (record.Headers is { Count: > 0 } list)
        {
            _headers.Clear();
            foreach (var h in list) _headers.Add(h.Key, h.Value);
            headers = _headers;
        }
        _producer.Produce(topic, _buffers.Key, hasKey, _buffers.Value, record.Timestamp, headers);
    }

    public void Flush()
    {
        _producer.Flush();
        var failed = _producer.Failed;
        if (failed == _failedReported) return;
        var count = failed - _failedReported;
        _failedReported = failed;
        throw new SluiceException(
            $"{count} output record(s) could not be delivered to Kafka ({_producer.FirstError}); the input offsets behind them are not committed, so they will be processed again",
            isTransient: !_producer.IsFatal);
    }

    public void CommitTransaction(IReadOnlyCollection<PartitionOffset> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (_group is null) throw new InvalidOperationException("this collector is not transactional; make it with KafkaRecordCollector.Transactional");
        if (!_inTransaction)
        {
            if (positions.Count == 0) return;
            Begin();
        }
        if (positions.Count > 0)
        {
            var group = _group() ?? throw new SluiceException("the input consumer has no group metadata yet; offsets cannot be committed with the transaction", isTransient: true);
            _producer.SendOffsetsToTransaction(positions.Select(p => new TopicPartitionOffset(p.Partition.Topic, p.Partition.Partition, p.Offset)), group, _transactionTimeout);
        }
        // A retriable failure (a timeout) leaves the commit in progress; calling again finishes it.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _producer.CommitTransaction(_transactionTimeout);
                break;
            }
            catch (KafkaTransactionException ex) when (ex.IsRetriable && attempt < 3)
            {
            }
        }
        _inTransaction = false;
        Interlocked.Increment(ref _committed);
    }

    public void AbortTransaction()
    {
        if (_group is null || !_inTransaction) return;
        _producer.AbortTransaction(_transactionTimeout);
        _inTransaction = false;
        // The aborted records are reported as failed deliveries; they were discarded on purpose.
        _failedReported = _producer.Failed;
    }

    private void Begin()
    {
        _producer.BeginTransaction();
        _inTransaction = true;
    }

    public void Dispose() => _producer.Dispose();

    private sealed class BoundSender<TKey, TValue>(
        KafkaRecordCollector collector, string topic, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
        : IRecordSender<TKey, TValue>
    {
        public void Send(in Record<TKey, TValue> record) => collector.Produce(topic, record, keySerializer, valueSerializer);
    }
}
