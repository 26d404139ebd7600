using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Generate.Faults;

namespace Sluice.Generate.Sinks;

/// <summary>Produces records to Kafka: keyed by user (or session), event time as the message timestamp, fault label as a header.</summary>
/// <remarks>
/// Every faulty record carries its label in the <c>sluice-fault</c> header (<see cref="FaultKinds.HeaderName"/>) so
/// tests can check where each one was routed; a record without the header is clean (<c>none</c>). Clean records go
/// without it by default because a header costs about a microsecond of CPU per message in the client, a third of
/// the cost of producing; <c>labelCleanRecords</c> adds <c>none</c> to them too. Delivery is asynchronous;
/// <see cref="Flush"/> waits for it and fails if any message was lost.
/// </remarks>
public sealed class KafkaSink : IRecordSink
{
    private static readonly TimeSpan QueueFullPause = TimeSpan.FromMilliseconds(50);
    private readonly IProducer<string, byte[]> _producer;
    private readonly bool _ownsProducer;
    private readonly Headers?[] _headers;
    private readonly Action<DeliveryReport<string, byte[]>> _onDelivery;
    private long _delivered;
    private long _failed;
    private string? _firstError;

    public KafkaSink(IProducer<string, byte[]> producer, bool ownsProducer = true, bool labelCleanRecords = false)
    {
        ArgumentNullException.ThrowIfNull(producer);
        _producer = producer;
        _ownsProducer = ownsProducer;
        // Headers are read, not changed, by Produce: one instance per label serves every message.
        _headers = new Headers[FaultKinds.Count];
        for (var k = 0; k < FaultKinds.Count; k++)
            _headers[k] = new Headers { { FaultKinds.HeaderName, ((FaultKind)k).ToUtf8Label() } };
        if (!labelCleanRecords) _headers[(int)FaultKind.None] = null;
        _onDelivery = OnDelivery;
    }

    /// <summary>The label a consumed message carries: its header, or <c>none</c> when it has none.</summary>
    public static FaultKind LabelOf(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(FaultKinds.HeaderName, out var bytes)
            && FaultKinds.TryParse(System.Text.Encoding.UTF8.GetString(bytes), out var kind)
            ? kind
            : FaultKind.None;

    /// <summary>Messages the broker acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages that could not be delivered.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public void Write(in GeneratedRecord record)
    {
        var message = new Message<string, byte[]>
        {
            Key = record.Key,
            Value = record.Payload.ToArray(),
            Timestamp = new Timestamp(record.EventTime, TimestampType.CreateTime),
            Headers = _headers[(int)record.Fault],
        };
        while (true)
        {
            try
            {
                _producer.Produce(record.Topic, message, _onDelivery);
                return;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: let the client send what it holds, then try again. Never drop.
                _producer.Poll(QueueFullPause);
            }
        }
    }

    public void Flush(CancellationToken cancellationToken = default)
    {
        _producer.Flush(cancellationToken);
        if (Failed > 0)
        {
            throw new SluiceException(
                $"{Failed} of {Failed + Delivered} records were not delivered to Kafka ({_firstError}); check that the broker is up and the topics exist",
                isTransient: true);
        }
    }

    public void Dispose()
    {
        if (_ownsProducer) _producer.Dispose();
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
