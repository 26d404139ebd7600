using System.Text;
using System.Text.Json;

namespace Sluice.App.DeadLetters;

/// <summary>That a dead letter was replayed: when, where its payload went, and what it became by the rules then in force.</summary>
/// <param name="Letter">The letter's id, <c>P:O</c> on the dead-letter topic.</param>
/// <param name="Topic">Where the payload was written again (the letter's source topic).</param>
/// <param name="Became"><c>valid</c>, or the reason code it would be dead-lettered with again.</param>
public sealed record ReplayMark(string Letter, long ReplayedAtMs, string Topic, int Partition, long Offset, string Became, string Detail)
{
    /// <summary>The record written to the replay log: keyed by the letter, so the newest mark of a letter is its state.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("letter", Letter);
            w.WriteNumber("replayed_at", ReplayedAtMs);
            w.WriteString("topic", Topic);
            w.WriteNumber("partition", Partition);
            w.WriteNumber("offset", Offset);
            w.WriteString("became", Became);
            w.WriteString("detail", Detail);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>A mark read back; null for a record of another shape.</summary>
    public static ReplayMark? Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new ReplayMark(r.GetProperty("letter").GetString()!, r.GetProperty("replayed_at").GetInt64(), r.GetProperty("topic").GetString()!,
                r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64(), r.GetProperty("became").GetString()!,
                r.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : "");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The replay log's key for a letter.</summary>
    public static string KeyOf(string letter) => letter;

    public override string ToString() => Encoding.UTF8.GetString(ToJson());
}
