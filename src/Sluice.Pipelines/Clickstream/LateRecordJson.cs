using System.Text.Json;
using Sluice.Streaming.Errors;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The fields every late record carries, whatever its event: which aggregate refused it, why, the window and watermark, and where it was read.</summary>
public static class LateRecordJson
{
    /// <summary>Writes those fields into the open object; the caller writes the event and closes it.</summary>
    public static void WriteFields<T>(Utf8JsonWriter w, LateRecord<T> l)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(l);
        w.WriteString("aggregate"u8, l.Operator);
        w.WriteString("reason_code"u8, l.ReasonCode);
        w.WriteNumber("event_timestamp"u8, l.EventTimestamp);
        w.WriteNumber("window_start"u8, l.WindowStart);
        w.WriteNumber("window_end"u8, l.WindowEnd);
        w.WriteNumber("watermark"u8, l.Watermark);
        w.WriteString("topic"u8, l.Source.Topic);
        w.WriteNumber("partition"u8, l.Source.Partition);
        w.WriteNumber("offset"u8, l.Source.Offset);
    }
}
