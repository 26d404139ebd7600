using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Sluice.Streaming.State;

/// <summary>Writes a snapshot: varints, fixed little-endian numbers, UTF-8 strings with their length, in named sections.</summary>
/// <remarks>
/// <para>Integers are LEB128 varints (signed ones zigzag-encoded first), so the small counts and deltas that make up
/// most of a snapshot take a byte or two; <see cref="WriteInt64"/> and <see cref="WriteDouble"/> are fixed 8 bytes,
/// little-endian. A string is its UTF-8 length plus one as a varint (0 for null), then the bytes; a Guid is its 16
/// bytes in <see cref="Guid.TryWriteBytes(Span{byte})"/> order.</para>
/// <para>A section is its name (a string), the body's length (4 bytes) and the body's CRC-32 (4 bytes), then the body:
/// a reader can tell which section is truncated or corrupt, and name it. Sections may nest.</para>
/// </remarks>
public sealed class SnapshotWriter
{
    private byte[] _buffer;
    private int _length;
    private readonly Stack<int> _open = new();

    public SnapshotWriter(int initialCapacity = 4096) => _buffer = new byte[Math.Max(16, initialCapacity)];

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"{_open.Count} snapshot section(s) still open");
        return WrittenSpan.ToArray();
    }

    /// <summary>Starts a section; everything written until the matching <see cref="EndSection"/> is its body.</summary>
    public void BeginSection(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        WriteString(name);
        Reserve(8);
        _length += 8; // length and checksum, filled in by EndSection
        _open.Push(_length);
    }

    /// <summary>Ends the innermost open section: its length and checksum are filled in.</summary>
    public void EndSection()
    {
        if (!_open.TryPop(out var bodyStart)) throw new InvalidOperationException("no snapshot section is open");
        var body = _buffer.AsSpan(bodyStart, _length - bodyStart);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(bodyStart - 8), body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(bodyStart - 4), Crc32.HashToUInt32(body));
    }

    public void WriteByte(byte value)
    {
        Reserve(1);
        _buffer[_length++] = value;
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteVarUInt64(ulong value)
    {
        Reserve(10);
        var buffer = _buffer;
        var i = _length;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[i++] = (byte)value;
        _length = i;
    }

    /// <summary>A signed integer, zigzag-encoded: small magnitudes of either sign take few bytes.</summary>
    public void WriteVarInt64(long value) => WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));

    public void WriteVarInt32(int value) => WriteVarInt64(value);

    /// <summary>A count or length: a non-negative varint.</summary>
    public void WriteCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteVarUInt64((ulong)count);
    }

    /// <summary>Eight bytes, little-endian.</summary>
    public void WriteInt64(long value)
    {
        Reserve(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>Eight bytes, little-endian IEEE 754: the exact value, NaN payloads included.</summary>
    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteGuid(Guid value)
    {
        Reserve(16);
        value.TryWriteBytes(_buffer.AsSpan(_length, 16));
        _length += 16;
    }

    /// <summary>UTF-8, preceded by its byte length plus one (0 for null).</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }
        // Most strings (ids, names) are short: at most 126 UTF-8 bytes fit a one-byte length, written after the bytes.
        if (value.Length <= 42)
        {
            Reserve(1 + value.Length * 3);
            var n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 1));
            _buffer[_length] = (byte)(n + 1);
            _length += 1 + n;
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt64((ulong)count + 1);
        Reserve(count);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Raw bytes, without a length (magic numbers).</summary>
    public void WriteBytesRaw(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Raw bytes, preceded by their length.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteCount(bytes.Length);
        Reserve(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Reserve(int bytes)
    {
        if (_buffer.Length - _length >= bytes) return;
        var size = Math.Max((long)_buffer.Length * 2, (long)_length + bytes);
        if (size > Array.MaxLength)
        {
            size = (long)_length + bytes;
            if (size > Array.MaxLength) throw new InvalidOperationException($"a snapshot cannot exceed {Array.MaxLength} bytes");
        }
        Array.Resize(ref _buffer, (int)size);
    }
}
