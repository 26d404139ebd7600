using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Unicode;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Streaming.Errors;

namespace Sluice.App.Ingest;

/// <summary>A file's size and SHA-256, and whether it is UTF-8 text at all.</summary>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">Lower-case hex.</param>
/// <param name="NotText">Null when the file reads as UTF-8 text; else why it does not.</param>
/// <remarks>
/// A file is not UTF-8 text when it starts with a UTF-16 byte order mark, when its CSV header is not UTF-8, or when
/// fewer than half of the lines in its first 64 KiB are: it is UTF-16, another code page, or binary, and none of its rows
/// could be read. A single line that is not UTF-8 is a bad row, and a dead letter like any other: the producer's own
/// files carry such rows on purpose, possibly as their first.
/// </remarks>
public sealed record StagedFileCheck(long Size, string Sha256, string? NotText)
{
    private const int ChunkSize = 1 << 20;
    private const int SampleSize = 64 * 1024;

    /// <summary>Reads the whole file once.</summary>
    public static StagedFileCheck Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        var csv = RowDecoder.KindOf(Path.GetFileName(path)) == StagedFileKind.Csv;
        try
        {
            long size = 0;
            string? notText = null;
            int n;
            while ((n = stream.Read(buffer, 0, ChunkSize)) > 0)
            {
                if (size == 0) notText = WhyNotText(buffer.AsSpan(0, Math.Min(n, SampleSize)), final: n <= SampleSize, csv);
                hash.AppendData(buffer, 0, n);
                size += n;
            }
            return new StagedFileCheck(size, Convert.ToHexStringLower(hash.GetHashAndReset()), notText);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? WhyNotText(ReadOnlySpan<byte> sample, bool final, bool csv)
    {
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || sample.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            return "a UTF-16 byte order mark at the start; save the file as UTF-8";
        // Whole lines only: the sample may end inside a character.
        if (!final && sample.LastIndexOf((byte)'\n') is var last and >= 0) sample = sample[..(last + 1)];
        int lines = 0, invalid = 0;
        foreach (var range in sample.Split((byte)'\n'))
        {
            var line = sample[range];
            if (line.IsEmpty) continue;
            lines++;
            if (FirstInvalidByte(line) is var at and >= 0)
            {
                if (csv && lines == 1) return $"byte {at} of the CSV header is not UTF-8";
                invalid++;
            }
        }
        return invalid * 2 > lines ? $"{invalid} of the first {lines} lines are not UTF-8" : null;
    }

    /// <summary>The offset of the first byte of <paramref name="row"/> that is not UTF-8, or -1 when it all is.</summary>
    public static int FirstInvalidByte(ReadOnlySpan<byte> row)
    {
        if (Utf8.IsValid(row)) return -1;
        Span<char> chars = row.Length <= 4096 ? stackalloc char[row.Length] : new char[row.Length];
        Utf8.ToUtf16(row, chars, out var read, out _, replaceInvalidSequences: false);
        return read;
    }
}

/// <summary>Counts of one file read (or of the part read now, when it resumed).</summary>
public sealed class FileTally
{
    /// <summary>Rows handled in all, those skipped on resume included.</summary>
    public long Rows { get; set; }
    public long Events { get; set; }
    public long Changes { get; set; }
    public long DeadLetters { get; set; }
    /// <summary>Rows read in this run (not those skipped on resume).</summary>
    public long RowsNow { get; set; }
    public long BytesRead { get; set; }
    public long Size { get; set; }
    /// <summary>Why the file could not be read at all; null when it was.</summary>
    public string? Failure { get; set; }
    /// <summary>True when the run was stopped before the end of the file.</summary>
    public bool Stopped { get; set; }
    public TimeSpan Elapsed { get; set; }
}

/// <summary>Reads one staged file to an <see cref="IIngestOutput"/>: every row becomes an event, a change, or a dead letter naming the file and line.</summary>
/// <remarks>
/// Blank lines are skipped and not counted; a row that is not UTF-8 is a dead letter. Every <see cref="CheckpointRows"/> rows the output is flushed and
/// <see cref="Checkpoint"/> is told how many rows are delivered, so a restart can skip them (<c>resumeAfterRows</c>).
/// A file that is not UTF-8 text at all is refused before anything is sent; so is a CSV file without a usable header.
/// </remarks>
public sealed class StagedFileReader(IIngestOutput output, IReadOnlyDictionary<string, string>? columns = null, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Rows between two flushes and checkpoints.</summary>
    public int CheckpointRows { get; init; } = 50_000;

    /// <summary>Called after a flush with the rows delivered so far in the file.</summary>
    public Action<FileTally>? Checkpoint { get; init; }

    /// <summary>Called about once a second while a file is read.</summary>
    public Action<string, FileTally>? Progress { get; init; }

    /// <summary>Reads <paramref name="path"/>; the caller has checked it is UTF-8 text at all (<see cref="StagedFileCheck"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="resumeAfterRows">Rows delivered by an earlier run, skipped without sending.</param>
    /// <param name="cancellationToken">Stops between rows; what was read is flushed and checkpointed first.</param>
    public FileTally Read(string path, long resumeAfterRows = 0, CancellationToken cancellationToken = default)
    {
        var name = Path.GetFileName(path);
        var kind = RowDecoder.KindOf(name) ?? throw new ArgumentException($"{name} is neither .jsonl nor .csv", nameof(path));
        var decoder = new RowDecoder(kind, columns);
        var tally = new FileTally { Rows = resumeAfterRows };
        var watch = Stopwatch.StartNew();
        var nextProgress = TimeSpan.FromSeconds(1);
        var sinceCheckpoint = 0;
        var topic = StagedFileTopic.Of(name);
        using var reader = new RowReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), kind == StagedFileKind.Csv);
        tally.Size = new FileInfo(path).Length;
        if (kind == StagedFileKind.Csv)
        {
            if (!reader.TryRead(out var header, out _))
            {
                tally.Failure = "the file is empty: a CSV file needs a header line";
                return tally;
            }
            if (decoder.ReadHeader(header.Span) is { } unusable)
            {
                tally.Failure = unusable;
                return tally;
            }
        }
        long skipped = 0;
        while (reader.TryRead(out var row, out var unclosedQuote))
        {
            if (IsBlank(row.Span)) continue;
            if (skipped < resumeAfterRows)
            {
                skipped++;
                continue;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                tally.Stopped = true;
                break;
            }
            Send(decoder, row, unclosedQuote, topic, reader.Line, tally);
            tally.Rows++;
            tally.RowsNow++;
            if (++sinceCheckpoint == CheckpointRows)
            {
                sinceCheckpoint = 0;
                output.Flush(CancellationToken.None);
                tally.BytesRead = reader.Position;
                Checkpoint?.Invoke(tally);
            }
            if (Progress is not null && (tally.RowsNow & 1023) == 0 && watch.Elapsed >= nextProgress)
            {
                nextProgress = watch.Elapsed + TimeSpan.FromSeconds(1);
                tally.BytesRead = reader.Position;
                tally.Elapsed = watch.Elapsed;
                Progress(name, tally);
            }
        }
        output.Flush(CancellationToken.None);
        tally.BytesRead = reader.Position;
        tally.Elapsed = watch.Elapsed;
        if (tally.Stopped) Checkpoint?.Invoke(tally);
        return tally;
    }

    private void Send(RowDecoder decoder, ReadOnlyMemory<byte> row, bool unclosedQuote, string topic, long line, FileTally tally)
    {
        DecodeError error;
        if (StagedFileCheck.FirstInvalidByte(row.Span) is var at and >= 0)
        {
            error = new DecodeError(decoder.Kind == StagedFileKind.Csv ? IngestReasonCodes.InvalidCsv : ReasonCodes.InvalidJson, $"byte {at} of the row is not UTF-8");
        }
        else if (unclosedQuote)
        {
            error = new DecodeError(IngestReasonCodes.InvalidCsv, "a quote opened on this line does not close before the end of the file");
        }
        else if (decoder.Kind == StagedFileKind.Changes)
        {
            if (RowDecoder.TryReadChange(row.Span, out var key, out var ts, out error))
            {
                output.Change(key!, ts, row);
                tally.Changes++;
                return;
            }
        }
        else if (decoder.TryDecode(row, out var evt, out var json, out error))
        {
            output.Event(evt!, json);
            tally.Events++;
            return;
        }
        var detail = $"{StagedFileTopic.FileName(topic)} line {line}: {error.Detail}";
        output.DeadLetter(new DeadLetterRecord(row.ToArray(), null, error.ReasonCode, detail, topic, 0, line, _clock.GetUtcNow().ToUnixTimeMilliseconds()));
        tally.DeadLetters++;
    }

    private static bool IsBlank(ReadOnlySpan<byte> row) => row.IndexOfAnyExcept((byte)' ', (byte)'\t', (byte)'\r') < 0;
}
