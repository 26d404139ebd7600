using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using Sluice.Core.Events;

namespace Sluice.Generate;

/// <summary>Writes a <see cref="ClickEvent"/> as JSON byte-for-byte identical to <see cref="ClickEventJson.Write"/>, faster.</summary>
/// <remarks>
/// The generator writes about a million events a second; <see cref="Utf8JsonWriter"/> spends most of its time on
/// per-property bookkeeping. This writer copies the pre-encoded property names and checks each string with one
/// vectorised search: ASCII text that needs no escaping is narrowed straight into the output, anything else goes
/// through <see cref="JsonEncodedText"/>, the encoder <see cref="Utf8JsonWriter"/> itself uses. Unit tests compare
/// its output with <see cref="ClickEventJson.Write"/> over whole generated streams.
/// </remarks>
internal static class ClickJsonWriter
{
    // ASCII characters Utf8JsonWriter writes as themselves, found by asking it, so the two never disagree.
    private static readonly SearchValues<char> Plain = SearchValues.Create(PlainAscii());

    // "page_view" and the rest, quoted: wire names are plain ASCII.
    private static readonly byte[][] EventTypeJson = EventTypeNames();

    // Bytes outside string values: names, separators, the fixed overhead of the object.
    private const int FixedBytes = 512;

    private const int ScratchBytes = 4096;

    /// <summary>Appends one event to <paramref name="output"/>.</summary>
    /// <param name="e">The event.</param>
    /// <param name="output">Where the JSON goes.</param>
    public static void Write(ClickEvent e, IBufferWriter<byte> output) => Write(EventFields.From(e), output);

    /// <summary>Appends one event, given as the generator's <see cref="EventFields"/>, to <paramref name="output"/>.</summary>
    /// <remarks>A field whose encoded value the generator attached (<see cref="EventFields.UserIdJson"/> and the like) is copied as is.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Write(EventFields e, IBufferWriter<byte> output)
    {
        var visitorBlock = e.VisitorJson;
        var bound = FixedBytes + Bound(e.UserIdJson, e.UserId) + Bound(e.SessionIdJson, e.SessionId) + Bound(e.ProductIdJson, e.ProductId)
            + Bound(e.ProductCategoryJson, e.ProductCategory) + Bound(e.SearchQueryJson, e.SearchQuery) + Bound(e.PageUrlJson, e.PageUrl)
            + Bound(e.ReferrerJson, e.Referrer) + Bound(e.CampaignIdJson, e.CampaignId) + (e.EventId.IsUuid ? 0 : Bound(null, e.EventId.ToString()))
            + (visitorBlock?.Length ?? Bound(null, e.UserAgent) + Bound(null, e.IpAddress) + Bound(null, e.GeoCountry) + Bound(null, e.GeoCity)
                + Bound(null, e.UserSegment) + Bound(null, e.DeviceType) + Bound(null, e.Browser));
        var span = output.GetSpan(bound);
        var n = 0;
        if (e.EventId.IsUuid)
        {
            Raw(span, ref n, "{\"event_id\":\""u8);
            Uuid(span, ref n, e.EventId.Key);
            Raw(span, ref n, "\",\"event_type\":"u8);
        }
        else
        {
            Raw(span, ref n, "{\"event_id\":"u8);
            Str(span, ref n, e.EventId.ToString());
            Raw(span, ref n, ",\"event_type\":"u8);
        }
        Copy(span, ref n, EventTypeJson[(int)e.EventType]);
        Raw(span, ref n, ",\"timestamp\":"u8);
        Number(span, ref n, e.Timestamp);
        Raw(span, ref n, ",\"user_id\":"u8);
        Field(span, ref n, e.UserIdJson, e.UserId);
        Raw(span, ref n, ",\"session_id\":"u8);
        Field(span, ref n, e.SessionIdJson, e.SessionId);
        Raw(span, ref n, ",\"product_id\":"u8);
        Field(span, ref n, e.ProductIdJson, e.ProductId);
        Raw(span, ref n, ",\"product_category\":"u8);
        Field(span, ref n, e.ProductCategoryJson, e.ProductCategory);
        Raw(span, ref n, ",\"price_cents\":"u8);
        if (e.PriceCents is { } price) Number(span, ref n, price); else Raw(span, ref n, "null"u8);
        Raw(span, ref n, ",\"quantity\":"u8);
        if (e.Quantity is { } qty) Number(span, ref n, qty); else Raw(span, ref n, "null"u8);
        Raw(span, ref n, ",\"search_query\":"u8);
        Field(span, ref n, e.SearchQueryJson, e.SearchQuery);
        Raw(span, ref n, ",\"page_url\":"u8);
        Field(span, ref n, e.PageUrlJson, e.PageUrl);
        Raw(span, ref n, ",\"referrer\":"u8);
        Field(span, ref n, e.ReferrerJson, e.Referrer);
        if (visitorBlock is not null) Copy(span, ref n, visitorBlock);
        else VisitorFields(span, ref n, e.UserAgent, e.IpAddress, e.GeoCountry, e.GeoCity, e.UserSegment, e.DeviceType, e.Browser);
        Raw(span, ref n, ",\"campaign_id\":"u8);
        Field(span, ref n, e.CampaignIdJson, e.CampaignId);
        Raw(span, ref n, ",\"schema_version\":"u8);
        Number(span, ref n, e.SchemaVersion);
        span[n++] = (byte)'}';
        output.Advance(n);
    }

    /// <summary>A string value as this writer writes it: quoted and escaped, or <c>null</c>; for callers that cache it.</summary>
    public static byte[] Encode(string? value)
    {
        var bound = 4 + 6 * Len(value);
        var span = bound <= ScratchBytes ? stackalloc byte[ScratchBytes] : new byte[bound];
        var n = 0;
        Str(span, ref n, value);
        return span[..n].ToArray();
    }

    /// <summary>The bytes from <c>,"user_agent":</c> through the browser value, for <see cref="EventFields.VisitorJson"/>.</summary>
    public static byte[] VisitorBlock(string? userAgent, string? ipAddress, string? country, string? city, string? segment, string? device, string? browser)
    {
        var chars = Len(userAgent) + Len(ipAddress) + Len(country) + Len(city) + Len(segment) + Len(device) + Len(browser);
        var bound = FixedBytes + 6 * chars;
        // One block per visitor profile, ten thousand at the start of a run: the scratch space is on the stack.
        var span = bound <= ScratchBytes ? stackalloc byte[ScratchBytes] : new byte[bound];
        var n = 0;
        VisitorFields(span, ref n, userAgent, ipAddress, country, city, segment, device, browser);
        return span[..n].ToArray();
    }

    private static void VisitorFields(Span<byte> span, ref int n, string? userAgent, string? ipAddress, string? country, string? city,
        string? segment, string? device, string? browser)
    {
        Raw(span, ref n, ",\"user_agent\":"u8);
        Str(span, ref n, userAgent);
        Raw(span, ref n, ",\"ip_address\":"u8);
        Str(span, ref n, ipAddress);
        Raw(span, ref n, ",\"geo_country\":"u8);
        Str(span, ref n, country);
        Raw(span, ref n, ",\"geo_city\":"u8);
        Str(span, ref n, city);
        Raw(span, ref n, ",\"user_segment\":"u8);
        Str(span, ref n, segment);
        Raw(span, ref n, ",\"device_type\":"u8);
        Str(span, ref n, device);
        Raw(span, ref n, ",\"browser\":"u8);
        Str(span, ref n, browser);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Len(string? s) => s?.Length ?? 0;

    // The most bytes a value takes: its cached encoding, or an escape of up to 6 bytes (\uXXXX) per character.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bound(byte[]? json, string? value) => json?.Length ?? 6 * Len(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Field(Span<byte> span, ref int n, byte[]? json, string? value)
    {
        if (json is not null) Copy(span, ref n, json);
        else Str(span, ref n, value);
    }

    /// <summary>Copies a cached value with a few overlapping vector moves rather than a call: most are 8 to 64 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(Span<byte> span, ref int n, byte[] bytes)
    {
        var length = bytes.Length;
        var target = span.Slice(n, length);
        // Every load and store stays inside [0, length) of source and target: the moves overlap, never overrun.
        ref var from = ref MemoryMarshal.GetArrayDataReference(bytes);
        ref var to = ref MemoryMarshal.GetReference(target);
        if (length >= 16 && length <= 64 && Vector128.IsHardwareAccelerated)
        {
            var last = (nuint)(length - 16);
            if (length > 32)
            {
                var middle = (nuint)(length - 32);
                Vector128.LoadUnsafe(ref from, 16).StoreUnsafe(ref to, 16);
                Vector128.LoadUnsafe(ref from, middle).StoreUnsafe(ref to, middle);
            }
            Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
            Vector128.LoadUnsafe(ref from, last).StoreUnsafe(ref to, last);
        }
        else if (length > 64 && Vector256.IsHardwareAccelerated)
        {
            // The visitor block, about 250 bytes: 32 at a time, the last move ending at the last byte.
            var last = (nuint)(length - 32);
            for (nuint offset = 0; offset < last; offset += 32) Vector256.LoadUnsafe(ref from, offset).StoreUnsafe(ref to, offset);
            Vector256.LoadUnsafe(ref from, last).StoreUnsafe(ref to, last);
        }
        else if (length >= 8 && length < 16)
        {
            Unsafe.WriteUnaligned(ref to, Unsafe.ReadUnaligned<ulong>(ref from));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 8), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, length - 8)));
        }
        else
        {
            bytes.CopyTo(target);
        }
        n += length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Raw(Span<byte> span, ref int n, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[n..]);
        n += bytes.Length;
    }

    // Numbers and ids are formatted here rather than by Utf8Formatter: the same digits, without a call into framework
    // code that the runtime first runs instrumented, for a good part of a run of a few seconds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Number(Span<byte> span, ref int n, long value)
    {
        ulong magnitude;
        if (value < 0)
        {
            span[n++] = (byte)'-';
            magnitude = (ulong)(-(value + 1)) + 1;
        }
        else
        {
            magnitude = (ulong)value;
        }
        // From the bit length: log10(2) is about 1233 / 4096, and one comparison corrects the estimate.
        var estimate = (BitOperations.Log2(magnitude) + 1) * 1233 >> 12;
        var digits = magnitude < 10 ? 1 : estimate + (magnitude < PowersOf10[estimate] ? 0 : 1);
        var i = n + digits;
        n = i;
        // Two digits per division: a timestamp takes seven.
        while (magnitude >= 100)
        {
            var quotient = magnitude / 100;
            var pair = (int)(magnitude - quotient * 100) * 2;
            span[--i] = DigitPairs[pair + 1];
            span[--i] = DigitPairs[pair];
            magnitude = quotient;
        }
        if (magnitude >= 10)
        {
            var pair = (int)magnitude * 2;
            span[--i] = DigitPairs[pair + 1];
            span[--i] = DigitPairs[pair];
        }
        else
        {
            span[--i] = (byte)('0' + (int)magnitude);
        }
    }

    private static ReadOnlySpan<ulong> PowersOf10 =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    private static ReadOnlySpan<byte> DigitPairs =>
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"u8;

    /// <summary>The "D" format of <paramref name="id"/>, lowercase, as <see cref="Utf8Formatter"/> writes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Uuid(Span<byte> span, ref int n, Guid id)
    {
        if (!BitConverter.IsLittleEndian)
        {
            Utf8Formatter.TryFormat(id, span[n..], out var written);
            n += written;
            return;
        }
        // In memory the first three groups are little-endian integers; the last two are bytes in order.
        ReadOnlySpan<byte> b = MemoryMarshal.AsBytes(new ReadOnlySpan<Guid>(in id));
        var d = span.Slice(n, 36);
        Hex(d, 0, b[3]);
        Hex(d, 2, b[2]);
        Hex(d, 4, b[1]);
        Hex(d, 6, b[0]);
        d[8] = (byte)'-';
        Hex(d, 9, b[5]);
        Hex(d, 11, b[4]);
        d[13] = (byte)'-';
        Hex(d, 14, b[7]);
        Hex(d, 16, b[6]);
        d[18] = (byte)'-';
        Hex(d, 19, b[8]);
        Hex(d, 21, b[9]);
        d[23] = (byte)'-';
        for (var i = 0; i < 6; i++) Hex(d, 24 + 2 * i, b[10 + i]);
        n += 36;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Hex(Span<byte> span, int at, byte value)
    {
        span[at] = HexDigits[value >> 4];
        span[at + 1] = HexDigits[value & 0xF];
    }

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private static void Ascii(Span<byte> span, ref int n, string value)
    {
        System.Text.Ascii.FromUtf16(value, span[n..], out var written);
        n += written;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Str(Span<byte> span, ref int n, string? value)
    {
        if (value is null)
        {
            Raw(span, ref n, "null"u8);
            return;
        }
        span[n++] = (byte)'"';
        if (!value.AsSpan().ContainsAnyExcept(Plain))
        {
            Ascii(span, ref n, value);
        }
        else
        {
            // Non-ASCII or characters JSON escapes: the rare path, through the writer's own encoder.
            Raw(span, ref n, JsonEncodedText.Encode(value).EncodedUtf8Bytes);
        }
        span[n++] = (byte)'"';
    }

    private static byte[][] EventTypeNames()
    {
        var names = new byte[EventTypes.All.Count][];
        foreach (var type in EventTypes.All) names[(int)type] = Encoding.UTF8.GetBytes($"\"{type.ToWireName()}\"");
        return names;
    }

    private static string PlainAscii()
    {
        var plain = new StringBuilder(128);
        var buffer = new ArrayBufferWriter<byte>(16);
        for (var c = (char)0; c < 128; c++)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStringValue(c.ToString());
            }
            if (buffer.WrittenCount == 3) plain.Append(c);
        }
        return plain.ToString();
    }
}
