using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>The binary form of a checkpoint, versioned and checksummed; the directory store writes it as a file, streamed.</summary>
/// <remarks>
/// Little-endian: magic <c>SLUICKPT</c> (8 bytes), format version (u16), flags (u16, 0), sequence (i64), created at
/// (i64, Unix ms), group, topology (each u16 length + UTF-8), task partition (i32), offset count (i32) and per offset
/// topic (u16 + UTF-8), partition (i32), next offset (i64), state length (i64) and the state, then a CRC-32C (u32) over
/// every byte before it. The version is read before the checksum, so a newer format is refused as newer, not as corrupt.
/// </remarks>
public static class CheckpointFormat
{
    /// <summary>The format this build writes, and the newest it reads.</summary>
    public const ushort Version = 1;

    private static ReadOnlySpan<byte> Magic => "SLUICKPT"u8;
    private const int FixedHeader = 8 + 2 + 2;

    /// <summary>Writes the checkpoint to <paramref name="destination"/>: the header, the state chunk by chunk, then the checksum, which it returns.</summary>
    /// <remarks>Nothing of the state's size is allocated: the header is a few hundred bytes and the state is copied from its chunks.</remarks>
    public static uint Write(Stream destination, CheckpointKey key, long sequence, DateTimeOffset createdAt, IReadOnlyList<PartitionOffset> offsets,
        SnapshotBuffer state, ushort version = Version)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(state);
        var header = Header(key, sequence, createdAt, offsets, state.Length, version);
        var crc = Crc32CAppend(0xFFFFFFFFu, header);
        destination.Write(header);
        foreach (var segment in state.Sequence) crc = Crc32CAppend(crc, segment.Span);
        state.CopyTo(destination);
        crc = ~crc;
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);
        destination.Write(trailer);
        return crc;
    }

    /// <summary>The checksum <see cref="Write"/> would end with, without writing anything (a database row stores it beside the state).</summary>
    public static uint Checksum(CheckpointKey key, long sequence, DateTimeOffset createdAt, IReadOnlyList<PartitionOffset> offsets,
        SnapshotBuffer state, ushort version = Version) =>
        Write(Stream.Null, key, sequence, createdAt, offsets, state, version);

    /// <summary>Fails with the message every store gives for a checkpoint of a newer format than this build reads.</summary>
    public static void CheckVersion(int version, string location, string remedy)
    {
        if (version > Version)
            throw new CheckpointException($"checkpoint {location} has format version {version}, written by a newer Sluice; this one reads up to version {Version}: run the newer version, or {remedy}");
        if (version < 1) throw Unusable(location, $"of format version {version}, which does not exist (corrupt)", remedy);
    }

    /// <summary>The message every store gives for a checkpoint whose bytes do not match their checksum.</summary>
    public static CheckpointException Corrupt(string location, string remedy) => Unusable(location, "corrupt (CRC mismatch)", remedy);

    /// <summary>Reads a checkpoint from a seekable stream (a file); a newer version, a bad checksum or a truncated body is a <see cref="CheckpointException"/>.</summary>
    /// <remarks>Two passes over the stream: the checksum over every byte first, so nothing of a damaged checkpoint is
    /// parsed; then the header, and the state into pooled chunks (no array of the state's size).</remarks>
    /// <param name="source">The checkpoint, from its first byte to its end.</param>
    /// <param name="location">Where the bytes came from, for the message.</param>
    /// <param name="remedy">What the user can do about a checkpoint that cannot be read, appended to the message.</param>
    public static Checkpoint Read(Stream source, string location, string remedy)
    {
        ArgumentNullException.ThrowIfNull(source);
        var length = source.Length;
        Span<byte> fixedHeader = stackalloc byte[FixedHeader];
        if (length < FixedHeader + 4 || source.ReadAtLeast(fixedHeader, FixedHeader, throwOnEndOfStream: false) < FixedHeader || !fixedHeader[..8].SequenceEqual(Magic))
            throw Unusable(location, length < FixedHeader + 4 ? $"truncated ({length} bytes)" : "not a Sluice checkpoint (bad magic)", remedy);
        // The version is read before the checksum, so a newer format is refused as newer, not as corrupt.
        CheckVersion(BinaryPrimitives.ReadUInt16LittleEndian(fixedHeader[8..]), location, remedy);
        if (ChecksumOf(source, length - 4) != ReadStoredChecksum(source)) throw Corrupt(location, remedy);
        source.Position = FixedHeader;
        try
        {
            var r = new StreamFields(source, length - 4);
            var sequence = r.I64();
            var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(r.I64());
            var group = r.String();
            var topology = r.String();
            var task = new TaskId(r.I32());
            var count = r.I32();
            if (count < 0 || count > 1_000_000) throw new FormatException($"offset count {count}");
            var offsets = new List<PartitionOffset>(count);
            for (var i = 0; i < count; i++)
            {
                var topic = r.String();
                var partition = r.I32();
                offsets.Add(new PartitionOffset(new TopicPartition(topic, partition), r.I64()));
            }
            var stateLength = r.I64();
            if (stateLength < 0 || stateLength != r.Remaining) throw new FormatException($"state length {stateLength}, {r.Remaining} bytes left");
            var state = SnapshotBuffer.ReadFrom(source, stateLength);
            return new Checkpoint(new CheckpointKey(group, topology, task), sequence, offsets, state, createdAt, location);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or ArgumentException or EndOfStreamException)
        {
            // A checksum that matches a malformed body: written by a bug, not torn by a crash. Still not to be used.
            throw Unusable(location, $"malformed ({ex.Message})", remedy);
        }
    }

    private static uint ChecksumOf(Stream source, long length)
    {
        source.Position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(SnapshotBuffer.ChunkSize);
        try
        {
            var crc = 0xFFFFFFFFu;
            while (length > 0)
            {
                var n = source.Read(buffer, 0, (int)Math.Min(length, buffer.Length));
                if (n == 0) throw new EndOfStreamException();
                crc = Crc32CAppend(crc, buffer.AsSpan(0, n));
                length -= n;
            }
            return ~crc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static uint ReadStoredChecksum(Stream source)
    {
        Span<byte> trailer = stackalloc byte[4];
        source.ReadExactly(trailer);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }

    // Everything before the state: magic, version, flags, sequence, time, key, offsets, state length.
    private static byte[] Header(CheckpointKey key, long sequence, DateTimeOffset createdAt, IReadOnlyList<PartitionOffset> offsets, long stateLength, ushort version)
    {
        var size = FixedHeader + 8 + 8 + StringSize(key.Group) + StringSize(key.Topology) + 4 + 4 + 8;
        foreach (var o in offsets) size += StringSize(o.Partition.Topic) + 4 + 8;
        var bytes = new byte[size];
        var w = new Writer(bytes);
        w.Bytes(Magic);
        w.U16(version);
        w.U16(0);
        w.I64(sequence);
        w.I64(createdAt.ToUnixTimeMilliseconds());
        w.String(key.Group);
        w.String(key.Topology);
        w.I32(key.Task.Partition);
        w.I32(offsets.Count);
        foreach (var o in offsets)
        {
            w.String(o.Partition.Topic);
            w.I32(o.Partition.Partition);
            w.I64(o.Offset);
        }
        w.I64(stateLength);
        return bytes;
    }

    /// <summary>CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data) => ~Crc32CAppend(0xFFFFFFFFu, data);

    // The running register, before the final inversion: start at 0xFFFFFFFF, invert at the end.
    private static uint Crc32CAppend(uint crc, ReadOnlySpan<byte> data)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(data[..(data.Length & ~7)]);
        foreach (var word in words) crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        foreach (var b in data[(words.Length * 8)..]) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    private static CheckpointException Unusable(string location, string problem, string remedy) =>
        new($"checkpoint {location} is {problem}; {remedy}");

    private static int StringSize(string s) => 2 + Encoding.UTF8.GetByteCount(s);

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        public int Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> b)
        {
            b.CopyTo(_buffer[Position..]);
            Position += b.Length;
        }

        public void U16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], v); Position += 2; }
        public void I32(int v) { BinaryPrimitives.WriteInt32LittleEndian(_buffer[Position..], v); Position += 4; }
        public void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_buffer[Position..], v); Position += 4; }
        public void I64(long v) { BinaryPrimitives.WriteInt64LittleEndian(_buffer[Position..], v); Position += 8; }

        public void String(string s)
        {
            var n = Encoding.UTF8.GetBytes(s, _buffer[(Position + 2)..]);
            if (n > ushort.MaxValue) throw new ArgumentException($"'{s[..40]}…' is longer than {ushort.MaxValue} bytes");
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], (ushort)n);
            Position += 2 + n;
        }
    }

    // The header's fields, read from the stream; never past `end` (where the checksum starts).
    private sealed class StreamFields(Stream source, long end)
    {
        private readonly byte[] _scratch = new byte[ushort.MaxValue];

        public long Remaining => end - source.Position;

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > Remaining) throw new FormatException($"wants {n} bytes at {source.Position}, {Remaining} left");
            source.ReadExactly(_scratch, 0, n);
            return _scratch.AsSpan(0, n);
        }

        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        public string String() => Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadUInt16LittleEndian(Take(2))));
    }
}
