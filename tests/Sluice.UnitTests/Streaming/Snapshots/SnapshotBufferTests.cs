using Sluice.Streaming.State;

namespace Sluice.UnitTests.Streaming.Snapshots;

/// <summary>Snapshots in pooled chunks: values and section headers that straddle chunk boundaries, and damage in a later chunk.</summary>
public sealed class SnapshotBufferTests
{
    // Enough mixed values for several chunks, with strings of every length class and nested sections.
    private static void WriteValues(SnapshotWriter writer, int count)
    {
        writer.BeginSection("outer");
        for (var i = 0; i < count; i++)
        {
            if (i % 1000 == 0) writer.BeginSection("inner " + i);
            writer.WriteVarInt64(i * 7919L - 500_000);
            writer.WriteInt64(long.MaxValue - i);
            writer.WriteString(new string((char)('a' + i % 26), i % 60));
            writer.WriteString(i % 97 == 0 ? new string('é', 300 + i % 50) : null);
            writer.WriteGuid(new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
            writer.WriteDouble(i / 3.0);
            writer.WriteBytes([(byte)i, (byte)(i >> 8)]);
            if (i % 1000 == 999 || i == count - 1) writer.EndSection();
        }
        writer.EndSection();
    }

    private static void ReadValues(ref SnapshotReader reader, int count)
    {
        var outer = reader.ReadSection("outer");
        var inner = default(SnapshotReader);
        for (var i = 0; i < count; i++)
        {
            if (i % 1000 == 0) inner = outer.ReadSection("inner " + i);
            Assert.Equal(i * 7919L - 500_000, inner.ReadVarInt64());
            Assert.Equal(long.MaxValue - i, inner.ReadInt64());
            Assert.Equal(new string((char)('a' + i % 26), i % 60), inner.ReadString());
            Assert.Equal(i % 97 == 0 ? new string('é', 300 + i % 50) : null, inner.ReadString());
            Assert.Equal(new Guid(i, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), inner.ReadGuid());
            Assert.Equal(i / 3.0, inner.ReadDouble());
            Assert.Equal(new[] { (byte)i, (byte)(i >> 8) }, inner.ReadBytes());
            if (i % 1000 == 999 || i == count - 1) inner.EnsureEnd();
        }
        outer.EnsureEnd();
    }

    [Fact]
    public void values_and_sections_across_chunk_boundaries_read_back_from_the_chunks_as_written()
    {
        using var writer = new SnapshotWriter();
        WriteValues(writer, 8_000);
        using var buffer = writer.Detach();

        Assert.True(buffer.Length > 4 * SnapshotBuffer.ChunkSize);
        var sequence = buffer.Sequence;
        Assert.False(sequence.IsSingleSegment);
        Assert.Equal(buffer.Length, sequence.Length);
        var reader = new SnapshotReader(sequence, "test");
        ReadValues(ref reader, 8_000);
        Assert.True(reader.End);

        // The same bytes as one array, and through the stream a database driver reads.
        var array = buffer.ToArray();
        using var copy = new MemoryStream();
        buffer.AsStream().CopyTo(copy);
        Assert.Equal(array, copy.ToArray());
        using var again = SnapshotBuffer.ReadFrom(new MemoryStream(array));
        Assert.Equal(array, again.ToArray());
    }

    [Fact]
    public void a_byte_flipped_in_a_later_chunk_is_reported_as_corruption_of_the_section_holding_it()
    {
        using var writer = new SnapshotWriter();
        WriteValues(writer, 8_000);
        var bytes = writer.ToArray();
        bytes[3 * SnapshotBuffer.ChunkSize + 17] ^= 0x10;
        using var damaged = SnapshotBuffer.ReadFrom(new MemoryStream(bytes));

        var ex = Assert.Throws<CheckpointException>(() =>
        {
            var reader = new SnapshotReader(damaged.Sequence, "test");
            ReadValues(ref reader, 8_000);
        });
        Assert.Contains("checksum mismatch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_stream_that_ends_early_is_an_error_and_not_a_short_buffer()
    {
        Assert.Throws<EndOfStreamException>(() => SnapshotBuffer.ReadFrom(new MemoryStream(new byte[100]), 101));
    }
}
