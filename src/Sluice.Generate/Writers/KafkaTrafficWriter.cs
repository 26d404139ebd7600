using System.Text;
using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Generate.Faults;
using Sluice.Kafka;

namespace Sluice.Generate.Writers;

/// <summary>Produces records to Kafka: keyed by user (or session), event time as the message timestamp, fault label as a header.</summary>
/// <remarks>
/// <para>Every faulty record carries its label in the <c>sluice-fault</c> header (<see cref="FaultKinds.HeaderName"/>) so
/// tests can check where each one was routed; a record without the header is clean (<c>none</c>). Clean records go
/// without it by default because a header costs CPU per message in the client; <c>labelCleanRecords</c> adds
/// <c>none</c> to them too. Delivery is asynchronous; <see cref="Flush"/> waits for it and fails, with the count, if
/// any message was lost.</para>
/// <para>Two clients: <see cref="Create"/> uses a <see cref="RecordProducer"/>, which hands the payload bytes straight to
/// librdkafka and allocates nothing per record (what <c>sluice produce</c> uses); the constructor takes any Confluent.Kafka
/// producer, for callers that share one. In that path one message object and the header lists are reused (the client
/// reads them during <c>Produce</c> and keeps neither) and only the value array its API requires is allocated.</para>
/// </remarks>
public sealed class KafkaTrafficWriter : ITrafficWriter
{
    private static readonly TimeSpan QueueFullPause = TimeSpan.FromMilliseconds(50);
    private static readonly byte[] HeaderNameZ = Encoding.UTF8.GetBytes(FaultKinds.HeaderName + "\0");

    private readonly IProducer<string, byte[]>? _producer;
    private readonly RecordProducer? _records;
    private readonly bool _ownsProducer;
    private readonly Headers[] _headers;
    private readonly byte[]?[] _labels;
    private readonly Message<string, byte[]> _message = new();
    private readonly Action<DeliveryReport<string, byte[]>> _onDelivery;
    private long _delivered;
    private long _failed;
    private string? _firstError;

    /// <summary>A writer over a Confluent.Kafka producer (see <see cref="Tune"/> for the settings that make it cheaper).</summary>
    public KafkaTrafficWriter(IProducer<string, byte[]> producer, bool ownsProducer = true, bool labelCleanRecords = false)
        : this(labelCleanRecords, ownsProducer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _producer = producer;
    }

    /// <summary>A writer over a <see cref="RecordProducer"/>.</summary>
    public KafkaTrafficWriter(RecordProducer producer, bool ownsProducer = true, bool labelCleanRecords = false)
        : this(labelCleanRecords, ownsProducer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _records = producer;
    }

    private KafkaTrafficWriter(bool labelCleanRecords, bool ownsProducer)
    {
        _ownsProducer = ownsProducer;
        // Headers are read, not changed, by Produce: one instance per label serves every message. Clean records get
        // an empty list rather than none, because the client allocates an empty list for a message without one.
        _headers = new Headers[FaultKinds.Count];
        _labels = new byte[FaultKinds.Count][];
        for (var k = 0; k < FaultKinds.Count; k++)
        {
            _labels[k] = ((FaultKind)k).ToUtf8Label();
            _headers[k] = new Headers { { FaultKinds.HeaderName, _labels[k] } };
        }
        if (!labelCleanRecords)
        {
            _headers[(int)FaultKind.None] = [];
            _labels[(int)FaultKind.None] = null;
        }
        _onDelivery = OnDelivery;
    }

    /// <summary>A writer that owns a <see cref="RecordProducer"/> made by <paramref name="factory"/> with the factory's settings.</summary>
    public static KafkaTrafficWriter Create(KafkaClientFactory factory, string clientIdSuffix = "generator", bool labelCleanRecords = false,
        Action<ProducerConfig>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new KafkaTrafficWriter(factory.CreateRecordProducer(clientIdSuffix, configure), ownsProducer: true, labelCleanRecords);
    }

    /// <summary>
    /// Settings for a Confluent.Kafka producer given to this writer: delivery reports carry only the outcome, which is all
    /// the writer reads. Idempotence, acks and batching stay as the factory set them.
    /// </summary>
    /// <remarks>
    /// By default the client keeps each message's key and value alive until its report and copies headers and
    /// timestamp back into it: about half a microsecond of CPU per record in its polling thread and the collector.
    /// </remarks>
    public static void Tune(ProducerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.DeliveryReportFields = "none";
    }

    /// <summary>The label a consumed message carries: its header, or <c>none</c> when it has none.</summary>
    public static FaultKind LabelOf(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(FaultKinds.HeaderName, out var bytes)
            && FaultKinds.TryParse(Encoding.UTF8.GetString(bytes), out var kind)
            ? kind
            : FaultKind.None;

    /// <summary>Messages the broker acknowledged.</summary>
    public long Delivered => _records?.Delivered ?? Interlocked.Read(ref _delivered);

    /// <summary>Messages that could not be delivered.</summary>
    public long Failed => _records?.Failed ?? Interlocked.Read(ref _failed);

    public void Write(in GeneratedRecord record)
    {
        if (_records is not null)
        {
            var label = _labels[(int)record.Fault];
            _records.Produce(record.Topic, record.Key, record.Payload.Span, record.EventTime,
                label is null ? default : HeaderNameZ, label);
            return;
        }
        var message = _message;
        message.Key = record.Key;
        // The client's API takes an exact-length array; it copies it into its own buffer during Produce.
        message.Value = record.Payload.ToArray();
        message.Timestamp = new Timestamp(record.EventTime, TimestampType.CreateTime);
        message.Headers = _headers[(int)record.Fault];
        while (true)
        {
            try
            {
                _producer!.Produce(record.Topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: let the client send what it holds, then try again. Never drop.
                _producer!.Poll(QueueFullPause);
            }
        }
    }

    public void Flush(CancellationToken cancellationToken = default)
    {
        if (_records is not null)
        {
            if (!_records.Flush(cancellationToken)) throw new OperationCanceledException(cancellationToken);
        }
        else
        {
            _producer!.Flush(cancellationToken);
        }
        if (Failed > 0)
        {
            throw new SluiceException(
                $"{Failed} of {Failed + Delivered} records were not delivered to Kafka ({_records?.FirstError ?? _firstError}); check that the broker is up and the topics exist",
                isTransient: true);
        }
    }

    public bool ReadsEvents => false;

    public void Dispose()
    {
        if (!_ownsProducer) return;
        _producer?.Dispose();
        _records?.Dispose();
    }

    private void OnDelivery(DeliveryReport<string, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.CompareExchange(ref _firstError, $"{report.Topic}: {report.Error.Reason}", null);
            Interlocked.Increment(ref _failed);
        }
        else
        {
            Interlocked.Increment(ref _delivered);
        }
    }
}
