using System.Text.Json;
using Sluice.Verification;

namespace Sluice.App.DeadLetters;

/// <summary>One record of the dead-letter topic, read back: where it sits, why it was refused, and what was refused.</summary>
/// <param name="Partition">The dead-letter topic's partition.</param>
/// <param name="Offset">Its offset there: with <paramref name="Partition"/>, the letter's id (<c>P:O</c>).</param>
/// <param name="Payload">The refused value, base64-decoded; a prefix when <paramref name="Truncated"/>.</param>
/// <param name="Truncated">The processor kept only a prefix of a large payload; the whole is at the source, while retained.</param>
/// <param name="LogTimestampMs">When the refused record entered the log: the processor gives a letter its source record's
/// Kafka timestamp, so it is the letter's own; 0 when unknown.</param>
public sealed record DeadLetter(
    int Partition, long Offset, string ReasonCode, string Detail, string SourceTopic, int SourcePartition, long SourceOffset,
    long FailedAtMs, byte[]? Key, byte[] Payload, bool Truncated, long LogTimestampMs)
{
    /// <summary><c>P:O</c>, how commands name a letter.</summary>
    public string Id => $"{Partition}:{Offset}";

    /// <summary>Parses a dead-letter record as the processor writes it (docs/streaming.md); null for a record of another shape.</summary>
    public static DeadLetter? Parse(TopicRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            using var doc = JsonDocument.Parse(record.Value);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("reason_code", out var reason) || !r.TryGetProperty("payload_base64", out var payload))
                return null;
            return new DeadLetter(record.Partition, record.Offset, reason.GetString() ?? "",
                r.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "",
                r.GetProperty("topic").GetString() ?? "", r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64(),
                r.TryGetProperty("failed_at", out var at) ? at.GetInt64() : 0,
                r.TryGetProperty("key_base64", out var key) && key.ValueKind == JsonValueKind.String ? key.GetBytesFromBase64() : null,
                payload.GetBytesFromBase64(),
                (r.TryGetProperty("payload_truncated", out var cut) && cut.ValueKind == JsonValueKind.True)
                || (r.TryGetProperty("key_truncated", out var keyCut) && keyCut.ValueKind == JsonValueKind.True),
                record.TimestampMs);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return null;
        }
    }
}
