using System.Buffers;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Pipelines.Quality;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;

namespace Sluice.Pipelines.Clickstream;

/// <summary>JSON (snake_case, one object per record) for every clickstream output, written without reflection.</summary>
public static class ClickstreamJson
{
    // Relaxed escaping: these records are read by programs and people, never embedded in HTML.
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Registers a serialiser for every output type of the topology.</summary>
    public static KafkaRecordCollector RegisterAll(KafkaRecordCollector collector)
    {
        ArgumentNullException.ThrowIfNull(collector);
        RegisterAll(collector.Serializers);
        return collector;
    }

    /// <summary>Registers a serialiser for every output type of the topology in <paramref name="serializers"/>.</summary>
    /// <remarks>The serialisers share one JSON writer, reset onto the caller's buffer for each record: use them from one thread.</remarks>
    public static RecordSerializers RegisterAll(RecordSerializers serializers)
    {
        ArgumentNullException.ThrowIfNull(serializers);
        var writer = new Utf8JsonWriter(new ArrayBufferWriter<byte>(1), Options);
        return serializers
            .Register(Serializer<ClickEvent>(writer, ClickEventJson.Write))
            .Register<EnrichedEvent>(static (e, output) => Write(e, output))
            .Register(Serializer<DeadLetterRecord>(writer, Write))
            .Register(Serializer<LateRecord<EnrichedEvent>>(writer, Write))
            .Register<AggregateRow>(static (r, output) => Write(r, output))
            .Register<SessionSummary>(static (s, output) => Write(s, output))
            .Register<AggregateRowKey>(static (k, output) => RecordKeys.Write(k, output))
            .Register<SessionKey>(static (k, output) => RecordKeys.Write(k, output))
            .Register(Serializer<Users.UserVersion>(writer, Users.UserDimensionJson.Write))
            .Register(Serializer<Users.ProfileCorrection>(writer, Users.UserDimensionJson.Write))
            .Register(Serializer<QualityRow>(writer, QualityJson.Write))
            .Register<QualityRowKey>(static (k, output) => QualityJson.WriteKey(k, output));
    }

    // A value written by one of the direct writers, placed inside a document another writer is building (a late
    // record's event, tests): those writers produce valid JSON, so it goes in unchecked.
    private static void RawValue<T>(Utf8JsonWriter w, T value, Action<T, IBufferWriter<byte>> write)
    {
        ArgumentNullException.ThrowIfNull(w);
        var buffer = new ArrayBufferWriter<byte>(512);
        write(value, buffer);
        w.WriteRawValue(buffer.WrittenSpan, skipInputValidation: true);
    }

    private static BufferSerializer<T> Serializer<T>(Utf8JsonWriter writer, Action<Utf8JsonWriter, T> write) =>
        (value, output) =>
        {
            writer.Reset(output);
            write(writer, value);
            writer.Flush();
        };

    /// <summary>The v3 event fields (country and search query normalised) followed by the derived fields, into <paramref name="output"/>.</summary>
    /// <remarks>Every valid event is written so, hence no <see cref="Utf8JsonWriter"/>: see <see cref="EnrichedEventJson"/>.</remarks>
    public static void Write(in EnrichedEvent x, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnrichedEventJson.Write(x, output, Options.Encoder!);
    }

    /// <summary>As <see cref="Write(in EnrichedEvent, IBufferWriter{byte})"/>, as a value of <paramref name="w"/> (inside a late record).</summary>
    public static void Write(Utf8JsonWriter w, EnrichedEvent x)
    {
        RawValue(w, x, static (e, buffer) => Write(e, buffer));
    }

    /// <summary>Bytes of a dead letter's payload copied whole; a longer payload is cut to this prefix.</summary>
    /// <remarks>
    /// A record legal on its input topic can be most of the broker's message size limit (1 MB by default), and its
    /// base64 copy a third larger: writing it whole would fail, and a processor that cannot write a dead letter would
    /// stop on that record at every restart. A dead letter therefore never carries more than this prefix, with the
    /// whole payload's length and SHA-256 so it can be found and checked at its source (topic, partition, offset).
    /// </remarks>
    public const int DeadLetterPayloadLimit = 256 * 1024;

    /// <summary>Bytes of a dead letter's key copied whole, as for <see cref="DeadLetterPayloadLimit"/>.</summary>
    public const int DeadLetterKeyLimit = 4 * 1024;

    /// <summary>Characters of a dead letter's detail kept; details are one line, but an exception message may quote input.</summary>
    public const int DeadLetterDetailLimit = 4 * 1024;

    /// <summary>Reason, detail, where the record came from, and the original payload in base64 (cut to a prefix when large).</summary>
    public static void Write(Utf8JsonWriter w, DeadLetterRecord d)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(d);
        w.WriteStartObject();
        w.WriteString("reason_code"u8, d.ReasonCode);
        w.WriteString("detail"u8, d.Detail.Length <= DeadLetterDetailLimit ? d.Detail : string.Concat(d.Detail.AsSpan(0, DeadLetterDetailLimit), "…"));
        w.WriteString("topic"u8, d.Topic);
        w.WriteNumber("partition"u8, d.Partition);
        w.WriteNumber("offset"u8, d.Offset);
        w.WriteNumber("failed_at"u8, d.FailedAtMs);
        if (d.Key is null) w.WriteNull("key_base64"u8);
        else w.WriteBase64String("key_base64"u8, d.Key.AsSpan(0, Math.Min(d.Key.Length, DeadLetterKeyLimit)));
        w.WriteBase64String("payload_base64"u8, d.Payload.AsSpan(0, Math.Min(d.Payload.Length, DeadLetterPayloadLimit)));
        var keyCut = d.Key is { Length: > DeadLetterKeyLimit };
        if (d.Payload.Length > DeadLetterPayloadLimit || keyCut)
        {
            // Only the rare cut record carries these, so ordinary dead letters keep their shape and size.
            w.WriteBoolean("payload_truncated"u8, d.Payload.Length > DeadLetterPayloadLimit);
            w.WriteNumber("payload_length"u8, d.Payload.Length);
            w.WriteString("payload_sha256"u8, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(d.Payload)));
            w.WriteBoolean("key_truncated"u8, keyCut);
            w.WriteNumber("key_length"u8, d.Key?.Length ?? 0);
        }
        w.WriteEndObject();
    }

    /// <summary>Which aggregate refused the event, why, the window and watermark, and the event itself.</summary>
    public static void Write(Utf8JsonWriter w, LateRecord<EnrichedEvent> l)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(l);
        w.WriteStartObject();
        LateRecordJson.WriteFields(w, l);
        w.WritePropertyName("event"u8);
        Write(w, l.Value);
        w.WriteEndObject();
    }

    /// <summary>One aggregate row, into <paramref name="output"/>: hundreds close with every window, hence <see cref="JsonOutput"/>.</summary>
    public static void Write(AggregateRow r, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(output);
        var o = new JsonOutput(output, Options.Encoder!);
        o.Raw("{\"aggregate\":"u8);
        o.String(r.Aggregate);
        o.Raw(",\"window_start\":"u8);
        o.Number(r.WindowStart);
        o.Raw(",\"window_end\":"u8);
        o.Number(r.WindowEnd);
        o.Raw(",\"partition\":"u8);
        o.Number(r.Partition);
        o.Raw(",\"dimension\":"u8);
        o.String(r.Dimension);
        o.Raw(",\"dimension_value\":"u8);
        o.String(r.DimensionValue);
        o.Raw(",\"metric\":"u8);
        o.String(r.Metric);
        o.Raw(",\"value\":"u8);
        o.Number(r.Value);
        o.Raw("}"u8);
        o.Commit();
    }

    /// <summary>As <see cref="Write(AggregateRow, IBufferWriter{byte})"/>, as a value of <paramref name="w"/>.</summary>
    public static void Write(Utf8JsonWriter w, AggregateRow r)
    {
        RawValue(w, r, Write);
    }

    /// <summary>A closed session, into <paramref name="output"/>: one for every five events or so, hence <see cref="JsonOutput"/>.</summary>
    public static void Write(SessionSummary s, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(output);
        var o = new JsonOutput(output, Options.Encoder!);
        o.Raw("{\"key\":"u8);
        o.String(s.Key);
        o.Raw(",\"user_id\":"u8);
        o.String(s.UserId);
        o.Raw(",\"session_id\":"u8);
        o.String(s.SessionId);
        o.Raw(",\"partition\":"u8);
        o.Number(s.Partition);
        o.Raw(",\"session_start\":"u8);
        o.Number(s.Start);
        o.Raw(",\"session_end\":"u8);
        o.Number(s.End);
        o.Raw(",\"duration_ms\":"u8);
        o.Number(s.DurationMs);
        o.Raw(",\"events\":"u8);
        o.Number(s.Events);
        o.Raw(",\"page_views\":"u8);
        o.Number(s.PageViews);
        o.Raw(",\"cart_adds\":"u8);
        o.Number(s.CartAdds);
        o.Raw(",\"purchases\":"u8);
        o.Number(s.Purchases);
        o.Raw(",\"revenue_cents\":"u8);
        o.Number(s.RevenueCents);
        o.Raw(",\"converted\":"u8);
        o.Bool(s.Converted);
        o.Raw(",\"abandoned_cart\":"u8);
        o.Bool(s.AbandonedCart);
        o.Raw(",\"landing_page\":"u8);
        o.String(s.LandingPage);
        o.Raw(",\"exit_page\":"u8);
        o.String(s.ExitPage);
        o.Raw("}"u8);
        o.Commit();
    }

    /// <summary>As <see cref="Write(SessionSummary, IBufferWriter{byte})"/>, as a value of <paramref name="w"/>.</summary>
    public static void Write(Utf8JsonWriter w, SessionSummary s)
    {
        RawValue(w, s, Write);
    }

    /// <summary>One value as UTF-8 JSON bytes.</summary>
    public static byte[] Bytes<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options)) write(w, value);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Str(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    private static void Num(Utf8JsonWriter w, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
