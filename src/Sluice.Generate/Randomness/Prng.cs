using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Sluice.Generate.Randomness;

/// <summary>A seeded xoshiro256** generator: fast, and the same sequence on every platform and .NET version.</summary>
/// <remarks>
/// <see cref="System.Random"/> with a seed is stable only as long as its legacy algorithm is kept; a
/// byte-identical stream for the same seed is a feature of the generator, so it owns its algorithm.
/// </remarks>
public sealed class Prng
{
    private ulong _s0, _s1, _s2, _s3;

    public Prng(long seed)
    {
        // SplitMix64 spreads any seed, including 0, over the 256-bit state.
        var x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A uniformly distributed 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = BitRotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitRotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, <paramref name="maxExclusive"/>); the bias is below 2^-32 for any int bound.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public long NextLong(long min, long maxExclusive) => min + (long)(NextUInt64() % (ulong)(maxExclusive - min));

    /// <summary>True with probability <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Chance(double p) => p > 0 && NextDouble() < p;

    /// <summary>An exponentially distributed value with the given mean.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double NextExponential(double mean) => -Math.Log(1.0 - NextDouble()) * mean;

    /// <summary>A version-4 UUID drawn from this generator (never <see cref="Guid.NewGuid"/>, so runs repeat).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Guid NextGuid()
    {
        var high = NextUInt64();
        var low = NextUInt64();
        if (!BitConverter.IsLittleEndian) return FromBytes(high, low);
        // The UUID whose 16 bytes, read big-endian, are the two draws' little-endian bytes (as FromBytes builds it),
        // assembled from the fields: one event id per event, so no span, no copies.
        return new Guid(
            BinaryPrimitives.ReverseEndianness((uint)high),
            BinaryPrimitives.ReverseEndianness((ushort)(high >> 32)),
            (ushort)((BinaryPrimitives.ReverseEndianness((ushort)(high >> 48)) & 0x0FFF) | 0x4000),
            (byte)((low & 0x3F) | 0x80), (byte)(low >> 8), (byte)(low >> 16), (byte)(low >> 24),
            (byte)(low >> 32), (byte)(low >> 40), (byte)(low >> 48), (byte)(low >> 56));
    }

    /// <summary>The version-4 UUID of two draws' bytes in machine order, read big-endian: what NextGuid returns.</summary>
    internal static Guid FromBytes(ulong high, ulong low)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, high);
        BitConverter.TryWriteBytes(bytes[8..], low);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Index into <paramref name="cumulative"/> (ascending, last = 1) for one uniform draw.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Pick(ReadOnlySpan<double> cumulative)
    {
        var u = NextDouble();
        for (var i = 0; i < cumulative.Length - 1; i++)
        {
            if (u < cumulative[i]) return i;
        }
        return cumulative.Length - 1;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong BitRotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}

/// <summary>Helpers to turn weights into the cumulative form <see cref="Prng.Pick"/> takes.</summary>
public static class Weights
{
    /// <summary>Cumulative, normalised weights; throws when a weight is negative or all are zero.</summary>
    public static double[] Cumulative(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var w in weights)
        {
            if (!(w >= 0)) throw new ArgumentException("weights must be zero or positive", nameof(weights));
            total += w;
        }
        if (total <= 0) throw new ArgumentException("at least one weight must be positive", nameof(weights));
        var result = new double[weights.Length];
        var running = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            running += weights[i];
            result[i] = running / total;
        }
        result[^1] = 1.0;
        return result;
    }
}
