using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Errors;

/// <summary>A record that could not be processed: the original bytes, a stable reason code, a detail, and where it came from.</summary>
/// <param name="Payload">The value exactly as consumed, so it can be inspected and replayed.</param>
/// <param name="Key">The Kafka key as consumed, if any.</param>
/// <param name="ReasonCode">A stable snake_case code (see <see cref="Sluice.Core.Errors.ReasonCodes"/>).</param>
/// <param name="Detail">One human-readable line.</param>
/// <param name="Topic">Source topic.</param>
/// <param name="Partition">Source partition.</param>
/// <param name="Offset">Source offset.</param>
/// <param name="FailedAtMs">Processing time of the failure, epoch milliseconds UTC.</param>
public sealed record DeadLetterRecord(
    byte[] Payload, byte[]? Key, string ReasonCode, string Detail, string Topic, int Partition, long Offset, long FailedAtMs)
{
    public RecordSource Source => new(Topic, Partition, Offset);
}

/// <summary>An event that arrived after every window it belongs to had closed, for one windowed aggregate.</summary>
/// <param name="Operator">The windowed aggregate that refused it.</param>
/// <param name="ReasonCode">Why (see <see cref="StreamReasonCodes"/>).</param>
/// <param name="EventTimestamp">The event's time.</param>
/// <param name="WindowStart">Start of the latest window the event belonged to (inclusive).</param>
/// <param name="WindowEnd">End of that window (exclusive).</param>
/// <param name="Watermark">The task watermark when the event arrived.</param>
/// <param name="Source">Where the event was read.</param>
/// <param name="Value">The event as the aggregate received it.</param>
public sealed record LateRecord<TValue>(
    string Operator, string ReasonCode, long EventTimestamp, long WindowStart, long WindowEnd, long Watermark,
    RecordSource Source, TValue Value);
