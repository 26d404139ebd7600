using System.Buffers;
using System.IO.Hashing;

namespace Sluice.Streaming.State;

/// <summary>A snapshot's bytes in pooled 64 KiB chunks: no contiguous array of the state's size, nothing on the large-object heap.</summary>
/// <remarks>
/// <para>A task's state can be hundreds of megabytes (a million open sessions). One contiguous array of that size, and
/// the copies a doubling buffer makes on its way there, would each be a large-object-heap allocation per checkpoint;
/// chunks of <see cref="ChunkSize"/> (below the 85,000-byte large-object threshold) are rented from the shared array pool
/// and given back on <see cref="Dispose"/>. Every chunk but the last is full.</para>
/// <para>Written by a <see cref="SnapshotWriter"/> or filled from a stream (<see cref="ReadFrom"/>); read through
/// <see cref="Sequence"/> by a <see cref="SnapshotReader"/>, copied to a stream by <see cref="CopyTo"/> or read as one
/// (<see cref="AsStream"/>). Not thread-safe.</para>
/// </remarks>
public sealed class SnapshotBuffer : IDisposable
{
    /// <summary>The size of every chunk but the last.</summary>
    public const int ChunkSize = 64 * 1024;

    private readonly List<byte[]> _chunks = [];
    private long _length;
    private bool _disposed;

    /// <summary>The bytes held.</summary>
    public long Length => _length;

    /// <summary>The bytes as one sequence of chunks; valid until the buffer is disposed or written to.</summary>
    public ReadOnlySequence<byte> Sequence
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_length == 0) return ReadOnlySequence<byte>.Empty;
            if (_chunks.Count == 1) return new ReadOnlySequence<byte>(_chunks[0], 0, (int)_length);
            Segment? first = null, last = null;
            for (var i = 0; i < _chunks.Count; i++)
            {
                var memory = new ReadOnlyMemory<byte>(_chunks[i], 0, ChunkLength(i));
                if (last is null) first = last = new Segment(memory, 0);
                else last = last.Append(memory);
            }
            return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
        }
    }

    /// <summary>A buffer holding a copy of <paramref name="bytes"/>.</summary>
    public static SnapshotBuffer From(ReadOnlySpan<byte> bytes)
    {
        var buffer = new SnapshotBuffer();
        buffer.Append(bytes);
        return buffer;
    }

    /// <summary>Reads <paramref name="length"/> bytes of <paramref name="source"/> (or to its end, when null) into a new buffer.</summary>
    /// <exception cref="EndOfStreamException">The stream ends before <paramref name="length"/> bytes.</exception>
    public static SnapshotBuffer ReadFrom(Stream source, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var buffer = new SnapshotBuffer();
        try
        {
            var left = length ?? long.MaxValue;
            while (left > 0)
            {
                var (chunk, at) = buffer.Tail();
                var want = (int)Math.Min(left, ChunkSize - at);
                var read = source.Read(chunk, at, want);
                if (read == 0)
                {
                    if (length is null) break;
                    throw new EndOfStreamException($"the stream ended {left:N0} bytes before the {length:N0} expected");
                }
                buffer._length += read;
                left -= read;
            }
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Writes every byte to <paramref name="destination"/>, chunk by chunk.</summary>
    public void CopyTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var i = 0; i < _chunks.Count; i++) destination.Write(_chunks[i], 0, ChunkLength(i));
    }

    /// <summary>A read-only, seekable stream over the bytes (for a database driver that reads a parameter from a stream).</summary>
    public Stream AsStream() => new ReadStream(this);

    /// <summary>The bytes as one array: for tests and small states only.</summary>
    public byte[] ToArray()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)_length));
        CopyRange(0, bytes);
        return bytes;
    }

    /// <summary>The CRC-32 (IEEE) of <paramref name="length"/> bytes from <paramref name="start"/>.</summary>
    public uint Crc32Of(long start, long length)
    {
        if (length == 0) return Crc32.HashToUInt32([]);
        CheckRange(start, length);
        var crc = new Crc32();
        while (length > 0)
        {
            var at = (int)(start % ChunkSize);
            var n = (int)Math.Min(length, ChunkSize - at);
            crc.Append(_chunks[(int)(start / ChunkSize)].AsSpan(at, n));
            start += n;
            length -= n;
        }
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>Gives the chunks back to the pool; the buffer is empty and unusable after.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var chunk in _chunks) ArrayPool<byte>.Shared.Return(chunk);
        _chunks.Clear();
        _length = 0;
    }

    /// <summary>Appends <paramref name="bytes"/>, across chunks as needed.</summary>
    internal void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var (chunk, at) = Tail();
            var n = Math.Min(bytes.Length, ChunkSize - at);
            bytes[..n].CopyTo(chunk.AsSpan(at));
            _length += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>The chunk the next byte goes to, and where in it; a new chunk when the last is full.</summary>
    internal (byte[] Chunk, int At) Tail()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var at = (int)(_length % ChunkSize);
        if (at == 0 && _length == (long)_chunks.Count * ChunkSize) _chunks.Add(ArrayPool<byte>.Shared.Rent(ChunkSize));
        return (_chunks[^1], at);
    }

    /// <summary>Moves the length on by bytes written straight into the chunk returned by <see cref="Tail"/>.</summary>
    internal void Advance(int count) => _length += count;

    /// <summary>Overwrites bytes already written (a section's length and checksum, filled in once its body is known).</summary>
    internal void Overwrite(long start, ReadOnlySpan<byte> bytes)
    {
        CheckRange(start, bytes.Length);
        while (!bytes.IsEmpty)
        {
            var chunk = _chunks[(int)(start / ChunkSize)];
            var at = (int)(start % ChunkSize);
            var n = Math.Min(bytes.Length, ChunkSize - at);
            bytes[..n].CopyTo(chunk.AsSpan(at));
            bytes = bytes[n..];
            start += n;
        }
    }

    private void CopyRange(long start, Span<byte> destination)
    {
        CheckRange(start, destination.Length);
        while (!destination.IsEmpty)
        {
            var at = (int)(start % ChunkSize);
            var n = Math.Min(destination.Length, ChunkSize - at);
            _chunks[(int)(start / ChunkSize)].AsSpan(at, n).CopyTo(destination);
            destination = destination[n..];
            start += n;
        }
    }

    private void CheckRange(long start, long length)
    {
        if (start < 0 || length < 0 || start + length > _length) throw new ArgumentOutOfRangeException(nameof(start), $"bytes {start}+{length} of {_length}");
    }

    private int ChunkLength(int index) => index < _chunks.Count - 1 ? ChunkSize : (int)(_length - (long)index * ChunkSize);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private sealed class ReadStream(SnapshotBuffer buffer) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => buffer.Length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, buffer.Length);
        }

        public override int Read(byte[] destination, int offset, int count) => Read(destination.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            var n = (int)Math.Min(destination.Length, buffer.Length - _position);
            if (n <= 0) return 0;
            buffer.CopyRange(_position, destination[..n]);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => buffer.Length + offset,
        };

        public override void Flush() { }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();
    }
}
