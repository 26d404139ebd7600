using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Schemas.Events;

/// <summary>Returns one shared string per repeated ASCII value (a country, a browser, a product URL) instead of a new one.</summary>
/// <remarks>
/// <para>Four-way set-associative: the bytes' hash picks a bucket of four slots, so hot values that hash alike share a
/// bucket instead of evicting each other on every event. A slot keeps the hash next to the entry, so the ways that do
/// not match are rejected without loading their entries (each would be a cache miss). A miss moves the bucket's
/// entries one slot down and puts the new one first; memory stays bounded and a miss just allocates.</para>
/// <para>An entry keeps the value's length and its first and last eight bytes as two integers. For values of up to 16
/// bytes those cover every byte, so a hit is three integer compares and never touches the string; longer values are
/// compared in full with a copy of their bytes, inside the entry up to 64 bytes. Entries are immutable and a hit checks the entry's own bytes, so a
/// concurrent reader that sees a slot half written (the hash of one entry, the reference of another) at worst misses.
/// Only ASCII strings are cached: a hit proves the bytes are ASCII, hence valid UTF-8, with no other check.</para>
/// </remarks>
internal sealed class Utf8StringCache
{
    /// <summary>Longer values (free text) are decoded every time; user agents and URLs fit.</summary>
    public const int MaxLength = 256;

    // Up to this length the head and tail words hold the whole value.
    private const int PackedLength = 16;

    // Up to this length an entry holds the bytes inline.
    private const int InlineLength = 64;

    private const int Ways = HashedSlot<Entry>.Ways;

    private readonly HashedSlot<Entry>[] _slots;
    private readonly int _bucketMask;

    /// <summary>A cache of <paramref name="slots"/> entries (a power of two, at least 4).</summary>
    public Utf8StringCache(int slots)
    {
        if (slots < Ways || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, $"must be a power of two, at least {Ways}");
        _slots = new HashedSlot<Entry>[slots];
        _bucketMask = slots / Ways - 1;
    }

    /// <summary>The string for <paramref name="utf8"/>: cached, else decoded (and cached when ASCII); false for invalid UTF-8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text)
    {
        var length = utf8.Length;
        if ((uint)(length - 1) >= MaxLength) return TryDecode(utf8, out text, out _);
        var (head, tail) = Words(utf8);
        var hash = Hash(head, tail, length);
        // The bucket comes from the hash's top bits, which the final multiply mixes from every input bit.
        ref var bucket = ref _slots[((int)(hash >> 40) & _bucketMask) * Ways];
        if (Probe(ref bucket, hash, head, tail, utf8) is { } e)
        {
            text = e.Text;
            return true;
        }
        return TryDecodeInto(utf8, head, tail, hash, ref bucket, out text, out _);
    }

    /// <summary>Like <see cref="TryGet(ReadOnlySpan{byte}, out string?)"/>, but tries <paramref name="hint"/> (the entry the value
    /// most likely repeats, from any cache) before hashing; <paramref name="entry"/> is the value's entry, null when not cached.</summary>
    /// <remarks>A hint is only a guess: it is taken when its bytes equal <paramref name="utf8"/>, the same exact check as a slot's.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(ReadOnlySpan<byte> utf8, Entry? hint, [NotNullWhen(true)] out string? text, out Entry? entry)
    {
        var length = utf8.Length;
        if ((uint)(length - 1) >= MaxLength)
        {
            entry = null;
            return TryDecode(utf8, out text, out _);
        }
        var (head, tail) = Words(utf8);
        if (hint is not null && Holds(hint, head, tail, utf8))
        {
            entry = hint;
            text = hint.Text;
            return true;
        }
        var hash = Hash(head, tail, length);
        ref var bucket = ref _slots[((int)(hash >> 40) & _bucketMask) * Ways];
        if (Probe(ref bucket, hash, head, tail, utf8) is { } e)
        {
            entry = e;
            text = e.Text;
            return true;
        }
        return TryDecodeInto(utf8, head, tail, hash, ref bucket, out text, out entry);
    }

    /// <summary>Whether <paramref name="data"/> starts with the value of <paramref name="hint"/>, a string of
    /// <paramref name="length"/> bytes, checked in one masked vector; false also when that check does not apply.</summary>
    /// <remarks>For values of 17 to 64 bytes (URLs) with at least 64 bytes of <paramref name="data"/> to load: a hint's
    /// check without a branch on the length, which varies from event to event. False means "not shown", never "differs":
    /// the caller then takes <see cref="TryGet(ReadOnlySpan{byte}, Entry?, out string?, out Entry?)"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StartsWithInline(ReadOnlySpan<byte> data, int length, Entry hint)
    {
        if (!Vector512.IsHardwareAccelerated || data.Length < InlineLength || hint is not InlineEntry inline || inline.Length != length) return false;
        var differ = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(data))
            ^ Vector512.LoadUnsafe(ref Unsafe.As<InlineBytes64, byte>(ref Unsafe.AsRef(in inline.Utf8)));
        return (differ & Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)length))) == Vector512<byte>.Zero;
    }

    private static bool TryDecodeInto(ReadOnlySpan<byte> utf8, ulong head, ulong tail, ulong hash, ref HashedSlot<Entry> bucket, [NotNullWhen(true)] out string? text,
        out Entry? entry)
    {
        entry = null;
        if (!TryDecode(utf8, out text, out var ascii)) return false;
        if (ascii)
        {
            for (var i = Ways - 1; i > 0; i--) Unsafe.Add(ref bucket, i) = Unsafe.Add(ref bucket, i - 1);
            entry = utf8.Length <= PackedLength ? new Entry(text, head, tail)
                : utf8.Length <= InlineLength ? new InlineEntry(text, head, tail, utf8)
                : new ArrayEntry(text, head, tail, utf8.ToArray());
            bucket = new HashedSlot<Entry>(hash, entry);
        }
        return true;
    }

    // The bucket's entry for these bytes, or null; the hash in the slot skips other entries without loading them.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Entry? Probe(ref HashedSlot<Entry> bucket, ulong hash, ulong head, ulong tail, ReadOnlySpan<byte> utf8) =>
        HashedSlot<Entry>.FirstWay(ref bucket, hash) is { } e && Holds(e, head, tail, utf8) ? e : null;

    // Exact: the first and last words and the length, then for longer values every byte.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Holds(Entry e, ulong head, ulong tail, ReadOnlySpan<byte> utf8) =>
        e.Head == head && e.Tail == tail && e.Length == utf8.Length && (utf8.Length <= PackedLength || SameBytes(e, utf8));

    // Called for values of 17 bytes and more, whose length already matched the entry's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameBytes(Entry e, ReadOnlySpan<byte> utf8)
    {
        if (e is InlineEntry inline)
        {
            // 17 to 64 bytes against the entry's inline copy: two overlapping vectors cover them, without a call.
            ref var a = ref MemoryMarshal.GetReference(utf8);
            ref var b = ref Unsafe.As<InlineBytes64, byte>(ref Unsafe.AsRef(in inline.Utf8));
            var length = utf8.Length;
            if ((uint)(length - (PackedLength + 1)) >= InlineLength - PackedLength)
                return utf8.SequenceEqual(((ReadOnlySpan<byte>)inline.Utf8)[..Math.Min(length, InlineLength)]);
            if (length <= 32)
            {
                return Vector128.LoadUnsafe(ref a) == Vector128.LoadUnsafe(ref b)
                    && Vector128.LoadUnsafe(ref a, (nuint)(length - 16)) == Vector128.LoadUnsafe(ref b, (nuint)(length - 16));
            }
            return Vector256.LoadUnsafe(ref a) == Vector256.LoadUnsafe(ref b)
                && Vector256.LoadUnsafe(ref a, (nuint)(length - 32)) == Vector256.LoadUnsafe(ref b, (nuint)(length - 32));
        }
        return e is ArrayEntry array && utf8.SequenceEqual(array.Utf8);
    }

    /// <summary>Decodes <paramref name="utf8"/>, rejecting (not replacing) invalid sequences.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text, out bool ascii)
    {
        ascii = Ascii.IsValid(utf8);
        if (ascii)
        {
            // ASCII bytes are their own code points: widening them (Latin-1) is the UTF-8 decoding, minus the checks.
            text = utf8.Length == 0 ? "" : Encoding.Latin1.GetString(utf8);
            return true;
        }
        text = Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
        return text is not null;
    }

    // The first and last eight bytes, little-endian; shorter values are packed exactly into the head (overlapping
    // reads OR the same bytes into the same places) with a zero tail. With the length, equal words mean equal bytes
    // for any value of up to 16 bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Head, ulong Tail) Words(ReadOnlySpan<byte> utf8)
    {
        var length = utf8.Length;
        if (length >= 8)
            return (BinaryPrimitives.ReadUInt64LittleEndian(utf8), BinaryPrimitives.ReadUInt64LittleEndian(utf8.Slice(length - 8)));
        if (length >= 4)
        {
            ulong low = BinaryPrimitives.ReadUInt32LittleEndian(utf8);
            ulong high = BinaryPrimitives.ReadUInt32LittleEndian(utf8.Slice(length - 4));
            return (low | (high << ((length - 4) * 8)), 0);
        }
        var mid = length >> 1;
        return ((ulong)utf8[0] | ((ulong)utf8[mid] << (mid * 8)) | ((ulong)utf8[length - 1] << ((length - 1) * 8)), 0);
    }

    // The caller takes the top bits, which a multiply mixes from every input bit (its low bits would depend only on
    // the inputs' low bytes). Values that share a prefix ("https://shop.example/...") differ in the tail or length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(ulong head, ulong tail, int length)
    {
        var h = (head ^ (ulong)length) * 0x9E3779B97F4A7C15UL;
        return (h ^ BitOperations.RotateLeft(tail, 29)) * 0xC2B2AE3D27D4EB4FUL;
    }

    /// <summary>An entry and its hash, so ways that do not match are skipped without loading the entry.</summary>

    /// <summary>A cached value of up to 16 bytes: the string, its length and words (which hold every byte).</summary>
    internal class Entry(string text, ulong head, ulong tail)
    {
        public readonly string Text = text;
        public readonly ulong Head = head;
        public readonly ulong Tail = tail;
        public readonly int Length = text.Length;
    }

    // URLs and product ids fit: their bytes sit in the entry, so a hit does not load a second object (a cache miss).
    private sealed class InlineEntry : Entry
    {
        public readonly InlineBytes64 Utf8;

        public InlineEntry(string text, ulong head, ulong tail, ReadOnlySpan<byte> utf8)
            : base(text, head, tail) => utf8.CopyTo(Utf8);
    }

    private sealed class ArrayEntry(string text, ulong head, ulong tail, byte[] utf8) : Entry(text, head, tail)
    {
        public readonly byte[] Utf8 = utf8;
    }
}
