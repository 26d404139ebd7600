using System.Buffers.Text;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Core.Events;

public static partial class ClickEventJson
{
    /// <summary>A scanner for the shape producers actually send: one flat object of strings, integers and nulls.</summary>
    /// <remarks>
    /// It accepts a strict subset of what the <see cref="System.Text.Json.Utf8JsonReader"/> path accepts and
    /// returns false at the first thing outside it (escaped names, malformed escapes, lone surrogates, control characters, fractions, booleans, nesting,
    /// a wrong type, an unknown event type, non-ASCII in an unknown field, trailing data); the caller then
    /// decodes the payload again with the reader, so errors, reason codes and details are the reader path's.
    /// </remarks>
    private static class FastJson
    {
        private enum Kind : byte { Null, String, Number }

        // Escaped values are unescaped here before use; longer ones (rare) go to the reader path.
        private const int ScratchBytes = 1024;

        public static bool TryRead(ReadOnlySpan<byte> s, ref Fields f)
        {
            Span<byte> scratch = stackalloc byte[ScratchBytes];
            var pool = Utf8StringPool.Shared;
            var ids = Utf8StringPool.Ids;
            var i = SkipWhitespace(s, 0);
            if (i >= s.Length || s[i] != (byte)'{') return false;
            i = SkipWhitespace(s, i + 1);
            if (i < s.Length && s[i] == (byte)'}') return SkipWhitespace(s, i + 1) == s.Length;
            while (true)
            {
                if (!TryString(s, i, out var nameStart, out var nameLength, out var nameEscaped) || nameEscaped) return false;
                var name = s.Slice(nameStart, nameLength);
                i = nameStart + nameLength + 1;
                i = SkipWhitespace(s, i);
                if (i >= s.Length || s[i] != (byte)':') return false;
                i = SkipWhitespace(s, i + 1);
                if (i >= s.Length) return false;

                Kind kind;
                scoped ReadOnlySpan<byte> value;
                var c = s[i];
                if (c == (byte)'"')
                {
                    if (!TryString(s, i, out var valueStart, out var valueLength, out var escaped)) return false;
                    value = s.Slice(valueStart, valueLength);
                    i = valueStart + valueLength + 1;
                    // Producers that escape non-ASCII ("S\u00E3o Paulo") are common: unescape rather than fall back.
                    if (escaped)
                    {
                        if (valueLength > ScratchBytes || !TryUnescape(value, scratch, out var written)) return false;
                        value = scratch[..written];
                    }
                    kind = Kind.String;
                }
                else if (c == (byte)'n')
                {
                    if (!s[i..].StartsWith("null"u8)) return false;
                    i += 4;
                    value = default;
                    kind = Kind.Null;
                }
                else if (c == (byte)'-' || IsDigit(c))
                {
                    var start = i;
                    if (c == (byte)'-') i++;
                    var digits = i;
                    while (i < s.Length && IsDigit(s[i])) i++;
                    if (i == digits || (s[digits] == (byte)'0' && i - digits > 1)) return false;
                    value = s[start..i];
                    kind = Kind.Number;
                }
                else
                {
                    return false;
                }

                if (!Assign(name, kind, value, ref f, pool, ids)) return false;
                i = SkipWhitespace(s, i);
                if (i >= s.Length) return false;
                if (s[i] == (byte)',')
                {
                    i = SkipWhitespace(s, i + 1);
                    continue;
                }
                if (s[i] != (byte)'}') return false;
                return SkipWhitespace(s, i + 1) == s.Length;
            }
        }

        private static bool Assign(ReadOnlySpan<byte> name, Kind kind, ReadOnlySpan<byte> value, ref Fields f, Utf8StringPool pool, Utf8StringPool ids)
        {
            switch (name.Length)
            {
                case 7:
                    if (name.SequenceEqual("user_id"u8)) return Str(kind, value, ref f.UserId, ids);
                    if (name.SequenceEqual("browser"u8)) return Str(kind, value, ref f.Browser, pool);
                    break;
                case 8:
                    if (name.SequenceEqual("event_id"u8))
                    {
                        if (kind == Kind.Null) return true;
                        // Anything but an id (empty, too long, not UTF-8) is left to the reader path, which names the reason.
                        if (kind != Kind.String || EventId.TryParse(value, out var id) != EventIdStatus.Valid) return false;
                        f.EventId = id;
                        return true;
                    }
                    if (name.SequenceEqual("quantity"u8)) return Int32(kind, value, ref f.Quantity);
                    if (name.SequenceEqual("page_url"u8)) return Str(kind, value, ref f.PageUrl, pool);
                    if (name.SequenceEqual("referrer"u8)) return Str(kind, value, ref f.Referrer, pool);
                    if (name.SequenceEqual("geo_city"u8)) return Str(kind, value, ref f.GeoCity, pool);
                    break;
                case 9:
                    if (name.SequenceEqual("timestamp"u8)) return Int64(kind, value, ref f.Timestamp);
                    break;
                case 10:
                    if (name.SequenceEqual("event_type"u8))
                    {
                        if (kind == Kind.Null) return true;
                        if (kind != Kind.String || !EventTypes.TryParse(value, out f.EventType)) return false;
                        f.EventTypeSeen = true;
                        f.EventTypeKnown = true;
                        return true;
                    }
                    if (name.SequenceEqual("session_id"u8)) return Str(kind, value, ref f.SessionId, ids);
                    if (name.SequenceEqual("product_id"u8)) return Str(kind, value, ref f.ProductId, pool);
                    if (name.SequenceEqual("user_agent"u8)) return Str(kind, value, ref f.UserAgent, pool);
                    if (name.SequenceEqual("ip_address"u8)) return Str(kind, value, ref f.IpAddress, ids);
                    break;
                case 11:
                    if (name.SequenceEqual("price_cents"u8)) return Int64(kind, value, ref f.PriceCents);
                    if (name.SequenceEqual("geo_country"u8)) return Str(kind, value, ref f.GeoCountry, pool);
                    if (name.SequenceEqual("device_type"u8)) return Str(kind, value, ref f.DeviceType, pool);
                    if (name.SequenceEqual("campaign_id"u8)) return Str(kind, value, ref f.CampaignId, pool);
                    break;
                case 12:
                    if (name.SequenceEqual("search_query"u8)) return Str(kind, value, ref f.SearchQuery, pool);
                    if (name.SequenceEqual("user_segment"u8)) return Str(kind, value, ref f.UserSegment, pool);
                    break;
                case 14:
                    if (name.SequenceEqual("schema_version"u8)) return Int32(kind, value, ref f.SchemaVersion);
                    break;
                case 16:
                    if (name.SequenceEqual("product_category"u8)) return Str(kind, value, ref f.ProductCategory, pool);
                    break;
            }
            // An unknown field is skipped; leave anything but ASCII to the reader, which validates it.
            return Ascii.IsValid(name) && (kind != Kind.String || Ascii.IsValid(value));
        }

        private static bool Str(Kind kind, ReadOnlySpan<byte> value, ref string? target, Utf8StringPool? pool)
        {
            if (kind == Kind.Null) return true;
            if (kind != Kind.String || value.Length > MaxStringLength) return false;
            if (pool is not null && value.Length <= pool.MaxBytes)
            {
                if (!pool.TryGetString(value, out var pooled)) return false;
                target = pooled;
                return true;
            }
            // Long values are allocated directly: they rarely repeat, and pooling them would only evict the hot values.
            if (!Utf8.IsValid(value)) return false;
            target = Encoding.UTF8.GetString(value);
            return true;
        }

        private static bool Int64(Kind kind, ReadOnlySpan<byte> value, ref long? target)
        {
            if (kind == Kind.Null) return true;
            if (kind != Kind.Number || !Utf8Parser.TryParse(value, out long v, out var used) || used != value.Length) return false;
            target = v;
            return true;
        }

        private static bool Int32(Kind kind, ReadOnlySpan<byte> value, ref int? target)
        {
            if (kind == Kind.Null) return true;
            if (kind != Kind.Number || !Utf8Parser.TryParse(value, out int v, out var used) || used != value.Length) return false;
            target = v;
            return true;
        }

        /// <summary>A string without raw control characters whose opening quote is at <paramref name="i"/>: where its content starts, how long it is (escapes included) and whether it has escapes.</summary>
        /// <remarks>Escapes are only skipped here; <see cref="TryUnescape"/> checks them.</remarks>
        private static bool TryString(ReadOnlySpan<byte> s, int i, out int start, out int length, out bool escaped)
        {
            start = i + 1;
            length = 0;
            escaped = false;
            if (i >= s.Length || s[i] != (byte)'"') return false;
            var rest = s[start..];
            var end = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (end < 0) return false;
            while (rest[end] == (byte)'\\')
            {
                escaped = true;
                end += end + 1 < rest.Length && rest[end + 1] == (byte)'u' ? 6 : 2;
                if (end >= rest.Length) return false;
                var next = rest[end..].IndexOfAny((byte)'"', (byte)'\\');
                if (next < 0) return false;
                end += next;
            }
            if (rest[..end].IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0) return false;
            length = end;
            return true;
        }

        /// <summary>Decodes the JSON escapes of <paramref name="source"/> into UTF-8; false for a malformed escape or a lone surrogate.</summary>
        /// <remarks>The result is never longer than the source: an escape of n bytes yields fewer than n.</remarks>
        internal static bool TryUnescape(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
        {
            written = 0;
            var k = 0;
            while (k < source.Length)
            {
                var run = source[k..].IndexOf((byte)'\\');
                if (run != 0)
                {
                    if (run < 0) run = source.Length - k;
                    source.Slice(k, run).CopyTo(destination[written..]);
                    written += run;
                    k += run;
                    continue;
                }
                if (k + 1 >= source.Length) return false;
                byte simple;
                switch (source[k + 1])
                {
                    case (byte)'"': simple = (byte)'"'; break;
                    case (byte)'\\': simple = (byte)'\\'; break;
                    case (byte)'/': simple = (byte)'/'; break;
                    case (byte)'b': simple = 8; break;
                    case (byte)'f': simple = 12; break;
                    case (byte)'n': simple = 10; break;
                    case (byte)'r': simple = 13; break;
                    case (byte)'t': simple = 9; break;
                    case (byte)'u':
                        if (!TryHex4(source, k + 2, out var code)) return false;
                        k += 6;
                        if (code is >= 0xDC00 and <= 0xDFFF) return false;
                        if (code is >= 0xD800 and <= 0xDBFF)
                        {
                            if (k + 1 >= source.Length || source[k] != (byte)'\\' || source[k + 1] != (byte)'u'
                                || !TryHex4(source, k + 2, out var low) || low is < 0xDC00 or > 0xDFFF)
                                return false;
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            k += 6;
                        }
                        written += new Rune(code).EncodeToUtf8(destination[written..]);
                        continue;
                    default:
                        return false;
                }
                destination[written++] = simple;
                k += 2;
            }
            return true;
        }

        private static bool TryHex4(ReadOnlySpan<byte> s, int at, out int value)
        {
            value = 0;
            if (at + 4 > s.Length) return false;
            for (var n = 0; n < 4; n++)
            {
                var c = s[at + n];
                int digit = c switch
                {
                    >= (byte)'0' and <= (byte)'9' => c - '0',
                    >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                    _ => -1,
                };
                if (digit < 0) return false;
                value = (value << 4) | digit;
            }
            return true;
        }

        private static int SkipWhitespace(ReadOnlySpan<byte> s, int i)
        {
            while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
            return i;
        }

        private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
    }
}
