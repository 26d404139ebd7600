using System.IO.Hashing;
using System.Text;

namespace Sluice.Sinks.Lake;

/// <summary>The stable ids of a table's most recent rows, up to a capacity, oldest forgotten first: what lets the lake skip a row the processor wrote twice.</summary>
/// <remarks>Ids are kept as 128-bit XxHash128 digests (16 bytes each instead of the string): two distinct ids sharing a digest is
/// beyond practical reach (about 10^-26 for a million ids), so a digest match is taken as the same id.</remarks>
internal sealed class RecentIds(int capacity)
{
    private readonly HashSet<UInt128> _set = new(Math.Min(capacity, 1 << 20));
    private readonly Queue<UInt128> _order = new();

    public int Count => _set.Count;

    public static UInt128 Digest(string id)
    {
        Span<byte> utf8 = id.Length <= 256 ? stackalloc byte[id.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(id.Length)];
        var n = Encoding.UTF8.GetBytes(id, utf8);
        return XxHash128.HashToUInt128(utf8[..n]);
    }

    public bool Contains(UInt128 digest) => _set.Contains(digest);

    public void Add(UInt128 digest)
    {
        if (capacity == 0 || !_set.Add(digest)) return;
        _order.Enqueue(digest);
        while (_set.Count > capacity) _set.Remove(_order.Dequeue());
    }

    /// <summary>Room left before the oldest ids are forgotten.</summary>
    public bool Full => _set.Count >= capacity;
}
