using Sluice.Core.Errors;
using Sluice.Kafka;
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
/// </remarks>
public sealed class KafkaRecordCollector : IFlushableCollector, IDisposable
{
    private readonly RecordProducer _producer;
    private readonly RecordBuffers _buffers = new();
    private readonly MessageHeaders _headers = new();
    private long _failedReported;

    /// <summary>A collector producing with <paramref name="factory"/>'s settings, then <paramref name="configure"/>'s changes (a caller's own tuning).</summary>
    public KafkaRecordCollector(KafkaClientFactory factory, Action<Confluent.Kafka.ProducerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _producer = factory.CreateRecordProducer("streams", configure);
    }

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

    public void Dispose() => _producer.Dispose();

    private sealed class BoundSender<TKey, TValue>(
        KafkaRecordCollector collector, string topic, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
        : IRecordSender<TKey, TValue>
    {
        public void Send(in Record<TKey, TValue> record) => collector.Produce(topic, record, keySerializer, valueSerializer);
    }
}
