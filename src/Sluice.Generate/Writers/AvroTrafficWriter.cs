using Sluice.Core.Events;
using Sluice.Generate.Faults;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;

namespace Sluice.Generate.Writers;

/// <summary>Re-encodes click records as v3 Avro in the Confluent wire format before handing them to another writer.</summary>
/// <remarks>
/// The generator writes JSON; this decorator turns each click record into magic byte 0, the 4-byte schema id and the
/// Avro body of <see cref="GeneratedRecord.Event"/>, keeping key, times and fault label. CDC records pass unchanged.
/// Structural faults become frames a decoder must refuse, one reason each (<see cref="PayloadFormats.ExpectedReasonCode"/>):
/// <list type="bullet">
/// <item><c>malformed.missing_fields</c>: the body cut after event_id (<c>avro_truncated</c>).</item>
/// <item><c>malformed.unknown_event_type</c>: an event_type index beyond the six symbols (<c>avro_enum_out_of_range</c>).</item>
/// <item><c>malformed.wrong_types</c>: a whole body under a schema id no registry hands out (<c>avro_unknown_schema</c>).</item>
/// <item><c>malformed.not_json</c>: bytes that are not a frame at all (HTML, a form body, half a JSON event, a frame
/// with magic byte 1); a mixed JSON/Avro decoder reads them as JSON and refuses them (<c>invalid_json</c>).</item>
/// </list>
/// Negative prices, zero quantities and oversized fields encode fine and are left to validation and field limits.
/// </remarks>
public sealed class AvroTrafficWriter : ITrafficWriter
{
    /// <summary>The id written into <c>malformed.wrong_types</c> frames: registries hand out ids upwards from 1, never this.</summary>
    public const int UnregisteredSchemaId = int.MaxValue;

    // event_id is a 36-character uuid string: one length byte and 36 bytes, so event_type's index is at this offset.
    private const int EventTypeOffset = ConfluentWireFormat.HeaderLength + 1 + 36;
    private const int EventTypeCount = 6;

    private readonly ITrafficWriter _inner;
    private readonly bool _ownsInner;
    private readonly AvroBuffer _buffer = new(1024);
    private byte[] _copy = new byte[1024];

    /// <summary>Wraps <paramref name="inner"/>; frames carry <paramref name="schemaId"/>, the id registered for <see cref="EventSchemas.V3"/>.</summary>
    public AvroTrafficWriter(ITrafficWriter inner, int schemaId, bool ownsInner = true)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(schemaId);
        _inner = inner;
        _ownsInner = ownsInner;
        SchemaId = schemaId;
    }

    /// <summary>The schema id of valid frames.</summary>
    public int SchemaId { get; }

    public void Write(in GeneratedRecord record)
    {
        if (record.Kind != RecordKind.Click)
        {
            _inner.Write(record);
            return;
        }
        _buffer.Reset();
        switch (record.Fault)
        {
            case FaultKind.MissingFields:
                ConfluentWireFormat.WriteHeader(_buffer, SchemaId);
                ClickEventAvro.Write(StandIn(record), _buffer);
                _inner.Write(record with { Payload = Copy(_buffer.WrittenSpan[..EventTypeOffset]) });
                return;
            case FaultKind.UnknownEventType:
                ConfluentWireFormat.WriteHeader(_buffer, SchemaId);
                ClickEventAvro.Write(StandIn(record), _buffer);
                var frame = Copy(_buffer.WrittenSpan);
                // Zig-zag of 6..9: one byte, like every valid index, so only the value is wrong.
                frame.Span[EventTypeOffset] = (byte)((EventTypeCount + (int)((ulong)record.EventTime % 4)) << 1);
                _inner.Write(record with { Payload = frame });
                return;
            case FaultKind.WrongTypes:
                ConfluentWireFormat.WriteHeader(_buffer, UnregisteredSchemaId);
                ClickEventAvro.Write(StandIn(record), _buffer);
                break;
            case FaultKind.NotJson:
                var payload = record.Payload.Span;
                if (payload.Length > 0 && payload[0] != ConfluentWireFormat.MagicByte)
                {
                    _inner.Write(record);
                    return;
                }
                // The generator's binary garbage starts with 0 and would pass for a frame: send a frame from a
                // future format version (magic byte 1) instead, which is not one either.
                _buffer.WriteByte(1);
                _buffer.WriteRaw([0, 0, 0, 1]);
                ClickEventAvro.Write(StandIn(record), _buffer);
                break;
            default:
                var e = record.Event ?? throw new InvalidOperationException($"a {record.Fault.ToLabel()} record without its event");
                ConfluentWireFormat.WriteHeader(_buffer, SchemaId);
                ClickEventAvro.Write(e, _buffer);
                break;
        }
        _inner.Write(record with { Payload = Copy(_buffer.WrittenSpan) });
    }

    public void Flush(CancellationToken cancellationToken = default) => _inner.Flush(cancellationToken);

    /// <summary>Frames are encoded from <see cref="GeneratedRecord.Event"/>.</summary>
    public bool ReadsEvents => true;

    public void Dispose()
    {
        if (_ownsInner) _inner.Dispose();
    }

    // Records of structural faults carry no event (their JSON is not one); a minimal event with the record's id,
    // time and key makes a realistic frame to break.
    private static ClickEvent StandIn(in GeneratedRecord record) => new()
    {
        EventId = record.EventId,
        EventType = EventType.PageView,
        Timestamp = record.EventTime,
        SessionId = record.Key,
    };

    // The frame is handed on in a buffer the next record reuses, as the generator does with its own payloads.
    private Memory<byte> Copy(ReadOnlySpan<byte> bytes)
    {
        if (_copy.Length < bytes.Length) _copy = new byte[Math.Max(bytes.Length, _copy.Length * 2)];
        bytes.CopyTo(_copy);
        return _copy.AsMemory(0, bytes.Length);
    }
}
