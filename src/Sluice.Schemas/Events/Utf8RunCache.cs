using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sluice.Schemas.Events;

/// <summary>Returns the strings of a run of consecutive Avro string fields whose raw bytes repeat, with one lookup.</summary>
/// <remarks>
/// <para>Some fields travel together: one visitor's user agent, address, country, city, segment, device and browser are
/// the same bytes in every event of the visitor. Keyed by the whole run's bytes, one hash and one byte comparison
/// return all of its strings, where per-field caches cost a hash, a compare and (for the long ones) a dependent load
/// per field. The caller finds nothing here for a new run, decodes it field by field and offers the result with
/// <see cref="Add"/>.</para>
/// <para>A hit is exact: the key is every byte of a run that the caller decoded successfully, and Avro values are
/// self-delimiting, so the same bytes decode to the same strings and end at the same place. <see cref="Find"/> only
/// proposes where a run ends (walking branch bytes and lengths, no strings); a proposal that is wrong or a shape it
/// does not follow (non-minimal varints, bad branches, cut-short data) just misses, and the caller's normal decode
/// reports the error. Four-way set-associative like <see cref="Utf8StringCache"/>, the hash kept in the slot beside
/// the entry; entries are immutable and a hit compares the entry's own bytes, so a concurrent reader that sees a slot
/// half written at worst misses.</para>
/// <para>An entry holds the run's bytes inline (<typeparamref name="TKey"/>, a fixed-size buffer): a hit reads the
/// bucket and then one object, where a separate key array would add a third dependent cache miss. Runs longer than the
/// buffer are not kept; memory is bounded by slots x the entry size.</para>
/// </remarks>
/// <typeparam name="TKey">An inline byte buffer (<see cref="InlineBytes64"/>, <see cref="InlineBytes320"/>) as long as the longest run kept.</typeparam>
internal sealed class Utf8RunCache<TKey>
    where TKey : struct
{
    /// <summary>Most fields in one run.</summary>
    public const int MaxFields = 8;

    /// <summary>Longer runs (free text in one of the fields) are not cached.</summary>
    public static int MaxRunLength => Unsafe.SizeOf<TKey>();

    private const int Ways = HashedSlot<Entry>.Ways;

    private readonly HashedSlot<Entry>[] _slots;
    private readonly int _bucketMask;
    private readonly int _fields;
    private readonly uint _optional;

    /// <summary>A cache of <paramref name="slots"/> runs (a power of two, at least 4; 0 keeps nothing) of <paramref name="fields"/> strings.</summary>
    /// <param name="slots">Entries kept; 0 for a cache that always misses (the reference the tests compare against).</param>
    /// <param name="fields">Strings in a run, 1 to <see cref="MaxFields"/>.</param>
    /// <param name="optional">Bit i set: field i is a <c>["null", "string"]</c> union, else a plain string.</param>
    public Utf8RunCache(int slots, int fields, uint optional)
    {
        if (slots != 0 && (slots < 4 || (slots & (slots - 1)) != 0)) throw new ArgumentOutOfRangeException(nameof(slots), slots, "must be 0 or a power of two, at least 4");
        if (fields is < 1 or > MaxFields) throw new ArgumentOutOfRangeException(nameof(fields), fields, $"must be 1 to {MaxFields}");
        _slots = new HashedSlot<Entry>[slots];
        _bucketMask = slots / Ways - 1;
        _fields = fields;
        _optional = optional;
    }

    /// <summary>Strings in a run.</summary>
    public int Fields => _fields;

    /// <summary>Whether field <paramref name="index"/> is a <c>["null", "string"]</c> union.</summary>
    public bool IsOptional(int index) => (_optional & (1u << index)) != 0;

    /// <summary>The cached run that <paramref name="data"/> starts with, or null (then decode the fields and <see cref="Add"/> them).</summary>
    public Entry? Find(ReadOnlySpan<byte> data)
    {
        if (_slots.Length == 0) return null;
        var length = Measure(data);
        if (length < 0) return null;
        var run = data[..length];
        var hash = Hash(run);
        var e = HashedSlot<Entry>.FirstWay(ref _slots[((int)(hash >> 40) & _bucketMask) * Ways], hash);
        return e is not null && e.Length == length && run.SequenceEqual(e.Key) ? e : null;
    }

    /// <summary>Measures and hashes the run that <paramref name="data"/> starts with and asks for its bucket's cache line;
    /// false (nothing to look up) for a shape that <see cref="Find"/> would not find either.</summary>
    /// <remarks>With <see cref="Candidate"/>, the lookups of consecutive runs can have their buckets, then their entries,
    /// on the way together instead of one after another.</remarks>
    public bool TryLocate(ReadOnlySpan<byte> data, out int length, out ulong hash)
    {
        hash = 0;
        length = -1;
        if (_slots.Length == 0) return false;
        length = Measure(data);
        if (length < 0) return false;
        hash = Hash(data[..length]);
        Prefetch(ref _slots[((int)(hash >> 40) & _bucketMask) * Ways]);
        return true;
    }

    /// <summary>The entry whose hash is <paramref name="hash"/> (from <see cref="TryLocate"/>), not yet read: to prefetch and
    /// then check with <see cref="StartsWith"/>. Null when no entry can match (decode the run and <see cref="Add"/> it).</summary>
    public Entry? Candidate(ulong hash) => HashedSlot<Entry>.FirstWay(ref _slots[((int)(hash >> 40) & _bucketMask) * Ways], hash);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref HashedSlot<Entry> bucket)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref bucket));
    }

    /// <summary>Whether <paramref name="data"/> starts with <paramref name="entry"/>'s run: a guess (a hint) checked without hashing.</summary>
    public static bool StartsWith(ReadOnlySpan<byte> data, Entry entry)
    {
        var length = entry.Length;
        if (data.Length < length) return false;
        if (!Vector512.IsHardwareAccelerated || (length < 64 && data.Length < 64)) return data[..length].SequenceEqual(entry.Key);
        // Whole 64-byte vectors, so the compare does not branch on the run's length (which varies from event to event:
        // a general compare's size classes were mispredicted). A short run is compared in one vector, masked to its
        // length: the data behind it is in the span and the key buffer is at least 64 bytes. A long one ends with a
        // vector that overlaps the one before.
        ref var a = ref MemoryMarshal.GetReference(data);
        ref var b = ref Unsafe.As<TKey, byte>(ref Unsafe.AsRef(in entry.KeyBuffer));
        if (length <= 64)
        {
            var differ = Vector512.LoadUnsafe(ref a) ^ Vector512.LoadUnsafe(ref b);
            return (differ & Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)length))) == Vector512<byte>.Zero;
        }
        for (var i = 0; i < length - 64; i += 64)
        {
            if (Vector512.LoadUnsafe(ref a, (nuint)i) != Vector512.LoadUnsafe(ref b, (nuint)i)) return false;
        }
        return Vector512.LoadUnsafe(ref a, (nuint)(length - 64)) == Vector512.LoadUnsafe(ref b, (nuint)(length - 64));
    }

    /// <summary>Keeps <paramref name="run"/>, which the caller decoded (exactly these bytes) to <paramref name="values"/>.</summary>
    /// <returns>The new entry; null when the run is longer than <see cref="MaxRunLength"/> or the cache keeps nothing.</returns>
    public Entry? Add(ReadOnlySpan<byte> run, ReadOnlySpan<string?> values)
    {
        if (values.Length != _fields) throw new ArgumentException($"a run has {_fields} values, not {values.Length}", nameof(values));
        if (run.Length > MaxRunLength || _slots.Length == 0) return null;
        var hash = Hash(run);
        var entry = new Entry(run, values);
        ref var bucket = ref _slots[((int)(hash >> 40) & _bucketMask) * Ways];
        // The newest entry takes the first slot and the others move down: a bucket keeps its four most recent runs.
        for (var i = Ways - 1; i > 0; i--) Unsafe.Add(ref bucket, i) = Unsafe.Add(ref bucket, i - 1);
        bucket = new HashedSlot<Entry>(hash, entry);
        return entry;
    }

    // Where the run that data starts with would end, or -1 for anything but the common shape: one-byte branch
    // indexes and lengths of one or two bytes (two cover MaxRunLength), all within data and MaxRunLength.
    private int Measure(ReadOnlySpan<byte> data)
    {
        var limit = Math.Min(data.Length, MaxRunLength);
        var pos = 0;
        for (var f = 0; f < _fields; f++)
        {
            if ((_optional & (1u << f)) != 0)
            {
                if ((uint)pos >= (uint)limit) return -1;
                var branch = data[pos++];
                if (branch == 0) continue;
                if (branch != 2) return -1;
            }
            if ((uint)pos >= (uint)limit) return -1;
            uint zigzag = data[pos++];
            if (zigzag >= 0x80)
            {
                if ((uint)pos >= (uint)limit) return -1;
                uint next = data[pos++];
                if (next >= 0x80) return -1;
                zigzag = (zigzag & 0x7F) | (next << 7);
            }
            // An odd zigzag is a negative length, which the normal decode reports.
            var length = zigzag >> 1;
            if ((zigzag & 1) != 0 || length > (uint)(limit - pos)) return -1;
            pos += (int)length;
        }
        return pos;
    }

    // Four independent CRC-32C lanes over 32-byte steps (one instruction per word where the CPU has it; the lanes
    // overlap in the pipeline), then a multiply that spreads every lane into the top bits the bucket index takes.
    // Only the bucket depends on it: a hit still compares every byte, so a collision costs a miss, not a wrong value.
    private static ulong Hash(ReadOnlySpan<byte> run)
    {
        ref var p = ref MemoryMarshal.GetReference(run);
        var n = run.Length;
        uint a = (uint)n, b = 0x9E3779B9, c = 0x85EBCA6B, d = 0xC2B2AE35;
        var i = 0;
        for (; i + 32 <= n; i += 32)
        {
            a = BitOperations.Crc32C(a, Read(ref p, i));
            b = BitOperations.Crc32C(b, Read(ref p, i + 8));
            c = BitOperations.Crc32C(c, Read(ref p, i + 16));
            d = BitOperations.Crc32C(d, Read(ref p, i + 24));
        }
        if (i + 8 <= n)
        {
            b = BitOperations.Crc32C(b, Read(ref p, i));
            i += 8;
            if (i + 8 <= n)
            {
                c = BitOperations.Crc32C(c, Read(ref p, i));
                i += 8;
                if (i + 8 <= n)
                {
                    d = BitOperations.Crc32C(d, Read(ref p, i));
                    i += 8;
                }
            }
        }
        if (i < n)
        {
            // The last 1-7 bytes: an overlapping word when the run is long enough, else the bytes one by one.
            ulong tail = 0;
            if (n >= 8) tail = Read(ref p, n - 8);
            else for (var j = 0; j < n; j++) tail |= (ulong)Unsafe.Add(ref p, j) << (j * 8);
            a = BitOperations.Crc32C(a, tail);
        }
        // The bucket takes bits 40 and up, which the multiplies mix from every lane bit.
        return ((((ulong)a << 32) | b) * 0x9E3779B185EBCA87UL) ^ ((((ulong)c << 32) | d) * 0xC2B2AE3D27D4EB4FUL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(ref byte p, int offset) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));

    /// <summary>An entry and the hash of its bytes, so ways that do not match are skipped without loading the entry.</summary>

    /// <summary>One run: its bytes and the strings they decoded to.</summary>
    internal sealed class Entry
    {
        /// <summary>The strings, in field order (null for the null branch).</summary>
        public readonly RunStrings Values;

        /// <summary>An entry of another cache that usually follows this run (a session's visitor run), or null.</summary>
        /// <remarks>The only mutable field: a reference written whole, and a guess the reader checks byte for byte
        /// (<see cref="StartsWith"/>), so a racing or stale hint only misses.</remarks>
        public object? Hint;

        /// <summary>The string-cache entry of a field that usually follows this run, or null: a guess like <see cref="Hint"/>.</summary>
        /// <remarks>A session's last page URL (its next event's referrer) or a product's page URL; checked byte for byte by
        /// <see cref="Utf8StringCache.TryGet(ReadOnlySpan{byte}, Utf8StringCache.Entry?, out string?, out Utf8StringCache.Entry?)"/>.</remarks>
        public Utf8StringCache.Entry? TextHint;

        /// <summary>Bytes the run takes.</summary>
        public readonly int Length;

        private readonly TKey _key;

        public Entry(ReadOnlySpan<byte> run, ReadOnlySpan<string?> values)
        {
            run.CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.As<TKey, byte>(ref _key), Unsafe.SizeOf<TKey>()));
            Length = run.Length;
            values.CopyTo(Values);
        }

        /// <summary>The run's bytes.</summary>
        public ReadOnlySpan<byte> Key => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TKey, byte>(ref Unsafe.AsRef(in _key)), Length);

        /// <summary>The whole key buffer: the run's bytes, then zeros.</summary>
        internal ref readonly TKey KeyBuffer => ref _key;
    }
}

/// <summary>Room for a run's strings; inside an entry, so a hit reads one object.</summary>
[InlineArray(Utf8RunCache<InlineBytes64>.MaxFields)]
internal struct RunStrings
{
    private string? _element;
}

/// <summary>Inline room for up to 64 bytes: a run of identifiers and short labels, or one URL in <see cref="Utf8StringCache"/>.</summary>
[InlineArray(64)]
internal struct InlineBytes64
{
    private byte _element;
}

/// <summary>Inline room for a run of up to 320 bytes (a user agent and the fields that travel with it).</summary>
[InlineArray(320)]
internal struct InlineBytes320
{
    private byte _element;
}
