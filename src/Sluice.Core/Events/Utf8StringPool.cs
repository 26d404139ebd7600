using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Core.Events;

/// <summary>A per-thread, fixed-size cache from UTF-8 bytes to strings, so repeated field values are decoded and allocated once.</summary>
/// <remarks>
/// Direct-mapped: a value hashes to one slot and replaces whatever was there, so memory stays fixed
/// (<see cref="Slots"/> entries of at most <see cref="MaxPooledBytes"/> bytes) whatever the input. Bytes are
/// validated as UTF-8 before a string is made from them; invalid input throws <see cref="InvalidOperationException"/>,
/// as <c>Utf8JsonReader.GetString</c> does.
/// </remarks>
internal sealed class Utf8StringPool
{
    /// <summary>Values longer than this are not pooled (they are rarely repeated and costly to compare).</summary>
    public const int MaxPooledBytes = 256;

    private const int Slots = 4096;

    [ThreadStatic]
    private static Utf8StringPool? t_shared;

    private readonly byte[]?[] _bytes = new byte[Slots][];
    private readonly string?[] _strings = new string[Slots];

    public static Utf8StringPool Shared => t_shared ??= new Utf8StringPool();

    public string GetString(ReadOnlySpan<byte> utf8) =>
        TryGetString(utf8, out var value) ? value : throw new InvalidOperationException("not valid UTF-8");

    /// <summary>The string for <paramref name="utf8"/>, or false when the bytes are not valid UTF-8.</summary>
    public bool TryGetString(ReadOnlySpan<byte> utf8, out string value)
    {
        var slot = (int)(Hash(utf8) & (Slots - 1));
        var cached = _bytes[slot];
        if (cached is not null && utf8.SequenceEqual(cached))
        {
            value = _strings[slot]!;
            return true;
        }
        if (!Utf8.IsValid(utf8))
        {
            value = "";
            return false;
        }
        value = Encoding.UTF8.GetString(utf8);
        _bytes[slot] = utf8.ToArray();
        _strings[slot] = value;
        return true;
    }

    private static ulong Hash(ReadOnlySpan<byte> data)
    {
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)data.Length;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (var w in words) h = (h ^ w) * 0xFF51AFD7ED558CCDUL;
        for (var i = words.Length * 8; i < data.Length; i++) h = (h ^ data[i]) * 0x100000001B3UL;
        return h ^ (h >> 29);
    }
}
