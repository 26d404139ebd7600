using System.Runtime.CompilerServices;

namespace Sluice.Schemas.Events;

/// <summary>One way of a cache bucket: an entry and the 64-bit hash of its bytes, so other entries are skipped unread.</summary>
internal readonly record struct HashedSlot<TEntry>(ulong Hash, TEntry? Entry) where TEntry : class
{
    /// <summary>Ways per bucket.</summary>
    public const int Ways = 4;

    /// <summary>The entry of the first of the bucket's four ways whose hash is <paramref name="hash"/>, else null.</summary>
    /// <remarks>
    /// All four are read and chosen between without a branch: which way holds a value varies from lookup to lookup, so
    /// a loop's exit was a mispredicted branch on most lookups. (Another way with the same 64-bit hash but other bytes
    /// only makes a miss: callers check the bytes.)
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TEntry? FirstWay(ref HashedSlot<TEntry> bucket, ulong hash)
    {
        var s0 = bucket;
        var s1 = Unsafe.Add(ref bucket, 1);
        var s2 = Unsafe.Add(ref bucket, 2);
        var s3 = Unsafe.Add(ref bucket, 3);
        var e = s3.Hash == hash ? s3.Entry : null;
        e = s2.Hash == hash ? s2.Entry : e;
        e = s1.Hash == hash ? s1.Entry : e;
        return s0.Hash == hash ? s0.Entry : e;
    }
}
