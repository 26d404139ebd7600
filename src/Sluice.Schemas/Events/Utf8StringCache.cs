using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Schemas.Events;

/// <summary>Returns one shared string per repeated ASCII value (a country, a browser, a product URL) instead of a new one.</summary>
/// <remarks>
/// Direct-mapped: a slot holds the last string whose bytes hashed to it, so memory is bounded and a miss
/// just allocates. A slot holds only the string, compared with the wire bytes as ASCII, so a miss costs no
/// more than the string itself. Slots are single references, so concurrent readers see a whole string.
/// Only ASCII strings are cached: a hit proves the bytes are ASCII, hence valid UTF-8, with no other check.
/// </remarks>
internal sealed class Utf8StringCache
{
    /// <summary>Longer values (free text) are decoded every time; user agents and URLs fit.</summary>
    public const int MaxLength = 256;

    private readonly string?[] _slots;
    private readonly int _mask;

    /// <summary>A cache of <paramref name="slots"/> entries (a power of two).</summary>
    public Utf8StringCache(int slots)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "must be a power of two");
        _slots = new string?[slots];
        _mask = slots - 1;
    }

    /// <summary>The string for <paramref name="utf8"/>: cached, else decoded (and cached when ASCII); false for invalid UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text)
    {
        if ((uint)(utf8.Length - 1) < MaxLength)
        {
            ref var slot = ref _slots[Slot(utf8) & _mask];
            text = slot;
            if (text is not null && text.Length == utf8.Length && System.Text.Ascii.Equals(utf8, text)) return true;
            return TryDecode(utf8, ref slot, out text);
        }
        return TryDecode(utf8, out text, out _);
    }

    private static bool TryDecode(ReadOnlySpan<byte> utf8, ref string? slot, [NotNullWhen(true)] out string? text)
    {
        if (!TryDecode(utf8, out text, out var ascii)) return false;
        if (ascii) slot = text;
        return true;
    }

    /// <summary>Decodes <paramref name="utf8"/>, rejecting (not replacing) invalid sequences.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text, out bool ascii)
    {
        ascii = System.Text.Ascii.IsValid(utf8);
        if (ascii)
        {
            // ASCII bytes are their own code points: widening them (Latin-1) is the UTF-8 decoding, minus the checks.
            text = utf8.Length == 0 ? "" : Encoding.Latin1.GetString(utf8);
            return true;
        }
        text = Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
        return text is not null;
    }

    // Length and the first and last eight bytes: cheap, and enough to spread the values cached here.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        ulong head, tail;
        if (utf8.Length >= 8)
        {
            head = BinaryPrimitives.ReadUInt64LittleEndian(utf8);
            tail = BinaryPrimitives.ReadUInt64LittleEndian(utf8[^8..]);
        }
        else
        {
            head = SmallHead(utf8);
            tail = 0;
        }
        var h = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)utf8.Length;
        return (int)(h ^ (h >> 29));
    }

    private static ulong SmallHead(ReadOnlySpan<byte> utf8)
    {
        ulong head = 0;
        for (var i = 0; i < utf8.Length; i++) head = (head << 8) | utf8[i];
        return head;
    }
}
