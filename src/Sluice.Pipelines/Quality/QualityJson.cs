using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Pipelines.Quality.Alerts;

namespace Sluice.Pipelines.Quality;

/// <summary>The JSON of quality rows (the quality topic) and of alerts (the alert file and webhook), snake_case.</summary>
/// <remarks>
/// A row lists the counts first (what readers add up across partitions), then what is computed from them. Nulls per
/// field are an object with every tracked field, in <see cref="QualityFields.Names"/> order; dead letters per reason an
/// object ordered by reason.
/// </remarks>
public static class QualityJson
{
    public static void Write(Utf8JsonWriter w, QualityRow r)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(r);
        w.WriteStartObject();
        w.WriteNumber("window_start"u8, r.WindowStart);
        w.WriteNumber("window_end"u8, r.WindowEnd);
        w.WriteNumber("partition"u8, r.Partition);
        w.WriteNumber("records_in"u8, r.RecordsIn);
        w.WriteNumber("valid"u8, r.Valid);
        w.WriteNumber("invalid"u8, r.Invalid);
        w.WriteNumber("duplicates"u8, r.Duplicates);
        w.WriteNumber("bots"u8, r.Bots);
        w.WriteNumber("late"u8, r.Late);
        w.WriteNumber("accepted"u8, r.Accepted);
        w.WriteStartObject("invalid_by_reason"u8);
        foreach (var (reason, n) in r.InvalidByReason) w.WriteNumber(reason, n);
        w.WriteEndObject();
        w.WriteStartObject("null_counts"u8);
        for (var i = 0; i < QualityFields.Count; i++) w.WriteNumber(QualityFields.Names[i], r.NullCounts[i]);
        w.WriteEndObject();
        w.WriteNumber("ingest_lag_ms_sum"u8, r.IngestLagSumMs);
        Number(w, "ingest_lag_ms_max"u8, r.IngestLagMaxMs);
        Number(w, "ingest_lag_ms_mean"u8, r.IngestLagMeanMs);
        Number(w, "volume_baseline"u8, r.VolumeBaseline);
        Number(w, "volume_ratio"u8, r.VolumeRatio);
        w.WriteNumber("invalid_rate"u8, r.InvalidRate);
        w.WriteNumber("duplicate_rate"u8, r.DuplicateRate);
        w.WriteNumber("late_rate"u8, r.LateRate);
        w.WriteNumber("bot_rate"u8, r.BotRate);
        w.WriteNumber("completeness"u8, r.Completeness);
        w.WriteNumber("score"u8, r.Score);
        w.WriteString("grade"u8, r.Grade);
        w.WriteEndObject();
    }

    /// <summary>One alert: the check, its value and threshold, the window, the partition, the grade.</summary>
    public static void Write(Utf8JsonWriter w, QualityAlert a)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(a);
        w.WriteStartObject();
        w.WriteString("check"u8, a.Check);
        w.WriteNumber("value"u8, a.Value);
        w.WriteNumber("threshold"u8, a.Threshold);
        w.WriteString("comparison"u8, a.Comparison);
        w.WriteNumber("window_start"u8, a.WindowStart);
        w.WriteNumber("window_end"u8, a.WindowEnd);
        w.WriteString("window_start_utc"u8, DateTimeOffset.FromUnixTimeMilliseconds(a.WindowStart).UtcDateTime);
        w.WriteString("window_end_utc"u8, DateTimeOffset.FromUnixTimeMilliseconds(a.WindowEnd).UtcDateTime);
        w.WriteNumber("partition"u8, a.Partition);
        w.WriteString("grade"u8, a.Grade);
        w.WriteNumber("score"u8, a.Score);
        w.WriteNumber("records_in"u8, a.RecordsIn);
        w.WriteNumber("raised_at"u8, a.RaisedAtMs);
        w.WriteString("message"u8, a.ToString());
        w.WriteEndObject();
    }

    /// <summary>The row's key, "{window start}|{partition}", as UTF-8.</summary>
    public static void WriteKey(QualityRowKey key, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = key.ToString();
        output.Advance(Encoding.UTF8.GetBytes(text, output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));
    }

    /// <summary>An alert as one line of UTF-8 JSON, without the line break.</summary>
    public static byte[] Bytes(QualityAlert alert)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer)) Write(w, alert);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Number(Utf8JsonWriter w, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter w, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
