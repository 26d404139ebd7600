using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Sluice.Core.Memory;

/// <summary>Hints to the processor about memory a hot path will read soon.</summary>
public static class CacheHints
{
    /// <summary>Asks for the first <paramref name="lines"/> cache lines of <paramref name="o"/>'s fields to be loaded.</summary>
    /// <remarks>
    /// Only a hint: a prefetch never faults, and an object that the GC moves in the meantime just makes it useless.
    /// Worth it where the address is known well before the read and the object is likely out of cache (state written
    /// long ago), so the load overlaps other work. On processors without SSE it does nothing.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? o, int lines = 1)
    {
        if (!Sse.IsSupported || o is null) return;
        // Any object's fields seen as a StrongBox's: the first one's address is where its data starts.
        var p = (byte*)Unsafe.AsPointer(ref Unsafe.As<StrongBox<byte>>(o).Value);
        for (var i = 0; i < lines; i++) Sse.Prefetch0(p + (i * 64));
    }
}
