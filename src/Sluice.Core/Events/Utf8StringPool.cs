using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Core.Events;

/// <summary>A per-thread, fixed-size cache from UTF-8 bytes to strings, so repeated field values are decoded and allocated once.</summary>
/// <remarks>
/// Two-way set associative: a value hashes to a pair of slots and replaces the less recently used, so memory stays fixed
/// (a power-of-two number of slots, each of at most <see cref="MaxBytes"/> bytes) whatever the input. There are two
/// per thread: <see cref="Shared"/> for descriptive values (agents, pages, countries, queries) and <see cref="Ids"/>, with
/// four times as many slots, for short identifiers (users, sessions, addresses) whose working set is the active users. Bytes are
/// validated as UTF-8 before a string is made from them; invalid input throws <see cref="InvalidOperationException"/>,
/// as <c>Utf8JsonReader.GetString</c> does.
/// </remarks>
internal sealed class Utf8StringPool
{
    /// <summary>Values longer than this are not pooled by <see cref="Shared"/> (they are rarely repeated and costly to compare).</summary>
    public const int MaxPooledBytes = 256;

    /// <summary>Identifiers longer than this are not pooled by <see cref="Ids"/>.</summary>
    public const int MaxIdBytes = 48;

    [ThreadStatic]
    private static Utf8StringPool? t_shared;

    [ThreadStatic]
    private static Utf8StringPool? t_ids;

    private readonly byte[]?[] _bytes;
    private readonly string?[] _strings;
    private readonly int _mask;

    private Utf8StringPool(int slots, int maxBytes)
    {
        _bytes = new byte[slots][];
        _strings = new string[slots];
        _mask = slots - 1;
        MaxBytes = maxBytes;
    }

    /// <summary>This thread's pool of descriptive values: 16,384 slots of up to <see cref="MaxPooledBytes"/> bytes.</summary>
    public static Utf8StringPool Shared => t_shared ??= new Utf8StringPool(16384, MaxPooledBytes);

    /// <summary>This thread's pool of identifiers: 65,536 slots of up to <see cref="MaxIdBytes"/> bytes (at most about 12 MB).</summary>
    /// <remarks>Sized for tens of thousands of active users plus their addresses and sessions without sets overflowing.</remarks>
    public static Utf8StringPool Ids => t_ids ??= new Utf8StringPool(65536, MaxIdBytes);

    /// <summary>Longer values are not pooled here.</summary>
    public int MaxBytes { get; }

    public string GetString(ReadOnlySpan<byte> utf8) =>
        TryGetString(utf8, out var value) ? value : throw new InvalidOperationException("not valid UTF-8");

    /// <summary>The string for <paramref name="utf8"/>, or false when the bytes are not valid UTF-8.</summary>
    public bool TryGetString(ReadOnlySpan<byte> utf8, out string value)
    {
        // Two-way set associative with the most recently used entry first: a direct-mapped table this full loses
        // hot values to collisions about as often as it keeps them.
        var first = (int)(Hash(utf8) & (uint)_mask & ~1u);
        var cached = _bytes[first];
        if (cached is not null && utf8.SequenceEqual(cached))
        {
            value = _strings[first]!;
            return true;
        }
        var second = first + 1;
        cached = _bytes[second];
        if (cached is not null && utf8.SequenceEqual(cached))
        {
            value = _strings[second]!;
            (_bytes[second], _bytes[first]) = (_bytes[first], cached);
            (_strings[second], _strings[first]) = (_strings[first], value);
            return true;
        }
        if (!Utf8.IsValid(utf8))
        {
            value = "";
            return false;
        }
        value = Encoding.UTF8.GetString(utf8);
        _bytes[second] = _bytes[first];
        _strings[second] = _strings[first];
        _bytes[first] = utf8.ToArray();
        _strings[first] = value;
        return true;
    }

    private static ulong Hash(ReadOnlySpan<byte> data)
    {
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)data.Length;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words) h = (h ^ w) * 0xFF51AFD7ED558CCDUL;
        for (var i = words.Length * 8; i < data.Length; i++) h = (h ^ data[i]) * 0x100000001B3UL;
        // Products carry information only upwards, and the slot comes from the low bits: without this final mix
        // (MurmurHash3's) ids differing only in the upper bytes of a word ("u-0006147" vs "u-0006957") collide.
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }
}
