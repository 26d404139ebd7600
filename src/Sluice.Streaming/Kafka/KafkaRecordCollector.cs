using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Kafka;

/// <summary>Writes a value's bytes into <paramref name="output"/>, a buffer the caller reuses from one record to the next.</summary>
public delegate void BufferSerializer<in T>(T value, IBufferWriter<byte> output);

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
    // A buffer that grew for one huge record (a dead letter carrying a large payload) is not kept at that size.
    private const int MaxRetainedBuffer = 256 * 1024;

    private readonly RecordProducer _producer;
    private readonly Dictionary<Type, object> _serializers = [];
    private readonly MessageHeaders _headers = new();
    private ArrayBufferWriter<byte> _key = new(64);
    private ArrayBufferWriter<byte> _value = new(1024);
    private long _failedReported;

    public KafkaRecordCollector(KafkaClientFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _producer = factory.CreateRecordProducer("streams");
        Register<string>(static (s, output) =>
        {
            var written = Encoding.UTF8.GetBytes(s, output.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length)));
            output.Advance(written);
        });
        Register<byte[]>(static (b, output) => output.Write(b));
        Register<int>(static (i, output) => Format(i, output));
        Register<long>(static (l, output) => Format(l, output));
        Register<Guid>(static (g, output) =>
        {
            Utf8Formatter.TryFormat(g, output.GetSpan(36), out var written);
            output.Advance(written);
        });
    }

    /// <summary>Records whose delivery failed so far.</summary>
    public long Failed => _producer.Failed;

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, written into a buffer the collector reuses.</summary>
    public KafkaRecordCollector Register<T>(BufferSerializer<T> serializer)
    {
        _serializers[typeof(T)] = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes, as a new array per record.</summary>
    public KafkaRecordCollector Register<T>(Func<T, byte[]> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        return Register<T>((value, output) => output.Write(serializer(value)));
    }

    public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) =>
        Produce(topic, record, Serializer<TKey>(), Serializer<TValue>());

    /// <remarks>The serialisers are looked up once here; a type without one fails on its first record, as <see cref="Send"/> does.</remarks>
    public IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic) =>
        _serializers.ContainsKey(typeof(TKey)) && _serializers.ContainsKey(typeof(TValue))
            ? new BoundSender<TKey, TValue>(this, topic, Serializer<TKey>(), Serializer<TValue>())
            : new ForwardingSender<TKey, TValue>(this, topic);

    private void Produce<TKey, TValue>(string topic, in Record<TKey, TValue> record, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
    {
        _key.ResetWrittenCount();
        _value.ResetWrittenCount();
        var hasKey = false;
        if (record.Key is { } key)
        {
            keySerializer(key, _key);
            hasKey = true;
        }
        if (record.Value is { } value) valueSerializer(value, _value);
        MessageHeaders? headers = null;
        if (record.Headers is { Count: > 0 } list)
        {
            _headers.Clear();
            foreach (var h in list) _headers.Add(h.Key, h.Value);
            headers = _headers;
        }
        _producer.Produce(topic, _key.WrittenSpan, hasKey, _value.WrittenSpan, record.Timestamp, headers);
        if (_value.Capacity > MaxRetainedBuffer) _value = new ArrayBufferWriter<byte>(1024);
        if (_key.Capacity > MaxRetainedBuffer) _key = new ArrayBufferWriter<byte>(64);
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

    private static void Format(long value, IBufferWriter<byte> output)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var written);
        output.Advance(written);
    }

    private sealed class BoundSender<TKey, TValue>(
        KafkaRecordCollector collector, string topic, BufferSerializer<TKey> keySerializer, BufferSerializer<TValue> valueSerializer)
        : IRecordSender<TKey, TValue>
    {
        public void Send(in Record<TKey, TValue> record) => collector.Produce(topic, record, keySerializer, valueSerializer);
    }

    private BufferSerializer<T> Serializer<T>() =>
        _serializers.TryGetValue(typeof(T), out var s)
            ? (BufferSerializer<T>)s
            : throw new SluiceException($"no serializer registered for {typeof(T).Name}; call KafkaRecordCollector.Register<{typeof(T).Name}>(...) when wiring the topology");
}
