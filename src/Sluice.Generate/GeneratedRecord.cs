using Sluice.Core.Events;
using Sluice.Generate.Cdc;
using Sluice.Generate.Faults;

namespace Sluice.Generate;

/// <summary>Whether a record is a click event or a user-profile change.</summary>
public enum RecordKind : byte
{
    Click,
    Cdc,
}

/// <summary>One record the generator produced: where it goes, its bytes and what was done to it on purpose.</summary>
/// <param name="Kind">Click event or CDC change.</param>
/// <param name="Topic">The Kafka topic it belongs on.</param>
/// <param name="Key">user_id, or session_id for anonymous visitors and bots.</param>
/// <param name="Payload">UTF-8 bytes. Valid only until the generator moves on: copy it (<c>ToArray</c>) to keep it.</param>
/// <param name="EventTime">Event time, epoch ms (for CDC, ts_ms).</param>
/// <param name="StreamTime">Simulated time at which the record was emitted; later than EventTime for late and out-of-order events.</param>
/// <param name="Fault">The fault label; <see cref="FaultKind.None"/> for clean records and CDC.</param>
/// <param name="EventId">The event_id (the generator's are UUIDs), or the default (the nil UUID) when there is none (CDC).</param>
/// <param name="Event">The event the payload was written from; null for CDC and for payloads that are not an event at all.</param>
/// <param name="Op">For CDC records, the change operation; <see cref="ChangeOp.Read"/> (unused) for click records.</param>
public readonly record struct GeneratedRecord(
    RecordKind Kind,
    string Topic,
    string Key,
    ReadOnlyMemory<byte> Payload,
    long EventTime,
    long StreamTime,
    FaultKind Fault,
    EventId EventId,
    ClickEvent? Event,
    ChangeOp Op = ChangeOp.Read)
{
    /// <summary>
    /// The event_type of a click record whose payload is an event, set by the generator whether or not it built
    /// <see cref="Event"/>; null for CDC and structural faults, and in records made elsewhere that give only <see cref="Event"/>.
    /// </summary>
    public EventType? EventType { get; init; }
}
