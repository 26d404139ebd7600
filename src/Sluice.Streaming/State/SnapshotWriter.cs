using System.Buffers;
using System.Buffers.Binary;
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
/// <para>The bytes go to a <see cref="SnapshotBuffer"/> of pooled chunks, so a snapshot of any size allocates no contiguous
/// array of its size: a section's header is filled in where it was left, across chunks if need be.</para>
/// </remarks>
public sealed class SnapshotWriter : IDisposable
{
    private readonly SnapshotBuffer _buffer = new();
    private readonly Stack<long> _open = new();
    private byte[] _chunk = [];
    private int _at = SnapshotBuffer.ChunkSize; // where the next byte goes in _chunk; ChunkSize: take a new chunk first
    private long _chunkStart = -SnapshotBuffer.ChunkSize;
    private bool _detached;

    public SnapshotWriter()
    {
    }

    /// <summary>Bytes written so far.</summary>
    public long Length => _chunkStart + _at;

    /// <summary>The bytes written, as one array: for tests and small snapshots.</summary>
    public byte[] ToArray()
    {
        using var buffer = Detach();
        return buffer.ToArray();
    }

    /// <summary>Ends writing and hands over the bytes; the caller disposes them. The writer cannot be used after.</summary>
    public SnapshotBuffer Detach()
    {
        if (_open.Count > 0) throw new InvalidOperationException($"{_open.Count} snapshot section(s) still open");
        ObjectDisposedException.ThrowIf(_detached, this);
        Sync();
        _detached = true;
        return _buffer;
    }

    /// <summary>Gives the chunks back unless <see cref="Detach"/> handed them over.</summary>
    public void Dispose()
    {
        if (_detached) return;
        _detached = true;
        _buffer.Dispose();
    }

    /// <summary>Starts a section; everything written until the matching <see cref="EndSection"/> is its body.</summary>
    public void BeginSection(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        WriteString(name);
        WriteBytesRaw(stackalloc byte[8]); // length and checksum, filled in by EndSection
        _open.Push(Length);
    }

    /// <summary>Ends the innermost open section: its length and checksum are filled in.</summary>
    public void EndSection()
    {
        if (!_open.TryPop(out var bodyStart)) throw new InvalidOperationException("no snapshot section is open");
        var length = Length - bodyStart;
        if (length > int.MaxValue) throw new InvalidOperationException($"a snapshot section cannot exceed {int.MaxValue} bytes ({length:N0} written)");
        Sync();
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, (int)length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], _buffer.Crc32Of(bodyStart, length));
        _buffer.Overwrite(bodyStart - 8, header);
    }

    public void WriteByte(byte value)
    {
        if (_at == SnapshotBuffer.ChunkSize) NextChunk();
        _chunk[_at++] = value;
    }

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteVarUInt64(ulong value)
    {
        if (SnapshotBuffer.ChunkSize - _at < 10)
        {
            Span<byte> bytes = stackalloc byte[10];
            var n = 0;
            while (value >= 0x80)
            {
                bytes[n++] = (byte)(value | 0x80);
                value >>= 7;
            }
            bytes[n++] = (byte)value;
            WriteBytesRaw(bytes[..n]);
            return;
        }
        var buffer = _chunk;
        var i = _at;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[i++] = (byte)value;
        _at = i;
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
        if (SnapshotBuffer.ChunkSize - _at < 8)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            WriteBytesRaw(bytes);
            return;
        }
        BinaryPrimitives.WriteInt64LittleEndian(_chunk.AsSpan(_at), value);
        _at += 8;
    }

    /// <summary>Eight bytes, little-endian IEEE 754: the exact value, NaN payloads included.</summary>
    public void WriteDouble(double value) => WriteInt64(BitConverter.DoubleToInt64Bits(value));

    public void WriteGuid(Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        WriteBytesRaw(bytes);
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
            if (SnapshotBuffer.ChunkSize - _at >= 1 + value.Length * 3)
            {
                var n = Encoding.UTF8.GetBytes(value, _chunk.AsSpan(_at + 1));
                _chunk[_at] = (byte)(n + 1);
                _at += 1 + n;
                return;
            }
            Span<byte> bytes = stackalloc byte[1 + 42 * 3];
            var written = Encoding.UTF8.GetBytes(value, bytes[1..]);
            bytes[0] = (byte)(written + 1);
            WriteBytesRaw(bytes[..(1 + written)]);
            return;
        }
        var count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt64((ulong)count + 1);
        if (SnapshotBuffer.ChunkSize - _at >= count)
        {
            _at += Encoding.UTF8.GetBytes(value, _chunk.AsSpan(_at));
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            var n = Encoding.UTF8.GetBytes(value, rented);
            WriteBytesRaw(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Raw bytes, without a length (magic numbers).</summary>
    public void WriteBytesRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_at == SnapshotBuffer.ChunkSize) NextChunk();
            var n = Math.Min(bytes.Length, SnapshotBuffer.ChunkSize - _at);
            bytes[..n].CopyTo(_chunk.AsSpan(_at));
            _at += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Raw bytes, preceded by their length.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteCount(bytes.Length);
        WriteBytesRaw(bytes);
    }

    // The writer fills the current chunk through _chunk/_at and tells the buffer how far it got only when it moves on.
    private void NextChunk()
    {
        ObjectDisposedException.ThrowIf(_detached, this);
        Sync();
        var (chunk, at) = _buffer.Tail();
        (_chunk, _at, _chunkStart) = (chunk, at, _buffer.Length - at);
    }

    private void Sync()
    {
        var behind = Length - _buffer.Length;
        if (behind > 0) _buffer.Advance((int)behind);
    }
}
