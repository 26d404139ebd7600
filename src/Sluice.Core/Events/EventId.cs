using System.Buffers.Text;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Sluice.Core.Errors;

namespace Sluice.Core.Events;

/// <summary>Why a text is not an <see cref="EventId"/>.</summary>
public enum EventIdStatus
{
    /// <summary>The text is an id.</summary>
    Valid,
    /// <summary>The text is empty.</summary>
    Empty,
    /// <summary>The text is longer than <see cref="EventId.MaxLength"/> characters.</summary>
    TooLong,
    /// <summary>The bytes are not UTF-8, or the characters not valid UTF-16.</summary>
    InvalidText,
}

/// <summary>An event's id: any non-empty string of at most <see cref="MaxLength"/> characters (UUIDs, ULIDs, numbers, <c>e1</c>).</summary>
/// <remarks>
/// <para>Ids are compared and deduplicated by a 128-bit <see cref="Key"/>. A UUID in its 36-character form (hex digits of
/// either case, hyphens at 8, 13, 18 and 23) is its own key and keeps no text: it is parsed as a <see cref="Guid"/>
/// with no string allocated, and written back in lower case, so <c>3F2504E0-…</c> and <c>3f2504e0-…</c> are one id.
/// Any other id keeps its text exactly and its key is the XxHash128 (seed 0) of its UTF-8 bytes, the same in every
/// process and on every machine (checkpoints store keys). Two different ids share a key with odds of about 2^-128 per
/// pair, a UUID's and a hash's alike: far below any hardware fault rate, so a shared key is taken as the same id.</para>
/// <para>The default value is the nil UUID.</para>
/// </remarks>
public readonly struct EventId : IEquatable<EventId>
{
    /// <summary>Longest id accepted, in UTF-16 characters as every string limit counts them; longer ids are refused, not cut.</summary>
    public const int MaxLength = 128;

    // UTF-8 takes at most three bytes per UTF-16 character: more bytes than this is over the limit whatever they hold.
    private const int MaxUtf8Bytes = MaxLength * 3;
    private const int UuidLength = 36;

    private readonly Guid _key;
    private readonly string? _text;

    /// <summary>The id that is <paramref name="uuid"/>.</summary>
    public EventId(Guid uuid) => _key = uuid;

    private EventId(Guid key, string text)
    {
        _key = key;
        _text = text;
    }

    /// <summary>What the id is compared by: the UUID itself, or the XxHash128 of any other id's UTF-8 text.</summary>
    public Guid Key => _key;

    /// <summary>Whether the id is a UUID (its text is <see cref="Key"/> in lower case).</summary>
    public bool IsUuid => _text is null;

    /// <summary>A UUID as an id.</summary>
    public static implicit operator EventId(Guid uuid) => new(uuid);

    /// <summary>The id written as <paramref name="utf8"/>: a UUID without allocating, any other text as a new string.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EventIdStatus TryParse(ReadOnlySpan<byte> utf8, out EventId id)
    {
        if (utf8.Length == UuidLength && Utf8Parser.TryParse(utf8, out Guid uuid, out var used, 'D') && used == UuidLength)
        {
            id = new EventId(uuid);
            return EventIdStatus.Valid;
        }
        return TryParseText(utf8, out id);
    }

    // Ids other than UUIDs: rarer, so out of line to keep the UUID path small where it is inlined.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static EventIdStatus TryParseText(ReadOnlySpan<byte> utf8, out EventId id)
    {
        id = default;
        if (utf8.IsEmpty) return EventIdStatus.Empty;
        if (utf8.Length > MaxUtf8Bytes) return EventIdStatus.TooLong;
        if (!Utf8.IsValid(utf8)) return EventIdStatus.InvalidText;
        if (utf8.Length > MaxLength && Encoding.UTF8.GetCharCount(utf8) > MaxLength) return EventIdStatus.TooLong;
        id = new EventId(Hash(utf8), Encoding.UTF8.GetString(utf8));
        return EventIdStatus.Valid;
    }

    /// <summary>The id <paramref name="text"/>.</summary>
    public static EventIdStatus TryParse(string text, out EventId id)
    {
        ArgumentNullException.ThrowIfNull(text);
        id = default;
        if (text.Length == UuidLength && Guid.TryParseExact(text, "D", out var uuid))
        {
            id = new EventId(uuid);
            return EventIdStatus.Valid;
        }
        if (text.Length == 0) return EventIdStatus.Empty;
        if (text.Length > MaxLength) return EventIdStatus.TooLong;
        Span<byte> utf8 = stackalloc byte[MaxUtf8Bytes];
        if (Utf8.FromUtf16(text, utf8, out _, out var written, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
            return EventIdStatus.InvalidText;
        id = new EventId(Hash(utf8[..written]), text);
        return EventIdStatus.Valid;
    }

    /// <summary>The id <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text is empty, too long or not valid UTF-16.</exception>
    public static EventId Parse(string text)
    {
        var status = TryParse(text, out var id);
        if (status != EventIdStatus.Valid) throw new FormatException(Describe(status));
        return id;
    }

    /// <summary>The dead-letter reason for an id that is empty or too long (<see cref="ReasonCodes.EmptyEventId"/>,
    /// <see cref="ReasonCodes.EventIdTooLong"/>); invalid text is each format's own error.</summary>
    public static DecodeError Error(EventIdStatus status) => status switch
    {
        EventIdStatus.Empty => new DecodeError(ReasonCodes.EmptyEventId, Describe(status)),
        EventIdStatus.TooLong => new DecodeError(ReasonCodes.EventIdTooLong, Describe(status)),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "only an empty or a too long id has a reason code of its own"),
    };

    private static string Describe(EventIdStatus status) => status switch
    {
        EventIdStatus.Empty => "event_id is empty",
        EventIdStatus.TooLong => $"event_id is longer than {MaxLength} characters",
        EventIdStatus.InvalidText => "event_id is not valid Unicode text",
        _ => "event_id is valid",
    };

    private static Guid Hash(ReadOnlySpan<byte> utf8)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(utf8, hash);
        // The byte constructor reads the same bytes into the same Guid on any machine, so a key survives a checkpoint.
        return new Guid(hash);
    }

    /// <summary>The id's text: a UUID in lower case, any other id as it was sent.</summary>
    public override string ToString() => _text ?? _key.ToString();

    public bool Equals(EventId other) => _key == other._key;

    public override bool Equals(object? obj) => obj is EventId other && Equals(other);

    public override int GetHashCode() => _key.GetHashCode();

    public static bool operator ==(EventId left, EventId right) => left.Equals(right);

    public static bool operator !=(EventId left, EventId right) => !left.Equals(right);
}
