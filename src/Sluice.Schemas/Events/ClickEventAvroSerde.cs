using System.Buffers.Binary;
using System.Collections.Concurrent;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Registry;

namespace Sluice.Schemas.Events;

/// <summary>Writes click events as v3 Avro in the Confluent wire format under a registered schema id.</summary>
/// <param name="schemaId">The id the registry gave <see cref="EventSchemas.V3"/>.</param>
public sealed class ClickEventAvroSerializer(int schemaId)
{
    /// <summary>The schema id written into every frame.</summary>
    public int SchemaId { get; } = schemaId;

    /// <summary>Appends one frame (header and body) to <paramref name="output"/>.</summary>
    public void Serialize(ClickEvent e, AvroBuffer output)
    {
        ConfluentWireFormat.WriteHeader(output, SchemaId);
        ClickEventAvro.Write(e, output);
    }

    /// <summary>One frame as a new array.</summary>
    public byte[] Serialize(ClickEvent e)
    {
        var buffer = new AvroBuffer(256);
        Serialize(e, buffer);
        return buffer.ToArray();
    }
}

/// <summary>Reads Confluent-framed Avro click events written with any registered event schema, as v3 events.</summary>
/// <remarks>
/// Frames written with v3 (event_id a uuid or a plain string) take the hand-written fast path; frames written with
/// another schema are resolved against v3 with event_id a plain string (older producers, renamed fields through
/// aliases, defaults for added fields, ids of any form). Bad input never
/// throws: it returns a <see cref="DecodeError"/> whose reason code is one of <see cref="AvroReasonCodes"/>,
/// ready for a dead-letter record. Only an unreachable registry throws (transient), because retrying can succeed.
/// </remarks>
/// <param name="schemas">Where writer schemas are found by id (the registry client, cached).</param>
/// <param name="unknownIdRetention">How long an id the registry did not know is answered from memory before
/// asking again, so a stream of bad ids does not become a stream of registry requests; default 5 s.</param>
/// <param name="eventIdRead">Called with a v3 frame's event id key as soon as it is read (see <see cref="ClickEventAvro.EventIdRead"/>).</param>
public sealed class ClickEventAvroDeserializer(ISchemaSource schemas, TimeSpan? unknownIdRetention = null, Action<Guid>? eventIdRead = null)
{
    private readonly long _retentionMs = (long)(unknownIdRetention ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
    private readonly ClickEventAvro _fast = new() { EventIdRead = eventIdRead };
    private readonly ConcurrentDictionary<int, Plan> _plans = new();
    // Nearly every frame of a topic carries the same id: the last known plan skips the dictionary.
    private Plan? _last;

    /// <summary>Decodes one frame.</summary>
    public bool TryDeserialize(ReadOnlySpan<byte> frame, out ClickEvent? evt, out DecodeError error)
    {
        // The common frame, a v3 event under the id of the frame before: straight to the fast path.
        if (frame.Length >= ConfluentWireFormat.HeaderLength && frame[0] == ConfluentWireFormat.MagicByte && _last is { Decoder: null } last
            && BinaryPrimitives.ReadInt32BigEndian(frame[1..]) == last.Id)
        {
            return _fast.TryRead(frame[ConfluentWireFormat.HeaderLength..], out evt, out error);
        }
        evt = null;
        if (!ConfluentWireFormat.TryReadHeader(frame, out var id, out var body, out error)) return false;
        var plan = PlanFor(id);
        if (plan.Unknown)
        {
            error = new DecodeError(AvroReasonCodes.UnknownSchema, $"schema id {id} is not in the registry");
            return false;
        }
        if (plan.Decoder is null) return _fast.TryRead(body, out evt, out error);
        if (!plan.Decoder.TryDecode(body, out var value, out error)) return false;
        return ClickEventAvro.TryFromRecord((AvroRecord)value!, plan.WriterVersion, out evt, out error);
    }

    private Plan PlanFor(int id)
    {
        var last = _last;
        if (last is not null && last.Id == id) return last;
        if (!_plans.TryGetValue(id, out var plan) || (plan.Unknown && Environment.TickCount64 >= plan.RetryAt))
        {
            plan = Resolve(id);
            _plans[id] = plan;
        }
        // Unknown ids expire, so only known plans (which never change) short-cut the lookup.
        if (!plan.Unknown) _last = plan;
        return plan;
    }

    private Plan Resolve(int id)
    {
        var writer = schemas.GetSchema(id);
        return writer switch
        {
            null => new Plan(id, null, 0, true, Environment.TickCount64 + _retentionMs),
            _ when EventSchemas.VersionOf(writer) == 3 => new Plan(id, null, 3, false, 0),
            _ => new Plan(id, AvroDecoder.Create(writer, EventSchemas.V3AnyEventId), EventSchemas.VersionOf(writer), false, 0),
        };
    }

    /// <summary>How frames of one schema id are decoded: fast path (no decoder), resolved, or unknown.</summary>
    private sealed record Plan(int Id, AvroDecoder? Decoder, int WriterVersion, bool Unknown, long RetryAt);
}
