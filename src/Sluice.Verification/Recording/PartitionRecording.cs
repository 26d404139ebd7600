using System.Buffers.Binary;
using System.IO.Hashing;
using Sluice.Core.Errors;

namespace Sluice.Verification.Recording;

/// <summary>
/// One topic partition's records as <c>sluice record</c> keeps them: a file of frames in offset order, appended to
/// and flushed as records arrive. The file is its own position: the next offset to read is the last whole frame's
/// offset plus one, so a recorder restarted after any crash neither skips nor repeats a record.
/// </summary>
/// <remarks>
/// Format (little-endian): the 8-byte header <c>SLUICER1</c>, then frames of <c>u32 length</c>, <c>u32 CRC-32</c> of
/// the body, and a body of <c>i64 offset</c>, <c>i32 key length</c> (-1: no key), key bytes, value bytes. A kill -9
/// can leave a frame written in part at the end: readers stop before it and <see cref="OpenForAppend"/> cuts it off.
/// A bad frame anywhere else is corruption and an error naming the file.
/// </remarks>
public sealed class PartitionRecording : IDisposable
{
    private const int HeaderLength = 8;
    private const int FramePrefix = 8;
    private static ReadOnlySpan<byte> Header => "SLUICER1"u8;

    private readonly FileStream _file;
    private readonly byte[] _prefix = new byte[FramePrefix];
    private byte[] _body = new byte[1024];

    private PartitionRecording(string path, FileStream file, long? lastOffset, long count)
    {
        Path = path;
        _file = file;
        LastOffset = lastOffset;
        Count = count;
    }

    public string Path { get; }

    /// <summary>The offset of the last record kept, or null when none is.</summary>
    public long? LastOffset { get; private set; }

    /// <summary>Records kept.</summary>
    public long Count { get; private set; }

    /// <summary>Whether records were appended since the last <see cref="Flush"/>.</summary>
    public bool IsDirty { get; private set; }

    /// <summary>The file name of <paramref name="partition"/> inside its topic's directory.</summary>
    public static string FileName(int partition) => $"{partition}.rec";

    /// <summary>Opens (or creates) the file for appending, cutting off a frame a crash left written in part.</summary>
    public static PartitionRecording OpenForAppend(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 64 * 1024);
        try
        {
            if (file.Length == 0)
            {
                file.Write(Header);
                file.Flush(flushToDisk: true);
                return new PartitionRecording(path, file, null, 0);
            }
            var scan = Scan(file, path, keep: null);
            if (scan.WholeLength < file.Length) file.SetLength(scan.WholeLength);
            file.Seek(0, SeekOrigin.End);
            return new PartitionRecording(path, file, scan.LastOffset, scan.Count);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Every whole record of the file at <paramref name="path"/> in offset order (a frame a crash left in part is not one).</summary>
    public static List<TopicRecord> ReadAll(string path, string topic, int partition)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        var records = new List<TopicRecord>();
        Scan(file, path, (offset, key, value) => records.Add(new TopicRecord(topic, partition, offset, key, value)));
        return records;
    }

    /// <summary>Appends a record; its offset must be above every one kept.</summary>
    public void Append(long offset, ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value)
    {
        if (offset <= LastOffset)
            throw new InvalidOperationException($"{Path}: offset {offset} arrived after {LastOffset}; a recording holds each offset once, in order");
        var bodyLength = 8 + 4 + (hasKey ? key.Length : 0) + value.Length;
        if (_body.Length < bodyLength) _body = new byte[Math.Max(bodyLength, _body.Length * 2)];
        var body = _body.AsSpan(0, bodyLength);
        BinaryPrimitives.WriteInt64LittleEndian(body, offset);
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], hasKey ? key.Length : -1);
        var at = 12;
        if (hasKey)
        {
            key.CopyTo(body[at..]);
            at += key.Length;
        }
        value.CopyTo(body[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(_prefix, (uint)bodyLength);
        BinaryPrimitives.WriteUInt32LittleEndian(_prefix.AsSpan(4), Crc32.HashToUInt32(body));
        _file.Write(_prefix);
        _file.Write(body);
        LastOffset = offset;
        Count++;
        IsDirty = true;
    }

    /// <summary>Hands what was appended to the operating system (it survives a kill -9 of the recorder); with <paramref name="toDisk"/>, also fsync.</summary>
    public void Flush(bool toDisk = false)
    {
        _file.Flush(toDisk);
        IsDirty = false;
    }

    public void Dispose()
    {
        Flush(toDisk: true);
        _file.Dispose();
    }

    private readonly record struct ScanResult(long WholeLength, long? LastOffset, long Count);

    // Walks the frames from the header; stops at the first frame the file does not hold whole (a torn tail). A frame
    // held whole whose checksum or offset is wrong is not a torn tail but damage, and is never cut off silently.
    private static ScanResult Scan(FileStream file, string path, Action<long, byte[]?, byte[]>? keep)
    {
        file.Seek(0, SeekOrigin.Begin);
        Span<byte> header = stackalloc byte[HeaderLength];
        if (file.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false) < HeaderLength || !header.SequenceEqual(Header))
            ThrowHelper.Throw($"{path} is not a Sluice recording (its first bytes are not {System.Text.Encoding.ASCII.GetString(Header)}); record into an empty directory or one `sluice record` wrote");
        long position = HeaderLength, count = 0;
        long? last = null;
        var prefix = new byte[FramePrefix];
        var body = new byte[1024];
        while (true)
        {
            if (file.ReadAtLeast(prefix, FramePrefix, throwOnEndOfStream: false) < FramePrefix) break;
            var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(4));
            if (length < 12 || length > int.MaxValue) Corrupt(path, position, $"a frame length of {length}");
            if (position + FramePrefix + length > file.Length) break;
            if (body.Length < length) body = new byte[Math.Max(length, body.Length * 2)];
            var span = body.AsSpan(0, (int)length);
            file.ReadExactly(span);
            if (Crc32.HashToUInt32(span) != crc)
            {
                // The last frame of the file may be whole in length but not in content when the crash came mid-write.
                if (position + FramePrefix + length == file.Length) break;
                Corrupt(path, position, "a checksum that does not match");
            }
            var offset = BinaryPrimitives.ReadInt64LittleEndian(span);
            if (offset <= last) Corrupt(path, position, $"offset {offset} after {last}");
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            if (keyLength < -1 || 12 + Math.Max(0, keyLength) > length) Corrupt(path, position, $"a key length of {keyLength}");
            if (keep is not null)
            {
                var key = keyLength < 0 ? null : span.Slice(12, keyLength).ToArray();
                keep(offset, key, span[(12 + Math.Max(0, keyLength))..].ToArray());
            }
            last = offset;
            count++;
            position += FramePrefix + length;
        }
        return new ScanResult(position, last, count);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Corrupt(string path, long position, string what) =>
        ThrowHelper.Throw($"{path} is damaged at byte {position:N0} ({what}); it cannot be resumed or verified: record the run again into an empty directory");
}
