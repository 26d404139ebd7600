using System.Buffers;
using System.Text.Json;

namespace Sluice.Pipelines.DeadLetters;

/// <summary>A record that could not be processed: the original bytes, why, and where it came from.</summary>
/// <remarks>
/// Written to the dead-letter topic as JSON so a plain consumer (kafka-console-consumer, kcat) can read
/// it. The payload is base64 because it may not be text at all.
/// </remarks>
public sealed record DeadLetterRecord(
    string ReasonCode,
    string Detail,
    string Topic,
    int Partition,
    long Offset,
    DateTimeOffset FailedAt,
    string? OriginalKey,
    byte[] OriginalPayload)
{
    /// <summary>The record as one UTF-8 JSON object.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256 + OriginalPayload.Length * 4 / 3);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("reason_code", ReasonCode);
            w.WriteString("detail", Detail);
            w.WriteString("topic", Topic);
            w.WriteNumber("partition", Partition);
            w.WriteNumber("offset", Offset);
            w.WriteString("failed_at", FailedAt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            if (OriginalKey is null) w.WriteNull("original_key"); else w.WriteString("original_key", OriginalKey);
            w.WriteBase64String("original_payload_base64", OriginalPayload);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a record written by <see cref="ToJson"/>.</summary>
    public static DeadLetterRecord FromJson(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var root = doc.RootElement;
        return new DeadLetterRecord(
            root.GetProperty("reason_code").GetString()!,
            root.GetProperty("detail").GetString()!,
            root.GetProperty("topic").GetString()!,
            root.GetProperty("partition").GetInt32(),
            root.GetProperty("offset").GetInt64(),
            DateTimeOffset.Parse(root.GetProperty("failed_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            root.GetProperty("original_key").ValueKind == JsonValueKind.Null ? null : root.GetProperty("original_key").GetString(),
            root.GetProperty("original_payload_base64").GetBytesFromBase64());
    }

    /// <summary>Kafka header names set on dead-letter records, for routing without parsing the body.</summary>
    public static class Headers
    {
        public const string ReasonCode = "sluice-reason";
        public const string SourceTopic = "sluice-source-topic";
    }
}
