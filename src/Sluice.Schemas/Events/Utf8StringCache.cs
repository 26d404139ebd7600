using System.Buffers.Binary;
using System.Text;

namespace Sluice.Schemas.Events;

/// <summary>Returns one shared string per short, repeated UTF-8 value (a country, a browser) instead of a new one.</summary>
/// <remarks>
/// Direct-mapped: a slot holds the last value that hashed to it, so memory is bounded and a miss just
/// allocates. Slots are replaced as whole objects, so concurrent readers see either entry, never a torn one.
/// Only validated UTF-8 is added, so a hit needs no validation.
/// </remarks>
internal sealed class Utf8StringCache
{
    private const int Slots = 1024;
    private const int MaxLength = 64;
    private readonly Entry?[] _entries = new Entry?[Slots];

    /// <summary>The cached string for <paramref name="utf8"/>, if present.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string? text)
    {
        if (utf8.Length == 0)
        {
            text = "";
            return true;
        }
        text = null;
        if (utf8.Length > MaxLength) return false;
        var entry = _entries[Slot(utf8)];
        if (entry is null || !utf8.SequenceEqual(entry.Utf8)) return false;
        text = entry.Text;
        return true;
    }

    /// <summary>Decodes already-validated <paramref name="utf8"/> and caches it when short.</summary>
    public string Add(ReadOnlySpan<byte> utf8)
    {
        var text = Decode(utf8);
        if (utf8.Length is > 0 and <= MaxLength) _entries[Slot(utf8)] = new Entry(utf8.ToArray(), text);
        return text;
    }

    public static string Decode(ReadOnlySpan<byte> utf8) => utf8.Length == 0 ? "" : Encoding.UTF8.GetString(utf8);

    // Length and the first and last eight bytes: cheap, and enough to spread the short values cached here.
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
            head = 0;
            for (var i = 0; i < utf8.Length; i++) head = (head << 8) | utf8[i];
            tail = 0;
        }
        var h = (head * 0x9E3779B97F4A7C15UL) ^ (tail * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)utf8.Length;
        return (int)((h ^ (h >> 29)) & (Slots - 1));
    }

    private sealed record Entry(byte[] Utf8, string Text);
}
