using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Kafka;

/// <summary>Writes the topology's output records to Kafka, serialising keys and values with the serialisers registered per type.</summary>
/// <remarks>
/// Produce is asynchronous; <see cref="Flush"/> waits for every acknowledgement and throws if any record failed, so
/// the runner commits input offsets only after the outputs are durable. Keys of type string, byte[], int, long and
/// Guid are built in; every value type must be registered with <see cref="Register{T}"/>.
/// </remarks>
public sealed class KafkaRecordCollector : IFlushableCollector, IDisposable
{
    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly Dictionary<Type, object> _serializers = [];
    private readonly Action<DeliveryReport<byte[]?, byte[]>> _onDelivery;
    private Exception? _failure;
    private long _failed;

    public KafkaRecordCollector(KafkaClientFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        var config = factory.ProducerConfig("streams");
        // Reports are read only for their status: without this the client copies every key and value back into managed memory.
        config.DeliveryReportFields = "status";
        _producer = new ProducerBuilder<byte[]?, byte[]>(config).Build();
        _onDelivery = report =>
        {
            if (!report.Error.IsError) return;
            Interlocked.Increment(ref _failed);
            _failure ??= new SluiceException($"producing to {report.Topic} failed: {report.Error.Reason}", isTransient: !report.Error.IsFatal);
        };
        Register<string>(static s => Encoding.UTF8.GetBytes(s));
        Register<byte[]>(static b => b);
        Register<int>(static i => Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)));
        Register<long>(static l => Encoding.UTF8.GetBytes(l.ToString(CultureInfo.InvariantCulture)));
        Register<Guid>(static g => Encoding.UTF8.GetBytes(g.ToString()));
    }

    /// <summary>Records whose delivery failed so far.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>How values (and keys) of type <typeparamref name="T"/> become bytes.</summary>
    public KafkaRecordCollector Register<T>(Func<T, byte[]> serializer)
    {
        _serializers[typeof(T)] = serializer ?? throw new ArgumentNullException(nameof(serializer));
        return this;
    }

    public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) =>
        Produce(topic, record, Serializer<TKey>(), Serializer<TValue>());

    /// <remarks>The serialisers are looked up once here; a type without one fails on its first record, as <see cref="Send"/> does.</remarks>
    public IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic) =>
        _serializers.ContainsKey(typeof(TKey)) && _serializers.ContainsKey(typeof(TValue))
            ? new BoundSender<TKey, TValue>(this, topic, Serializer<TKey>(), Serializer<TValue>())
            : new ForwardingSender<TKey, TValue>(this, topic);

    private void Produce<TKey, TValue>(string topic, in Record<TKey, TValue> record, Func<TKey, byte[]> keySerializer, Func<TValue, byte[]> valueSerializer)
    {
        var key = record.Key is null ? null : keySerializer(record.Key);
        var value = record.Value is null ? [] : valueSerializer(record.Value);
        Headers? headers = null;
        if (record.Headers is { Count: > 0 })
        {
            headers = [];
            foreach (var h in record.Headers) headers.Add(h.Key, h.Value);
        }
        var message = new Message<byte[]?, byte[]> { Key = key, Value = value, Timestamp = new Timestamp(record.Timestamp, TimestampType.CreateTime), Headers = headers };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: wait for deliveries instead of dropping.
                _producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    public void Flush()
    {
        while (_producer.Flush(TimeSpan.FromSeconds(10)) > 0)
        {
        }
        if (_failure is { } failure)
        {
            _failure = null;
            throw failure;
        }
    }

    public void Dispose() => _producer.Dispose();

    private sealed class BoundSender<TKey, TValue>(
        KafkaRecordCollector collector, string topic, Func<TKey, byte[]> keySerializer, Func<TValue, byte[]> valueSerializer)
        : IRecordSender<TKey, TValue>
    {
        public void Send(in Record<TKey, TValue> record) => collector.Produce(topic, record, keySerializer, valueSerializer);
    }

    private Func<T, byte[]> Serializer<T>() =>
        _serializers.TryGetValue(typeof(T), out var s)
            ? (Func<T, byte[]>)s
            : throw new SluiceException($"no serializer registered for {typeof(T).Name}; call KafkaRecordCollector.Register<{typeof(T).Name}>(...) when wiring the topology");
}
