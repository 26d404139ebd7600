using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Text;

namespace Sluice.Streaming.State;

/// <summary>Reads what a <see cref="SnapshotWriter"/> wrote, over a sequence of chunks; every problem is a <see cref="CheckpointException"/> naming the section.</summary>
/// <remarks>A ref struct over the snapshot's bytes (a <see cref="SnapshotBuffer"/>'s chunks, or one array): reading
/// allocates nothing but the values it returns, and needs no contiguous copy of the snapshot.</remarks>
public ref struct SnapshotReader
{
    private SequenceReader<byte> _data;

    /// <summary>A reader over <paramref name="data"/>, reporting problems in the section named <paramref name="section"/>.</summary>
    public SnapshotReader(ReadOnlySequence<byte> data, string section)
    {
        _data = new SequenceReader<byte>(data);
        Section = section;
    }

    /// <summary>A reader over one array's bytes.</summary>
    public SnapshotReader(ReadOnlyMemory<byte> data, string section) : this(new ReadOnlySequence<byte>(data), section)
    {
    }

    /// <summary>The section being read, as named in errors.</summary>
    public readonly string Section { get; }

    /// <summary>Bytes not read yet.</summary>
    public readonly long Remaining => _data.Remaining;

    public readonly bool End => _data.End;

    /// <summary>Opens the next section, which must be named <paramref name="name"/>: checks its length and checksum and returns a reader over its body.</summary>
    public SnapshotReader ReadSection(string name)
    {
        if (End) Fail(name, "missing: the snapshot ends before it (truncated?)");
        var start = _data.Consumed;
        string? found;
        try
        {
            found = ReadString();
        }
        catch (CheckpointException)
        {
            found = null;
        }
        if (found != name)
        {
            _data.Rewind(_data.Consumed - start);
            Fail(name, found is null ? "not found where expected (the data there is not a section header)" : $"expected here, but the snapshot has section '{found}'");
        }
        if (Remaining < 8) Fail(name, "truncated in its header");
        _data.TryReadLittleEndian(out int length);
        _data.TryReadLittleEndian(out int checksum);
        if (length < 0 || length > Remaining) Fail(name, $"truncated: its header declares {length} bytes, {Remaining} remain");
        var body = _data.UnreadSequence.Slice(0, length);
        if (Checksum(body) != (uint)checksum) Fail(name, "corrupt: checksum mismatch");
        _data.Advance(length);
        return new SnapshotReader(body, name);
    }

    /// <summary>Fails unless every byte of the section was read: a participant that reads less than was written has another shape.</summary>
    public readonly void EnsureEnd()
    {
        if (!End) Fail($"{Remaining} bytes left unread at the end (written by a different version of this participant?)");
    }

    public byte ReadByte()
    {
        if (!_data.TryRead(out var value)) Fail("ends early");
        return value;
    }

    public bool ReadBoolean() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => FailWith<bool>($"invalid boolean byte {b}"),
    };

    public ulong ReadVarUInt64()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        return FailWith<ulong>("invalid varint (more than 10 bytes)");
    }

    public long ReadVarInt64()
    {
        var raw = ReadVarUInt64();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int ReadVarInt32()
    {
        var value = ReadVarInt64();
        return value is < int.MinValue or > int.MaxValue ? FailWith<int>($"value {value} out of range for a 32-bit integer") : (int)value;
    }

    /// <summary>A count written by <see cref="SnapshotWriter.WriteCount"/>; no larger than the bytes left could hold, so a corrupt count cannot allocate without bound.</summary>
    public int ReadCount(int minBytesPerItem = 1)
    {
        var value = ReadVarUInt64();
        if (value > (ulong)Remaining / (ulong)Math.Max(1, minBytesPerItem)) Fail($"count {value} is larger than the {Remaining} bytes left can hold");
        return (int)value;
    }

    /// <summary>A non-negative 32-bit integer written by <see cref="SnapshotWriter.WriteCount"/> that is not a count of what follows (an index, a size).</summary>
    public int ReadNonNegative()
    {
        var value = ReadVarUInt64();
        return value > int.MaxValue ? FailWith<int>($"value {value} out of range") : (int)value;
    }

    public long ReadInt64()
    {
        if (!_data.TryReadLittleEndian(out long value)) Fail("ends early");
        return value;
    }

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadInt64());

    public Guid ReadGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!_data.TryCopyTo(bytes)) Fail("ends early");
        _data.Advance(16);
        return new Guid(bytes);
    }

    public string? ReadString()
    {
        var raw = ReadVarUInt64();
        if (raw == 0) return null;
        var length = raw - 1;
        if (length > (ulong)Remaining) Fail($"a string of {length} bytes runs past the end");
        var n = (int)length;
        string value;
        if (_data.UnreadSpan.Length >= n)
        {
            value = Encoding.UTF8.GetString(_data.UnreadSpan[..n]);
        }
        else
        {
            // The string spans two chunks: copied out first.
            var rented = ArrayPool<byte>.Shared.Rent(n);
            _data.TryCopyTo(rented.AsSpan(0, n));
            value = Encoding.UTF8.GetString(rented, 0, n);
            ArrayPool<byte>.Shared.Return(rented);
        }
        _data.Advance(n);
        return value;
    }

    /// <summary>A string that must not be null.</summary>
    public string ReadRequiredString() => ReadString() ?? FailWith<string>("a required string is null");

    public byte[] ReadBytes()
    {
        var length = ReadCount();
        var bytes = new byte[length];
        _data.TryCopyTo(bytes);
        _data.Advance(length);
        return bytes;
    }

    /// <summary>Throws a <see cref="CheckpointException"/> for this section.</summary>
    [DoesNotReturn]
    public readonly void Fail(string problem) => throw new CheckpointException(Section, problem);

    /// <summary>Throws a <see cref="CheckpointException"/> for this section, as an expression of any type.</summary>
    [DoesNotReturn]
    public readonly T FailWith<T>(string problem) => throw new CheckpointException(Section, problem);

    private static uint Checksum(ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment) return Crc32.HashToUInt32(body.FirstSpan);
        var crc = new Crc32();
        foreach (var segment in body) crc.Append(segment.Span);
        return crc.GetCurrentHashAsUInt32();
    }

    [DoesNotReturn]
    private static void Fail(string section, string problem) => throw new CheckpointException(section, problem);
}
