using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;

namespace Sluice.App.Ingest;

/// <summary>Totals of an ingest run.</summary>
public sealed class IngestTotals
{
    public int Files { get; set; }
    public int Failed { get; set; }
    public int Duplicates { get; set; }
    /// <summary>Files whose earlier run had stopped inside them, resumed after the rows it had delivered.</summary>
    public int Resumed { get; set; }
    public long Rows { get; set; }
    public long Events { get; set; }
    public long Changes { get; set; }
    public long DeadLetters { get; set; }
    public long Bytes { get; set; }
    /// <summary>Time spent checking, reading and sending files (not waiting for them).</summary>
    public TimeSpan Busy { get; set; }
    /// <summary>Failed files with their reason.</summary>
    public List<(string Name, string Reason)> Failures { get; } = [];
}

/// <summary>The file source: reads every complete CSV and JSON-lines file of a staging directory once, then moves it to
/// <c>processed/</c> or <c>failed/</c>, keeping the directory's <see cref="IngestManifest"/>.</summary>
/// <remarks>
/// <para>Order per file: check it whole (size, SHA-256, UTF-8) → look it up by content in the manifest → record it as
/// in progress → read it, recording the rows delivered every <see cref="IngestOptions.CheckpointRows"/> → record the
/// outcome → move it. A crash anywhere leaves a state a restart finishes: a file recorded processed, failed or duplicate
/// is only moved; a file in progress resumes after the rows its last record says were delivered (those after it were
/// perhaps sent too, and are sent again: at least once for that part, at most CheckpointRows rows).</para>
/// <para>A file is complete when it is not <c>*.tmp</c> and its size and write time have not changed for
/// <see cref="IngestOptions.SettleTime"/>. Files are read in name order, one at a time.</para>
/// </remarks>
public sealed class IngestRunner
{
    public const string ProcessedFolder = "processed";
    public const string FailedFolder = "failed";

    private readonly string _directory;
    private readonly IngestOptions _options;
    private readonly IIngestOutput _output;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly Dictionary<string, (long Size, DateTime Written)> _seen = new(StringComparer.Ordinal);
    private IngestManifest? _manifest;

    public IngestRunner(string directory, IngestOptions options, IIngestOutput output, ILogger logger, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        _directory = directory;
        _options = options;
        _output = output;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
    }

    public IngestTotals Totals { get; } = new();

    /// <summary>Called about once a second while a file is read.</summary>
    public Action<string, FileTally>? Progress { get; init; }

    /// <summary>Reads files until cancelled; with <paramref name="once"/>, until none is left (young files are waited for).</summary>
    public async Task RunAsync(bool once, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_directory);
        _manifest = IngestManifest.Load(_directory);
        using var wake = new SemaphoreSlim(0);
        using var watcher = once ? null : Watch(wake);
        while (!cancellationToken.IsCancellationRequested)
        {
            var (ready, waiting) = Scan();
            foreach (var file in ready)
            {
                if (cancellationToken.IsCancellationRequested) return;
                Ingest(file, cancellationToken);
            }
            if (once && ready.Count == 0 && waiting == 0) return;
            if (ready.Count > 0) continue;
            try
            {
                await wake.WaitAsync(once ? TimeSpan.FromMilliseconds(100) : _options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Complete files in name order, and how many more are there but still changing or too young.
    private (List<string> Ready, int Waiting) Scan()
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var ready = new List<string>();
        var waiting = 0;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(_directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith('.') || RowDecoder.KindOf(name) is null) continue;
            present.Add(name);
            FileInfo info;
            try
            {
                info = new FileInfo(path);
                if (!info.Exists) continue;
            }
            catch (IOException)
            {
                continue;
            }
            var observed = (info.Length, info.LastWriteTimeUtc);
            var changed = _seen.TryGetValue(name, out var before) && before != observed;
            _seen[name] = observed;
            if (!changed && now - info.LastWriteTimeUtc >= _options.SettleTime) ready.Add(path);
            else waiting++;
        }
        foreach (var gone in _seen.Keys.Where(k => !present.Contains(k)).ToList()) _seen.Remove(gone);
        return (ready, waiting);
    }

    private void Ingest(string path, CancellationToken cancellationToken)
    {
        var manifest = _manifest!;
        var name = Path.GetFileName(path);
        var watch = Stopwatch.StartNew();
        StagedFileCheck check;
        try
        {
            check = StagedFileCheck.Of(path);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(path, new IngestManifest.Entry { Name = name, Size = 0, Sha256 = "", StartedAt = _clock.GetUtcNow() }, $"cannot be read: {ex.Message}");
            return;
        }

        var entry = manifest.Find(check.Size, check.Sha256);
        if (entry is not null && entry.Outcome != IngestOutcome.InProgress)
        {
            if (entry.Name == name)
            {
                // Recorded before a crash kept it from moving.
                Move(path, entry.Outcome == IngestOutcome.Failed ? FailedFolder : ProcessedFolder);
                return;
            }
            var duplicate = new IngestManifest.Entry
            {
                Name = name, Size = check.Size, Sha256 = check.Sha256, Outcome = IngestOutcome.Duplicate,
                Reason = $"the same bytes as {entry.Name}, {entry.Outcome} at {entry.FinishedAt ?? entry.StartedAt:u}",
                StartedAt = _clock.GetUtcNow(), FinishedAt = _clock.GetUtcNow(),
            };
            manifest.Add(duplicate);
            manifest.Save();
            Totals.Duplicates++;
            _logger.LogWarning("{File}: not read, {Reason}", name, duplicate.Reason);
            Move(path, ProcessedFolder);
            return;
        }

        var resumeAfter = entry?.Rows ?? 0;
        if (entry is null)
        {
            entry = new IngestManifest.Entry { Name = name, Size = check.Size, Sha256 = check.Sha256, StartedAt = _clock.GetUtcNow() };
            manifest.Add(entry);
        }
        if (check.NotText is { } notText)
        {
            Fail(path, entry, $"not UTF-8 text: {notText}");
            return;
        }
        manifest.Save();
        if (resumeAfter > 0)
        {
            Totals.Resumed++;
            _logger.LogInformation("{File}: resuming after the {Rows} rows an earlier run delivered", name, resumeAfter);
        }

        var baseEvents = entry.Events;
        var baseDeadLetters = entry.DeadLetters;
        var reader = new StagedFileReader(_output, _options.Columns, _clock)
        {
            CheckpointRows = _options.CheckpointRows,
            Checkpoint = t =>
            {
                entry.Rows = t.Rows;
                entry.Events = baseEvents + t.Events + t.Changes;
                entry.DeadLetters = baseDeadLetters + t.DeadLetters;
                manifest.Save();
            },
            Progress = Progress,
        };
        var tally = reader.Read(path, resumeAfter, cancellationToken);
        Totals.Busy += watch.Elapsed;
        Totals.Rows += tally.RowsNow;
        Totals.Events += tally.Events;
        Totals.Changes += tally.Changes;
        Totals.DeadLetters += tally.DeadLetters;
        Totals.Bytes += tally.BytesRead;
        if (tally.Failure is { } failure)
        {
            Fail(path, entry, failure);
            return;
        }
        if (tally.Stopped)
        {
            _logger.LogInformation("{File}: stopped after {Rows} rows; the next run resumes there", name, tally.Rows);
            return;
        }
        entry.Rows = tally.Rows;
        entry.Events = baseEvents + tally.Events + tally.Changes;
        entry.DeadLetters = baseDeadLetters + tally.DeadLetters;
        entry.Outcome = IngestOutcome.Processed;
        entry.FinishedAt = _clock.GetUtcNow();
        manifest.Save();
        Totals.Files++;
        _logger.LogInformation("{File}: {Rows} rows, {Events} sent, {DeadLetters} dead letters in {Seconds:F2} s", name, tally.RowsNow,
            tally.Events + tally.Changes, tally.DeadLetters, tally.Elapsed.TotalSeconds);
        Move(path, ProcessedFolder);
    }

    private void Fail(string path, IngestManifest.Entry entry, string reason)
    {
        var name = Path.GetFileName(path);
        entry.Outcome = IngestOutcome.Failed;
        entry.Reason = reason;
        entry.FinishedAt = _clock.GetUtcNow();
        if (entry.Sha256.Length > 0)
        {
            if (!_manifest!.Entries.Contains(entry)) _manifest.Add(entry);
            _manifest.Save();
        }
        Totals.Failed++;
        Totals.Failures.Add((name, reason));
        _logger.LogError("{File}: failed, {Reason}", name, reason);
        var moved = Move(path, FailedFolder);
        if (moved is not null) File.WriteAllText(moved + ".reason", reason + "\n");
    }

    // Moves the file into the folder, under a free name; the new path, or null when it could not be moved.
    private string? Move(string path, string folder)
    {
        var target = Path.Combine(_directory, folder);
        try
        {
            Directory.CreateDirectory(target);
            var name = Path.GetFileName(path);
            var destination = Path.Combine(target, name);
            for (var n = 1; File.Exists(destination) || File.Exists(destination + ".reason"); n++)
                destination = Path.Combine(target, $"{Path.GetFileNameWithoutExtension(name)}.{n}{Path.GetExtension(name)}");
            File.Move(path, destination);
            _seen.Remove(Path.GetFileName(path));
            return destination;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("{File}: cannot move it to {Folder}/ ({Message}); the manifest knows it, so it is not read again", Path.GetFileName(path), folder, ex.Message);
            return null;
        }
    }

    private FileSystemWatcher? Watch(SemaphoreSlim wake)
    {
        try
        {
            var watcher = new FileSystemWatcher(_directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite };
            void Signal(object? _, FileSystemEventArgs e)
            {
                if (wake.CurrentCount == 0) wake.Release();
            }
            watcher.Created += Signal;
            watcher.Renamed += (s, e) => Signal(s, e);
            watcher.Changed += Signal;
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
        {
            // Polling alone still finds every file, a poll interval later.
            _logger.LogDebug("no file-system events for {Directory} ({Message}); polling every {Interval}", _directory, ex.Message, _options.PollInterval);
            return null;
        }
    }
}
