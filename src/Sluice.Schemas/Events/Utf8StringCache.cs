using System.Text;

namespace Sluice.Schemas.Events;

/// <summary>Returns one shared string per short, repeated UTF-8 value (a country, a browser) instead of a new one.</summary>
/// <remarks>
/// Direct-mapped: a slot holds the last value that hashed to it, so memory is bounded and a miss just
/// allocates. Slots are replaced as whole objects, so concurrent readers see either entry, never a torn one.
/// </remarks>
internal sealed class Utf8StringCache
{
    private const int Slots = 1024;
    private const int MaxLength = 48;
    private readonly Entry?[] _entries = new Entry?[Slots];

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (utf8.Length > MaxLength) return Decode(utf8);
        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = hash.ToHashCode() & (Slots - 1);
        var entry = _entries[slot];
        if (entry is not null && utf8.SequenceEqual(entry.Utf8)) return entry.Text;
        var text = Decode(utf8);
        _entries[slot] = new Entry(utf8.ToArray(), text);
        return text;
    }

    public static string Decode(ReadOnlySpan<byte> utf8) => utf8.Length == 0 ? "" : Encoding.UTF8.GetString(utf8);

    private sealed record Entry(byte[] Utf8, string Text);
}
