using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sluice.Core.Events;
using Sluice.Core.Memory;
using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Events;

/// <summary>The hand-written Avro codec of <see cref="ClickEvent"/> for schema v3: no reflection, no generic values.</summary>
/// <remarks>
/// Reads and writes exactly the field order of <see cref="EventSchemas.V3"/>; data written with any other
/// schema goes through <see cref="AvroDecoder"/> and <see cref="TryFromRecord"/> instead. event_id may be any string,
/// whether the writer declared it a uuid or a plain string (the two have one wire layout). Decoding never throws: it
/// returns a <see cref="DecodeError"/> with a code from <see cref="AvroReasonCodes"/>, or
/// <see cref="Core.Errors.ReasonCodes.EmptyEventId"/> and <see cref="Core.Errors.ReasonCodes.EventIdTooLong"/> for an
/// id the JSON decoder refuses too. An instance
/// caches repeated ASCII strings (countries, browsers, product ids and URLs, recent users and sessions) so that
/// decoding them does not allocate, and runs of fields that repeat together (a visitor's device and location) so
/// that they cost one lookup; it is safe to share between threads.
/// </remarks>
public sealed class ClickEventAvro
{
    private const int EventTypeCount = 6;

    /// <summary>Called with each event's id key (<see cref="EventId.Key"/>) as soon as it is read, before the rest of the event:
    /// the first field, so the owner can start loading state that the id selects (a dedup table's slot) while the other
    /// fields are decoded.</summary>
    public Action<Guid>? EventIdRead { get; init; }

    // One cache per kind of value, so identifiers that churn (users, addresses) cannot evict the labels
    // that repeat in nearly every event, nor each other. All are bounded: at most slots x 256 ASCII characters
    // each. Sizes fit the generator's defaults (10,000 users, 2,000 products) with room; larger populations miss
    // more and allocate, nothing else.
    private readonly Utf8StringCache _labels = new(512);
    private readonly Utf8StringCache _catalog = new(16384);
    private readonly Utf8StringCache _queries = new(1024);
    private readonly Utf8StringCache _users = new(16384);
    private readonly Utf8StringCache _addresses = new(16384);

    // Runs of fields that repeat together, each one lookup (see Utf8RunCache<TKey>): user and session; product and
    // category; the visitor's user agent, address, country, city, segment, device and browser. The campaign, which
    // follows them, is read on its own: it belongs to the session, and in the run it multiplied each visitor's entries
    // by the campaigns they arrived through, so half of all new sessions missed the run cache. A miss reads the run
    // field by field through the caches above. Bounded: 8,192 + 4,096 entries of about 150 bytes and 8,192 of about
    // 410 (the run's bytes inline), some 5 MB when full.
    private readonly Utf8RunCache<InlineBytes64> _sessionRuns;
    private readonly Utf8RunCache<InlineBytes64> _productRuns;
    private readonly Utf8RunCache<InlineBytes320> _visitorRuns;
    private readonly Utf8StringCache?[] _sessionFields;
    private readonly Utf8StringCache?[] _productFields;
    private readonly Utf8StringCache?[] _visitorFields;

    /// <summary>A codec with empty caches.</summary>
    public ClickEventAvro()
        : this(runCaches: true)
    {
    }

    /// <summary>A codec with or without the run caches; without, every field is read on its own (what tests compare against).</summary>
    internal ClickEventAvro(bool runCaches)
    {
        _sessionRuns = new(runCaches ? 8192 : 0, 2, 0b01);
        _productRuns = new(runCaches ? 4096 : 0, 2, 0b11);
        _visitorRuns = new(runCaches ? 8192 : 0, 7, 0b111_1111);
        // A session id is read on its own only at the session's first event (then its run is cached), so a cache of
        // session ids would allocate an entry per session that is hardly ever hit: it is decoded without one.
        _sessionFields = [_users, null];
        _productFields = [_catalog, _labels];
        _visitorFields = [_catalog, _addresses, _labels, _catalog, _labels, _labels, _labels];
    }

    /// <summary>Appends the v3 Avro body of <paramref name="e"/> (no wire-format header).</summary>
    public static void Write(ClickEvent e, AvroBuffer o)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(o);
        if (e.EventId.IsUuid)
        {
            Span<byte> uuid = stackalloc byte[36];
            Utf8Formatter.TryFormat(e.EventId.Key, uuid, out _);
            o.WriteBytes(uuid);
        }
        else
        {
            o.WriteString(e.EventId.ToString());
        }
        var type = (int)e.EventType;
        if ((uint)type >= EventTypeCount) throw new ArgumentOutOfRangeException(nameof(e), e.EventType, "not a defined EventType");
        o.WriteInt(type);
        o.WriteLong(e.Timestamp);
        WriteOptional(o, e.UserId);
        o.WriteString(e.SessionId);
        WriteOptional(o, e.ProductId);
        WriteOptional(o, e.ProductCategory);
        if (e.PriceCents is { } price) { o.WriteByte(2); o.WriteLong(price); } else o.WriteByte(0);
        if (e.Quantity is { } qty) { o.WriteByte(2); o.WriteInt(qty); } else o.WriteByte(0);
        WriteOptional(o, e.SearchQuery);
        WriteOptional(o, e.PageUrl);
        WriteOptional(o, e.Referrer);
        WriteOptional(o, e.UserAgent);
        WriteOptional(o, e.IpAddress);
        WriteOptional(o, e.GeoCountry);
        WriteOptional(o, e.GeoCity);
        WriteOptional(o, e.UserSegment);
        WriteOptional(o, e.DeviceType);
        WriteOptional(o, e.Browser);
        WriteOptional(o, e.CampaignId);
        o.WriteInt(e.SchemaVersion);
    }

    /// <summary>The v3 Avro body of <paramref name="e"/> as a new array.</summary>
    public static byte[] ToBytes(ClickEvent e)
    {
        var buffer = new AvroBuffer(256);
        Write(e, buffer);
        return buffer.ToArray();
    }

    // Union ["null", T]: branch 0 is zigzag 0 (byte 0), branch 1 is zigzag 2 (byte 2).
    private static void WriteOptional(AvroBuffer o, string? value)
    {
        if (value is null)
        {
            o.WriteByte(0);
            return;
        }
        o.WriteByte(2);
        o.WriteString(value);
    }

    /// <summary>Decodes a v3 Avro body; the whole span must be one event.</summary>
    public bool TryRead(ReadOnlySpan<byte> body, out ClickEvent? evt, out DecodeError error)
    {
        var r = new AvroReader(body);
        evt = Read(ref r);
        if (evt is not null && r.Remaining != 0)
        {
            evt = null;
            r.Fail(AvroReasonCodes.TrailingBytes, $"{r.Remaining} bytes after the event");
        }
        error = evt is null ? new DecodeError(r.ReasonCode!, r.Detail!) : default;
        return evt is not null;
    }

    private ClickEvent? Read(ref AvroReader r)
    {
        // The usual prefix with one bounds check: a UUID event_id (length byte 72) and a one-byte event_type index;
        // anything else (any other id, a bad index) is read again field by field, which reports it.
        var head = r.Unread;
        PrefetchFrame(head);
        EventId eventId;
        int type;
        if (head.Length >= 38 && head[0] == 2 * 36 && head[37] < 2 * EventTypeCount && (head[37] & 1) == 0
            && TryParseUuid(head.Slice(1, 36), out var uuid))
        {
            eventId = new EventId(uuid);
            type = head[37] >> 1;
            r.Skip(38);
        }
        else if (!ReadPrefix(ref r, out eventId, out type))
        {
            return null;
        }
        EventIdRead?.Invoke(eventId.Key);
        if (!r.ReadWideLong(out var timestamp)) return null;
        // The session and product runs are next to each other: both are hashed and both buckets asked for, then both
        // candidate entries, before either is compared, so their cache misses overlap instead of following one another.
        var unread = r.Unread;
        Utf8RunCache<InlineBytes64>.Entry? sessionCandidate = null, productCandidate = null;
        var productSearched = false;
        if (_sessionRuns.TryLocate(unread, out var sessionLength, out var sessionHash))
        {
            productSearched = _productRuns.TryLocate(unread[sessionLength..], out _, out var productHash);
            sessionCandidate = _sessionRuns.Candidate(sessionHash);
            CacheHints.Prefetch(sessionCandidate, 3);
            if (productSearched)
            {
                productCandidate = _productRuns.Candidate(productHash);
                CacheHints.Prefetch(productCandidate, 3);
            }
        }
        if (!ReadRun(ref r, _sessionRuns, _sessionFields, sessionCandidate, searched: true, out var session, out var sessionEntry)) return null;
        if (sessionEntry is not null)
        {
            // The session's visitor run and last page are compared at the end of this decode: their loads start now,
            // while the fields in between are parsed, instead of stalling there.
            CacheHints.Prefetch(sessionEntry.Hint, 5);
            CacheHints.Prefetch(sessionEntry.TextHint, 2);
        }
        string? searchQuery = null;
        if (!ReadRun(ref r, _productRuns, _productFields, productCandidate, productSearched, out var product, out var productEntry)
            || !ReadOptionalLong(ref r, out var price)
            || !ReadOptionalInt(ref r, out var quantity)
            // Most events have no search query: the null branch is taken without a call.
            || (!r.TryReadNullBranch() && !ReadOptional(ref r, _queries, out searchQuery)))
        {
            return null;
        }
        // A product's events show its page, and a referrer is mostly the session's previous page: the run entries
        // remember those strings' entries, checked byte for byte before the catalog is hashed and searched.
        var page = ReadText(ref r, _catalog, productEntry?.TextHint);
        if (r.Failed) return null;
        var pageEntry = page.Entry;
        var referrer = ReadText(ref r, _catalog, sessionEntry?.TextHint).Value;
        if (r.Failed) return null;
        // A session keeps its visitor's run: the session's entry remembers the last one, checked byte for byte instead
        // of walked, hashed and looked up.
        var visitorHint = sessionEntry?.Hint as Utf8RunCache<InlineBytes320>.Entry;
        string? campaign = null;
        if (!ReadRun(ref r, _visitorRuns, _visitorFields, visitorHint, searched: false, out var visitor, out var visitorEntry)
            || (!r.TryReadNullBranch() && !ReadOptional(ref r, _labels, out campaign))
            || !r.ReadInt(out var version))
        {
            return null;
        }
        if (sessionEntry is not null)
        {
            if (visitorEntry is not null && visitorEntry != visitorHint) sessionEntry.Hint = visitorEntry;
            if (pageEntry != sessionEntry.TextHint) sessionEntry.TextHint = pageEntry;
        }
        if (productEntry is not null && pageEntry is not null && pageEntry != productEntry.TextHint) productEntry.TextHint = pageEntry;
        return new ClickEvent
        {
            EventId = eventId,
            EventType = (EventType)type,
            Timestamp = timestamp,
            UserId = session[0],
            SessionId = session[1]!,
            ProductId = product[0],
            ProductCategory = product[1],
            PriceCents = price,
            Quantity = quantity,
            SearchQuery = searchQuery,
            PageUrl = page.Value,
            Referrer = referrer,
            UserAgent = visitor[0],
            IpAddress = visitor[1],
            GeoCountry = visitor[2],
            GeoCity = visitor[3],
            UserSegment = visitor[4],
            DeviceType = visitor[5],
            Browser = visitor[6],
            CampaignId = campaign,
            SchemaVersion = version,
        };
    }

    // The frame's later lines are asked for at once, not one by one as the fields reach them: a frame fresh from the
    // network (or a batch too large for the cache) costs one memory latency instead of several in a row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchFrame(ReadOnlySpan<byte> frame)
    {
        if (!Sse.IsSupported) return;
        var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(frame));
        var end = p + Math.Min(frame.Length, 512);
        for (var line = p + 64; line < end; line += 64) Sse.Prefetch0(line);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ReadPrefix(ref AvroReader r, out EventId eventId, out int type)
    {
        eventId = default;
        type = 0;
        if (!r.ReadBytes(out var text)) return false;
        switch (EventId.TryParse(text, out eventId))
        {
            case EventIdStatus.Valid:
                break;
            case EventIdStatus.InvalidText:
                return r.Fail(AvroReasonCodes.InvalidValue, "event_id is not valid UTF-8");
            case var status:
                var error = EventId.Error(status);
                return r.Fail(error.ReasonCode, error.Detail);
        }
        return r.ReadEnumIndex(EventTypeCount, out type);
    }

    /// <summary>Parses the 36-character textual UUID (either case) without the general parser's format probing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryParseUuid(ReadOnlySpan<byte> text, out Guid value)
    {
        value = default;
        if (text.Length != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-') return false;
        // The lane arithmetic below assumes little-endian; elsewhere the framework's exact "D" parser does the work.
        if (!BitConverter.IsLittleEndian) return Utf8Parser.TryParse(text, out value, out var consumed, 'D') && consumed == 36;
        // Three overlapping 16-byte loads cover the 36 bytes; two shuffles each gather the 32 hex digits (an index of
        // 0xFF selects zero), so all digits are checked and converted in two vectors instead of 32 table lookups.
        ref var t = ref MemoryMarshal.GetReference(text);
        var a = Vector128.LoadUnsafe(ref t);
        var b = Vector128.LoadUnsafe(ref t, 16);
        var c = Vector128.LoadUnsafe(ref t, 20);
        var first = Vector128.Shuffle(a, Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 0xFF, 0xFF))
            | Vector128.Shuffle(b, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1));
        var second = Vector128.Shuffle(b, Vector128.Create((byte)3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 0xFF, 0xFF, 0xFF, 0xFF))
            | Vector128.Shuffle(c, Vector128.Create((byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 12, 13, 14, 15));
        var bad = Vector128<byte>.Zero;
        var high = HexPairs(first, ref bad);
        var low = HexPairs(second, ref bad);
        if (bad != Vector128<byte>.Zero) return false;
        // The sixteen bytes in text (big-endian) order; a Guid stores its int and two shorts little-endian, so one
        // more shuffle gives its memory image.
        var bytes = Vector128.Shuffle(Vector128.Narrow(high, low), Vector128.Create((byte)3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15));
        value = Unsafe.BitCast<Vector128<byte>, Guid>(bytes);
        return true;
    }

    // Sixteen hex digits to eight bytes, each in the low half of a 16-bit lane; non-digits set bits in bad.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> HexPairs(Vector128<byte> chars, ref Vector128<byte> bad)
    {
        var digit = chars - Vector128.Create((byte)'0');
        // OR 0x20 folds 'A'-'F' onto 'a'-'f' and maps nothing else there.
        var letter = (chars | Vector128.Create((byte)0x20)) - Vector128.Create((byte)'a');
        var isDigit = Vector128.LessThan(digit, Vector128.Create((byte)10));
        var isLetter = Vector128.LessThan(letter, Vector128.Create((byte)6));
        bad |= ~(isDigit | isLetter);
        var nibbles = Vector128.ConditionalSelect(isDigit, digit, letter + Vector128.Create((byte)10)).AsUInt16();
        // Little-endian lanes hold the first digit (high nibble) in the low byte and the second in the high byte.
        return ((nibbles << 4) | (nibbles >> 8)) & Vector128.Create((ushort)0xFF);
    }

    // A run of string fields: the hinted entry or one lookup of all their bytes when they repeat, else field by field
    // (then remembered). The entry is null when the run was not cached. A hint that is the bucket's candidate
    // (searched) was the only entry that could match, so when it does not the cache is not searched again.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadRun<TKey>(ref AvroReader r, Utf8RunCache<TKey> runs, Utf8StringCache?[] fields, Utf8RunCache<TKey>.Entry? hint,
        bool searched, out RunStrings values, out Utf8RunCache<TKey>.Entry? entry)
        where TKey : struct
    {
        var unread = r.Unread;
        entry = hint is not null && Utf8RunCache<TKey>.StartsWith(unread, hint) ? hint : searched ? null : runs.Find(unread);
        if (entry is null) return DecodeRun(ref r, runs, fields, out values, out entry);
        values = entry.Values;
        r.Skip(entry.Length);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool DecodeRun<TKey>(ref AvroReader r, Utf8RunCache<TKey> runs, Utf8StringCache?[] fields, out RunStrings values,
        out Utf8RunCache<TKey>.Entry? entry)
        where TKey : struct
    {
        values = default;
        entry = null;
        var start = r.Unread;
        var position = r.Position;
        for (var i = 0; i < fields.Length; i++)
        {
            var ok = runs.IsOptional(i)
                ? ReadOptional(ref r, fields[i], out values[i])
                : ReadString(ref r, fields[i], out values[i]);
            if (!ok) return false;
        }
        entry = runs.Add(start[..(r.Position - position)], ((ReadOnlySpan<string?>)values)[..fields.Length]);
        return true;
    }

    // A null cache: the value is decoded without being cached.
    private static bool ReadString(ref AvroReader r, Utf8StringCache? cache, [NotNullWhen(true)] out string? value)
    {
        if (!r.ReadBytes(out var utf8))
        {
            value = null;
            return false;
        }
        return (cache is null ? Utf8StringCache.TryDecode(utf8, out value, out _) : cache.TryGet(utf8, out value))
            || r.Fail(AvroReasonCodes.InvalidValue, "string is not valid UTF-8");
    }

    // Not inlined: sixteen copies of the cache lookup in Read leave the JIT more locals than it tracks (untracked
    // locals live on the stack); one shared copy ran about 5 % fewer instructions per decode.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ReadOptional(ref AvroReader r, Utf8StringCache? cache, out string? value)
    {
        value = null;
        if (!r.ReadOptionalBytes(out var present, out var utf8)) return false;
        return !present || (cache is null ? Utf8StringCache.TryDecode(utf8, out value, out _) : cache.TryGet(utf8, out value))
            || r.Fail(AvroReasonCodes.InvalidValue, "string is not valid UTF-8");
    }

    // An optional string, trying the hinted entry first; a failure is left in r (r.Failed). The value and its entry come
    // back in registers, where out parameters of a reference type would cost a checked write barrier each.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Text ReadText(ref AvroReader r, Utf8StringCache cache, Utf8StringCache.Entry? hint)
    {
        // The usual case first: branch 1, a one-byte length and the hint's bytes, compared in one vector.
        var unread = r.Unread;
        if (hint is not null && unread.Length > 2 && unread[0] == 2 && (unread[1] & 0x81) == 0
            && Utf8StringCache.StartsWithInline(unread[2..], unread[1] >> 1, hint))
        {
            r.Skip(2 + (unread[1] >> 1));
            return new Text(hint.Text, hint);
        }
        if (!r.ReadOptionalBytes(out var present, out var utf8) || !present) return default;
        if (cache.TryGet(utf8, hint, out var value, out var entry)) return new Text(value, entry);
        r.Fail(AvroReasonCodes.InvalidValue, "string is not valid UTF-8");
        return default;
    }

    /// <summary>An optional string field's value and its cache entry (null for null or an uncached value).</summary>
    private readonly record struct Text(string? Value, Utf8StringCache.Entry? Entry);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadOptionalLong(ref AvroReader r, out long? value)
    {
        value = null;
        if (!r.ReadOptionalBranch(out var present)) return false;
        if (!present) return true;
        if (!r.ReadLong(out var v)) return false;
        value = v;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ReadOptionalInt(ref AvroReader r, out int? value)
    {
        value = null;
        if (!r.ReadOptionalBranch(out var present)) return false;
        if (!present) return true;
        if (!r.ReadInt(out var v)) return false;
        value = v;
        return true;
    }

    /// <summary>Maps a generic record resolved to <see cref="EventSchemas.V3"/> onto a <see cref="ClickEvent"/>.</summary>
    /// <param name="record">A record of <see cref="EventSchemas.V3"/> (for example from an older writer, resolved).</param>
    /// <param name="writerVersion">The writer's event schema version when known (1-3), else 0 to keep the record's.</param>
    public static bool TryFromRecord(AvroRecord record, int writerVersion, out ClickEvent? evt, out DecodeError error)
    {
        ArgumentNullException.ThrowIfNull(record);
        evt = null;
        var v = record.Values;
        if (record.Schema.Fields.Count != EventSchemas.V3Fields || record.Schema.FullName != "sluice.events.ClickEvent")
        {
            error = new DecodeError(AvroReasonCodes.SchemaMismatch, $"record {record.Schema.FullName} is not a v3 click event");
            return false;
        }
        if (v[1] is not AvroEnum type || !EventTypes.TryParse(type.Symbol, out var eventType))
        {
            error = new DecodeError(AvroReasonCodes.InvalidValue, $"event_type '{(v[1] as AvroEnum)?.Symbol}' is unknown");
            return false;
        }
        if (!TryEventId(v[0], out var eventId, out error)) return false;
        evt = new ClickEvent
        {
            EventId = eventId,
            EventType = eventType,
            Timestamp = ((DateTimeOffset)v[2]!).ToUnixTimeMilliseconds(),
            UserId = (string?)v[3],
            SessionId = (string)v[4]!,
            ProductId = (string?)v[5],
            ProductCategory = (string?)v[6],
            PriceCents = (long?)v[7],
            Quantity = (int?)v[8],
            SearchQuery = (string?)v[9],
            PageUrl = (string?)v[10],
            Referrer = (string?)v[11],
            UserAgent = (string?)v[12],
            IpAddress = (string?)v[13],
            GeoCountry = (string?)v[14],
            GeoCity = (string?)v[15],
            UserSegment = (string?)v[16],
            DeviceType = (string?)v[17],
            Browser = (string?)v[18],
            CampaignId = (string?)v[19],
            SchemaVersion = writerVersion is > 0 and < 3 ? writerVersion : (int)v[20]!,
        };
        error = default;
        return true;
    }
    // A uuid-typed reader gives a Guid, a string-typed one (any id) a string.
    private static bool TryEventId(object? value, out EventId id, out DecodeError error)
    {
        error = default;
        id = default;
        if (value is Guid uuid)
        {
            id = uuid;
            return true;
        }
        if (value is not string text)
        {
            error = new DecodeError(AvroReasonCodes.SchemaMismatch, "event_id is not a string");
            return false;
        }
        var status = EventId.TryParse(text, out id);
        if (status == EventIdStatus.Valid) return true;
        error = status == EventIdStatus.InvalidText
            ? new DecodeError(AvroReasonCodes.InvalidValue, "event_id is not valid Unicode text")
            : EventId.Error(status);
        return false;
    }

    /// <summary>The event as a generic record of <paramref name="schema"/> (an older event schema, say), by field name.</summary>
    /// <remarks>For producers that still write v1 or v2; fields the schema lacks are dropped. Not a hot path.</remarks>
    public static AvroRecord ToRecord(ClickEvent e, RecordSchema schema)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(schema);
        var record = new AvroRecord(schema);
        foreach (var f in schema.Fields)
        {
            record.Values[f.Position] = f.Name switch
            {
                // A Guid for a UUID, as the uuid logical type's value is; any other id as its text.
                "event_id" => e.EventId.IsUuid ? e.EventId.Key : e.EventId.ToString(),
                "event_type" => new AvroEnum(e.EventType.ToWireName()),
                "timestamp" or "event_time" => DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp),
                "user_id" => e.UserId,
                "session_id" => e.SessionId,
                "product_id" => e.ProductId,
                "product_category" or "category" => e.ProductCategory,
                "price_cents" or "price" => e.PriceCents,
                "quantity" => e.Quantity,
                "search_query" => e.SearchQuery,
                "page_url" => e.PageUrl,
                "referrer" => e.Referrer,
                "user_agent" => e.UserAgent,
                "ip_address" => e.IpAddress,
                "geo_country" => e.GeoCountry,
                "geo_city" => e.GeoCity,
                "user_segment" => e.UserSegment,
                "device_type" => e.DeviceType,
                "browser" => e.Browser,
                "campaign_id" => e.CampaignId,
                "schema_version" => e.SchemaVersion,
                _ => f.DefaultValue,
            };
        }
        return record;
    }
}
