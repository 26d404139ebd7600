namespace Sluice.Verification;

/// <summary>The partition librdkafka's default partitioner (<c>consistent_random</c>) gives a keyed message.</summary>
/// <remarks>
/// <c>consistent_random</c> is CRC-32 (IEEE 802.3, the zlib polynomial) of the key bytes modulo the partition count;
/// empty and null keys go to a random partition, which cannot be recomputed. Written out here rather than taken from a
/// package: a dozen lines, and a test produces through the real client to check it.
/// </remarks>
public static class KafkaPartitioner
{
    private static readonly uint[] Table = MakeTable();

    /// <summary>The partition of <paramref name="key"/> among <paramref name="partitions"/>; null for an empty key (random).</summary>
    public static int? ConsistentRandom(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (key.IsEmpty) return null;
        return (int)(Crc32(key) % (uint)partitions);
    }

    /// <summary>CRC-32 with the reflected polynomial 0xEDB88320, initial value and final XOR all ones.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] MakeTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
