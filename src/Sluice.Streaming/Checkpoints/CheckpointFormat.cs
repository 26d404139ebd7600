using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>The binary form of a checkpoint, versioned and checksummed; the directory store writes it as a file.</summary>
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

    /// <summary>The checkpoint as bytes, checksum included.</summary>
    public static byte[] Encode(CheckpointKey key, long sequence, DateTimeOffset createdAt, IReadOnlyList<PartitionOffset> offsets,
        ReadOnlySpan<byte> state, ushort version = Version)
    {
        var size = FixedHeader + 8 + 8 + StringSize(key.Group) + StringSize(key.Topology) + 4 + 4 + 8 + state.Length + 4;
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
        w.I64(state.Length);
        w.Bytes(state);
        w.U32(Crc32C(bytes.AsSpan(0, w.Position)));
        return bytes;
    }

    /// <summary>Reads a checkpoint; a newer version, a bad checksum or a truncated body is a <see cref="CheckpointException"/>.</summary>
    /// <param name="location">Where the bytes came from, for the message.</param>
    /// <param name="remedy">What the user can do about a checkpoint that cannot be read, appended to the message.</param>
    public static Checkpoint Decode(ReadOnlySpan<byte> bytes, string location, string remedy)
    {
        if (bytes.Length < FixedHeader + 4 || !bytes[..8].SequenceEqual(Magic))
            throw Unusable(location, bytes.Length < FixedHeader + 4 ? $"truncated ({bytes.Length} bytes)" : "not a Sluice checkpoint (bad magic)", remedy);
        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
        if (version > Version)
            throw new CheckpointException($"checkpoint {location} has format version {version}, written by a newer Sluice; this one reads up to version {Version}: run the newer version, or {remedy}");
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]);
        if (Crc32C(bytes[..^4]) != stored) throw Unusable(location, "corrupt (CRC mismatch)", remedy);
        try
        {
            var r = new Reader(bytes[..^4]) { Position = FixedHeader };
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
            var state = r.Take((int)stateLength).ToArray();
            return new Checkpoint(new CheckpointKey(group, topology, task), sequence, offsets, state, createdAt, location);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException or ArgumentException)
        {
            // A checksum that matches a malformed body: written by a bug, not torn by a crash. Still not to be used.
            throw Unusable(location, $"malformed ({ex.Message})", remedy);
        }
    }

    /// <summary>CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        var words = MemoryMarshal.Cast<byte, ulong>(data[..(data.Length & ~7)]);
        foreach (var word in words) crc = BitOperations.Crc32C(crc, BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
        foreach (var b in data[(words.Length * 8)..]) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
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

    private ref struct Reader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        public int Position { get; set; }
        public readonly int Remaining => _buffer.Length - Position;

        public ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || n > Remaining) throw new FormatException($"wants {n} bytes at {Position}, {Remaining} left");
            var span = _buffer.Slice(Position, n);
            Position += n;
            return span;
        }

        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public long I64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
        public string String() => Encoding.UTF8.GetString(Take(BinaryPrimitives.ReadUInt16LittleEndian(Take(2))));
    }
}
