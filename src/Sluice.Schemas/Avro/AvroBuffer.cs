using System.Buffers.Binary;
using System.Text;

namespace Sluice.Schemas.Avro;

/// <summary>A growable output buffer with the Avro binary primitive writers; reuse it with <see cref="Reset"/>.</summary>
public sealed class AvroBuffer
{
    private byte[] _buffer;

    /// <summary>A buffer with <paramref name="capacity"/> bytes to start.</summary>
    public AvroBuffer(int capacity = 256) => _buffer = new byte[Math.Max(capacity, 16)];

    /// <summary>Bytes written.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets the content, keeping the memory.</summary>
    public void Reset() => Length = 0;

    private Span<byte> Reserve(int bytes)
    {
        if (_buffer.Length - Length < bytes)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + bytes));
        }
        return _buffer.AsSpan(Length);
    }

    /// <summary>Appends raw bytes.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    /// <summary>Appends one raw byte.</summary>
    public void WriteByte(byte b)
    {
        Reserve(1)[0] = b;
        Length++;
    }

    /// <summary>Writes a zigzag varint long.</summary>
    public void WriteLong(long value)
    {
        var span = Reserve(10);
        var n = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (n >= 0x80)
        {
            span[i++] = (byte)(n | 0x80);
            n >>= 7;
        }
        span[i++] = (byte)n;
        Length += i;
    }

    /// <summary>Writes a zigzag varint int.</summary>
    public void WriteInt(int value) => WriteLong(value);

    /// <summary>Writes a boolean byte.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes a little-endian float.</summary>
    public void WriteFloat(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
        Length += 4;
    }

    /// <summary>Writes a little-endian double.</summary>
    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
        Length += 8;
    }

    /// <summary>Writes length-prefixed bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteLong(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a length-prefixed UTF-8 string.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length <= 21)
        {
            // At most 63 UTF-8 bytes, so the zigzag length is one byte: encode once, then fill in the length.
            var span = Reserve(1 + value.Length * 3);
            var written = Encoding.UTF8.GetBytes(value, span[1..]);
            span[0] = (byte)(written << 1);
            Length += 1 + written;
            return;
        }
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteLong(byteCount);
        Length += Encoding.UTF8.GetBytes(value, Reserve(byteCount));
    }
}
