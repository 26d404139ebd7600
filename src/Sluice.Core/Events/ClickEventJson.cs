using System.Buffers;
using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Core.Events;

/// <summary>Why a payload could not become a <see cref="ClickEvent"/>: a stable code and a human detail.</summary>
public readonly record struct DecodeError(string ReasonCode, string Detail);

/// <summary>Reflection-free JSON codec for <see cref="ClickEvent"/> with the v3 snake_case field names.</summary>
/// <remarks>
/// Decoding never throws on bad input: it returns a <see cref="DecodeError"/> with a reason code from
/// <see cref="ReasonCodes"/>. Unknown fields are ignored so newer producers do not break older readers.
/// </remarks>
public static partial class ClickEventJson
{
    /// <summary>The v3 field names, in the order <see cref="Write(Utf8JsonWriter, ClickEvent)"/> writes them (and the
    /// producer's CSV files have their columns).</summary>
    public static IReadOnlyList<string> FieldNames { get; } =
    [
        "event_id", "event_type", "timestamp", "user_id", "session_id", "product_id", "product_category", "price_cents",
        "quantity", "search_query", "page_url", "referrer", "user_agent", "ip_address", "geo_country", "geo_city",
        "user_segment", "device_type", "browser", "campaign_id", "schema_version",
    ];

    /// <summary>Longest string field accepted; longer values are rejected, not truncated.</summary>
    public const int MaxStringLength = 4096;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Writes one event as a single-line JSON object.</summary>
    public static void Write(ClickEvent e, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        Write(w, e);
    }

    /// <summary>Writes one event as a JSON object with <paramref name="w"/> (a writer the caller may reuse).</summary>
    public static void Write(Utf8JsonWriter w, ClickEvent e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject();
        if (e.EventId.IsUuid) w.WriteString("event_id"u8, e.EventId.Key);
        else w.WriteString("event_id"u8, e.EventId.ToString());
        w.WriteString("event_type"u8, e.EventType.ToWireName());
        w.WriteNumber("timestamp"u8, e.Timestamp);
        WriteNullable(w, "user_id"u8, e.UserId);
        w.WriteString("session_id"u8, e.SessionId);
        WriteNullable(w, "product_id"u8, e.ProductId);
        WriteNullable(w, "product_category"u8, e.ProductCategory);
        if (e.PriceCents is { } price) w.WriteNumber("price_cents"u8, price); else w.WriteNull("price_cents"u8);
        if (e.Quantity is { } qty) w.WriteNumber("quantity"u8, qty); else w.WriteNull("quantity"u8);
        WriteNullable(w, "search_query"u8, e.SearchQuery);
        WriteNullable(w, "page_url"u8, e.PageUrl);
        WriteNullable(w, "referrer"u8, e.Referrer);
        WriteNullable(w, "user_agent"u8, e.UserAgent);
        WriteNullable(w, "ip_address"u8, e.IpAddress);
        WriteNullable(w, "geo_country"u8, e.GeoCountry);
        WriteNullable(w, "geo_city"u8, e.GeoCity);
        WriteNullable(w, "user_segment"u8, e.UserSegment);
        WriteNullable(w, "device_type"u8, e.DeviceType);
        WriteNullable(w, "browser"u8, e.Browser);
        WriteNullable(w, "campaign_id"u8, e.CampaignId);
        w.WriteNumber("schema_version"u8, e.SchemaVersion);
        w.WriteEndObject();
    }

    /// <summary>The event as UTF-8 JSON bytes.</summary>
    public static byte[] ToBytes(ClickEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(e, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    /// <summary>Decodes one JSON object; on failure <paramref name="error"/> says why.</summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, out ClickEvent? evt, out DecodeError error)
    {
        evt = null;
        var f = new Fields();
        // The common case - a flat object of plain strings, integers and nulls - is parsed by a fast scanner;
        // anything else (escapes, nesting, bad input) goes through Utf8JsonReader, which owns every error message.
        if (!FastJson.TryRead(utf8, ref f))
        {
            if (IsPlainlyNotJson(utf8, out error)) return false;
            f = new Fields();
            if (!TryReadWithReader(utf8, ref f, out error)) return false;
        }
        return Build(ref f, out evt, out error);
    }

    /// <summary>Recognises, without the reader, the garbage that topics really carry: text or bytes that do not start a
    /// JSON value (an HTML error page, a form post, compressed bytes), and an object cut short (a torn write).</summary>
    /// <remarks>The reader reports these by throwing, and an exception per record costs tens of microseconds where a
    /// record takes one. The details give the position the reader gives for such input: the first byte's position in its
    /// line, or the end of the data.</remarks>
    internal static bool IsPlainlyNotJson(ReadOnlySpan<byte> utf8, out DecodeError error)
    {
        error = default;
        var lineStart = 0;
        var i = 0;
        for (; i < utf8.Length && utf8[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r'; i++)
        {
            if (utf8[i] == (byte)'\n') lineStart = i + 1;
        }
        if (i == utf8.Length || utf8[i] is not ((byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n'))
        {
            error = new DecodeError(ReasonCodes.InvalidJson, $"not valid JSON at byte {i - lineStart}");
            return true;
        }
        if (utf8[i] != (byte)'{') return false;
        // Inside a string or an unclosed object or array when the data ends: no JSON text is a prefix of this.
        var depth = 0;
        var inString = false;
        for (; i < utf8.Length; i++)
        {
            var c = utf8[i];
            if (inString)
            {
                if (c == (byte)'\\') i++;
                else if (c == (byte)'"') inString = false;
                continue;
            }
            if (c == (byte)'\n') lineStart = i + 1;
            else if (c == (byte)'"') inString = true;
            else if (c is (byte)'{' or (byte)'[') depth++;
            else if (c is (byte)'}' or (byte)']' && --depth == 0) return false;
        }
        error = new DecodeError(ReasonCodes.InvalidJson, $"not valid JSON at byte {utf8.Length - lineStart}: the data ends inside the object");
        return true;
    }

    private static bool TryReadWithReader(ReadOnlySpan<byte> utf8, ref Fields f, out DecodeError error)
    {
        error = default;
        try
        {
            var r = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                error = new DecodeError(ReasonCodes.InvalidJson, "payload is not a JSON object");
                return false;
            }
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (!ReadProperty(ref r, ref f, out error)) return false;
            }
            if (r.TokenType != JsonTokenType.EndObject || r.Read())
            {
                error = new DecodeError(ReasonCodes.InvalidJson, "trailing data after the JSON object");
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = new DecodeError(ReasonCodes.InvalidJson, $"not valid JSON at byte {ex.BytePositionInLine}");
            return false;
        }
        catch (InvalidOperationException)
        {
            error = new DecodeError(ReasonCodes.InvalidJson, "not valid UTF-8 JSON");
            return false;
        }
        return true;
    }

    private static bool Build(ref Fields f, out ClickEvent? evt, out DecodeError error)
    {
        evt = null;
        var missing = f.MissingRequired();
        if (missing is not null)
        {
            error = new DecodeError(ReasonCodes.MissingRequiredFields, missing);
            return false;
        }
        if (!f.EventTypeKnown)
        {
            error = new DecodeError(ReasonCodes.UnknownEventType, $"event_type '{f.EventTypeText}' is not one of {string.Join(", ", EventTypes.All.Select(t => t.ToWireName()))}");
            return false;
        }

        evt = new ClickEvent
        {
            EventId = f.EventId!.Value,
            EventType = f.EventType,
            Timestamp = f.Timestamp!.Value,
            UserId = f.UserId,
            SessionId = f.SessionId!,
            ProductId = f.ProductId,
            ProductCategory = f.ProductCategory,
            PriceCents = f.PriceCents,
            Quantity = f.Quantity,
            SearchQuery = f.SearchQuery,
            PageUrl = f.PageUrl,
            Referrer = f.Referrer,
            UserAgent = f.UserAgent,
            IpAddress = f.IpAddress,
            GeoCountry = f.GeoCountry,
            GeoCity = f.GeoCity,
            UserSegment = f.UserSegment,
            DeviceType = f.DeviceType,
            Browser = f.Browser,
            CampaignId = f.CampaignId,
            SchemaVersion = f.SchemaVersion ?? ClickEvent.CurrentSchemaVersion,
        };
        error = default;
        return true;
    }

    private static bool ReadProperty(ref Utf8JsonReader r, ref Fields f, out DecodeError error)
    {
        error = default;
        // Property names are compared as UTF-8 bytes, grouped by length: no string is allocated for a name and
        // each name is compared with at most a few candidates.
        var name = r.HasValueSequence ? r.ValueSequence.ToArray() : r.ValueSpan;
        if (!r.Read()) { error = new DecodeError(ReasonCodes.InvalidJson, "truncated"); return false; }

        switch (name.Length)
        {
            case 7:
                if (name.SequenceEqual("user_id"u8)) return ReadString(ref r, "user_id", ref f.UserId, out error, Utf8StringPool.Ids);
                if (name.SequenceEqual("browser"u8)) return ReadString(ref r, "browser", ref f.Browser, out error);
                break;
            case 8:
                if (name.SequenceEqual("event_id"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.String) return TypeError("event_id", "a string", out error);
                    return ReadEventId(ref r, ref f, out error);
                }
                if (name.SequenceEqual("quantity"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out var qty)) return TypeError("quantity", "an integer", out error);
                    f.Quantity = qty;
                    return true;
                }
                if (name.SequenceEqual("page_url"u8)) return ReadString(ref r, "page_url", ref f.PageUrl, out error);
                if (name.SequenceEqual("referrer"u8)) return ReadString(ref r, "referrer", ref f.Referrer, out error);
                if (name.SequenceEqual("geo_city"u8)) return ReadString(ref r, "geo_city", ref f.GeoCity, out error);
                break;
            case 9:
                if (name.SequenceEqual("timestamp"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var ts)) return TypeError("timestamp", "an integer (epoch milliseconds)", out error);
                    f.Timestamp = ts;
                    return true;
                }
                break;
            case 10:
                if (name.SequenceEqual("event_type"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.String) return TypeError("event_type", "a string", out error);
                    f.EventTypeSeen = true;
                    f.EventTypeKnown = !r.ValueIsEscaped && !r.HasValueSequence && EventTypes.TryParse(r.ValueSpan, out f.EventType);
                    if (!f.EventTypeKnown)
                    {
                        f.EventTypeText = r.GetString();
                        f.EventTypeKnown = EventTypes.TryParse(f.EventTypeText, out f.EventType);
                        f.EventTypeText = Truncate(f.EventTypeText);
                    }
                    return true;
                }
                if (name.SequenceEqual("session_id"u8)) return ReadString(ref r, "session_id", ref f.SessionId, out error, Utf8StringPool.Ids);
                if (name.SequenceEqual("product_id"u8)) return ReadString(ref r, "product_id", ref f.ProductId, out error);
                if (name.SequenceEqual("user_agent"u8)) return ReadString(ref r, "user_agent", ref f.UserAgent, out error);
                if (name.SequenceEqual("ip_address"u8)) return ReadString(ref r, "ip_address", ref f.IpAddress, out error, Utf8StringPool.Ids);
                break;
            case 11:
                if (name.SequenceEqual("price_cents"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var price)) return TypeError("price_cents", "an integer", out error);
                    f.PriceCents = price;
                    return true;
                }
                if (name.SequenceEqual("geo_country"u8)) return ReadString(ref r, "geo_country", ref f.GeoCountry, out error);
                if (name.SequenceEqual("device_type"u8)) return ReadString(ref r, "device_type", ref f.DeviceType, out error);
                if (name.SequenceEqual("campaign_id"u8)) return ReadString(ref r, "campaign_id", ref f.CampaignId, out error);
                break;
            case 12:
                if (name.SequenceEqual("search_query"u8)) return ReadString(ref r, "search_query", ref f.SearchQuery, out error);
                if (name.SequenceEqual("user_segment"u8)) return ReadString(ref r, "user_segment", ref f.UserSegment, out error);
                break;
            case 14:
                if (name.SequenceEqual("schema_version"u8))
                {
                    if (r.TokenType == JsonTokenType.Null) return true;
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out var version)) return TypeError("schema_version", "an integer", out error);
                    f.SchemaVersion = version;
                    return true;
                }
                break;
            case 16:
                if (name.SequenceEqual("product_category"u8)) return ReadString(ref r, "product_category", ref f.ProductCategory, out error);
                break;
        }
        r.Skip();
        return true;
    }

    private static bool ReadEventId(ref Utf8JsonReader r, ref Fields f, out DecodeError error)
    {
        error = default;
        EventIdStatus status;
        EventId id;
        if (!r.ValueIsEscaped && !r.HasValueSequence)
        {
            status = EventId.TryParse(r.ValueSpan, out id);
        }
        else
        {
            // An escape takes at most six bytes per character: more is over the limit without unescaping it.
            var length = r.HasValueSequence ? r.ValueSequence.Length : r.ValueSpan.Length;
            if (length > EventId.MaxLength * 6L)
            {
                id = default;
                status = EventIdStatus.TooLong;
            }
            else
            {
                status = EventId.TryParse(r.GetString()!, out id);
            }
        }
        switch (status)
        {
            case EventIdStatus.Valid:
                f.EventId = id;
                return true;
            case EventIdStatus.InvalidText:
                error = new DecodeError(ReasonCodes.InvalidJson, "not valid UTF-8 JSON");
                return false;
            default:
                error = EventId.Error(status);
                return false;
        }
    }

    private static bool ReadString(ref Utf8JsonReader r, string field, ref string? target, out DecodeError error) =>
        ReadString(ref r, field, ref target, out error, Utf8StringPool.Shared);

    private static bool ReadString(ref Utf8JsonReader r, string field, ref string? target, out DecodeError error, Utf8StringPool? pool)
    {
        error = default;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.String) return TypeError(field, "a string", out error);
        // Most values repeat (agents, countries, pages, ids within a session): share one string per distinct value.
        if (pool is not null && !r.ValueIsEscaped && !r.HasValueSequence && r.ValueSpan.Length <= pool.MaxBytes)
        {
            target = pool.GetString(r.ValueSpan);
            return true;
        }
        var length = r.HasValueSequence ? r.ValueSequence.Length : r.ValueSpan.Length;
        if (length > MaxStringLength * 6L || (target = r.GetString())!.Length > MaxStringLength)
        {
            target = null;
            error = new DecodeError(ReasonCodes.FieldTooLong, $"{field} is longer than {MaxStringLength} characters");
            return false;
        }
        return true;
    }

    private static bool TypeError(string field, string expected, out DecodeError error)
    {
        error = new DecodeError(ReasonCodes.InvalidFieldType, $"{field} must be {expected}");
        return false;
    }

    private static string? Truncate(string? s) => s is { Length: > 64 } ? s[..64] + "…" : s;

    private struct Fields
    {
        public EventId? EventId;
        public bool EventTypeSeen, EventTypeKnown;
        public EventType EventType;
        public string? EventTypeText;
        public long? Timestamp, PriceCents;
        public int? Quantity, SchemaVersion;
        public string? UserId, SessionId, ProductId, ProductCategory, SearchQuery, PageUrl, Referrer, UserAgent,
            IpAddress, GeoCountry, GeoCity, UserSegment, DeviceType, Browser, CampaignId;

        /// <summary>Sorted, comma-separated names of absent required fields, or null when all are present.</summary>
        public readonly string? MissingRequired()
        {
            List<string>? missing = null;
            if (EventId is null) (missing ??= []).Add("event_id");
            if (!EventTypeSeen) (missing ??= []).Add("event_type");
            if (SessionId is null) (missing ??= []).Add("session_id");
            if (Timestamp is null) (missing ??= []).Add("timestamp");
            if (missing is null) return null;
            missing.Sort(StringComparer.Ordinal);
            return string.Join(",", missing);
        }
    }
}
