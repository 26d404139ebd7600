using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// reports the error. Memory is bounded: slots x <see cref="MaxRunLength"/> bytes of keys. Two-way set-associative
/// like <see cref="Utf8StringCache"/>; entries are immutable and slots single references, so concurrent readers see a
/// whole entry or miss.</para>
/// </remarks>
internal sealed class Utf8RunCache
{
    /// <summary>Most fields in one run.</summary>
    public const int MaxFields = 8;

    /// <summary>Longer runs (free text in one of the fields) are not cached.</summary>
    public const int MaxRunLength = 384;

    private readonly Entry?[] _slots;
    private readonly int _shift;
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
        _slots = new Entry?[slots];
        _shift = slots == 0 ? 0 : 64 - BitOperations.Log2((uint)slots / 2);
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
        ref var first = ref _slots[(int)(hash >> _shift) * 2];
        var e = first;
        if (e is not null && e.Hash == hash && run.SequenceEqual(e.Key)) return e;
        e = Unsafe.Add(ref first, 1);
        if (e is not null && e.Hash == hash && run.SequenceEqual(e.Key)) return e;
        return null;
    }

    /// <summary>Keeps <paramref name="run"/>, which the caller decoded (exactly these bytes) to <paramref name="values"/>.</summary>
    /// <remarks>Runs longer than <see cref="MaxRunLength"/> are not kept.</remarks>
    public void Add(ReadOnlySpan<byte> run, ReadOnlySpan<string?> values)
    {
        if (values.Length != _fields) throw new ArgumentException($"a run has {_fields} values, not {values.Length}", nameof(values));
        if (run.Length > MaxRunLength || _slots.Length == 0) return;
        var hash = Hash(run);
        var entry = new Entry(run.ToArray(), hash, values);
        ref var first = ref _slots[(int)(hash >> _shift) * 2];
        // The newer entry takes the first slot, the older moves over: a bucket keeps its two most recent runs.
        Unsafe.Add(ref first, 1) = first;
        first = entry;
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
        var h = ((((ulong)a << 32) | b) * 0x9E3779B185EBCA87UL) ^ ((((ulong)c << 32) | d) * 0xC2B2AE3D27D4EB4FUL);
        return h ^ (h << 29);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read(ref byte p, int offset) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));

    /// <summary>One run: its bytes, their hash and the strings they decoded to.</summary>
    internal sealed class Entry
    {
        /// <summary>The strings, in field order (null for the null branch).</summary>
        public readonly Strings Values;

        public Entry(byte[] key, ulong hash, ReadOnlySpan<string?> values)
        {
            Key = key;
            Hash = hash;
            values.CopyTo(Values);
        }

        /// <summary>The run's bytes.</summary>
        public byte[] Key { get; }

        /// <summary>The hash of <see cref="Key"/>.</summary>
        public ulong Hash { get; }

        /// <summary>Bytes the run takes.</summary>
        public int Length => Key.Length;
    }

    /// <summary>Room for a run's strings; inside an entry, so a hit reads one object besides the key.</summary>
    [InlineArray(MaxFields)]
    internal struct Strings
    {
        private string? _element;
    }
}
