using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.App.Ingest;

/// <summary>What became of a staged file.</summary>
public static class IngestOutcome
{
    /// <summary>Being read: its rows up to <see cref="IngestManifest.Entry.Rows"/> are delivered.</summary>
    public const string InProgress = "in_progress";
    /// <summary>Every row produced or dead-lettered; the file is in processed/.</summary>
    public const string Processed = "processed";
    /// <summary>The file could not be read at all (not UTF-8, no usable header); it is in failed/ beside its .reason.</summary>
    public const string Failed = "failed";
    /// <summary>The same bytes as a file read before (same size and SHA-256); nothing produced, the file is in processed/.</summary>
    public const string Duplicate = "duplicate";
}

/// <summary>The staging directory's record of every file it was given: name, size, SHA-256, rows, outcome and times.</summary>
/// <remarks>
/// Kept in <c>.sluice-ingest.json</c> in the directory and replaced whole on every change: written to a temporary file,
/// flushed to disk, then renamed over the old one, so a crash leaves the old manifest or the new one, never a torn one.
/// Files are known by their content: a file whose size and checksum are recorded is never read again, whatever its name.
/// </remarks>
public sealed class IngestManifest
{
    public const string FileName = ".sluice-ingest.json";
    private const int Version = 1;

    private readonly List<Entry> _entries;

    private IngestManifest(string path, List<Entry> entries)
    {
        Path = path;
        _entries = entries;
    }

    /// <summary>The manifest file.</summary>
    public string Path { get; }

    /// <summary>Every file recorded, in the order first seen.</summary>
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>One staged file.</summary>
    public sealed class Entry
    {
        public required string Name { get; init; }
        public required long Size { get; init; }
        /// <summary>Lower-case hex SHA-256 of the whole file.</summary>
        public required string Sha256 { get; init; }
        /// <summary>Rows read and delivered (events and dead letters); for <see cref="IngestOutcome.InProgress"/>, where a restart resumes.</summary>
        public long Rows { get; set; }
        public long Events { get; set; }
        public long DeadLetters { get; set; }
        public string Outcome { get; set; } = IngestOutcome.InProgress;
        /// <summary>Why a file failed, or which file a duplicate repeats.</summary>
        public string? Reason { get; set; }
        public DateTimeOffset StartedAt { get; set; }
        public DateTimeOffset? FinishedAt { get; set; }
    }

    /// <summary>The manifest of <paramref name="directory"/>, empty when there is none yet.</summary>
    /// <exception cref="SluiceException">It exists and cannot be read: reading on would read files twice.</exception>
    public static IngestManifest Load(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path)) return new IngestManifest(path, []);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.GetProperty("version").GetInt32() != Version) ThrowHelper.Throw($"unknown version {root.GetProperty("version")}");
            var entries = new List<Entry>();
            foreach (var e in root.GetProperty("files").EnumerateArray())
            {
                entries.Add(new Entry
                {
                    Name = e.GetProperty("name").GetString()!,
                    Size = e.GetProperty("size").GetInt64(),
                    Sha256 = e.GetProperty("sha256").GetString()!,
                    Rows = e.GetProperty("rows").GetInt64(),
                    Events = e.GetProperty("events").GetInt64(),
                    DeadLetters = e.GetProperty("dead_letters").GetInt64(),
                    Outcome = e.GetProperty("outcome").GetString()!,
                    Reason = e.TryGetProperty("reason", out var reason) ? reason.GetString() : null,
                    StartedAt = e.GetProperty("started_at").GetDateTimeOffset(),
                    FinishedAt = e.TryGetProperty("finished_at", out var finished) && finished.ValueKind == JsonValueKind.String ? finished.GetDateTimeOffset() : null,
                });
            }
            return new IngestManifest(path, entries);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or SluiceException or IOException or UnauthorizedAccessException)
        {
            throw new SluiceException($"the ingest manifest {path} cannot be read ({ex.Message}); without it files already produced would be produced again: restore it, or move it away to read every file in the directory anew", ex);
        }
    }

    /// <summary>The entry of a file with this size and checksum, or null.</summary>
    public Entry? Find(long size, string sha256) => _entries.FirstOrDefault(e => e.Size == size && e.Sha256 == sha256);

    /// <summary>Records a new file (not saved until <see cref="Save"/>).</summary>
    public void Add(Entry entry) => _entries.Add(entry);

    /// <summary>Replaces the manifest on disk atomically with the entries as they are now.</summary>
    public void Save()
    {
        var temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("version", Version);
                w.WriteStartArray("files");
                foreach (var e in _entries)
                {
                    w.WriteStartObject();
                    w.WriteString("name", e.Name);
                    w.WriteNumber("size", e.Size);
                    w.WriteString("sha256", e.Sha256);
                    w.WriteNumber("rows", e.Rows);
                    w.WriteNumber("events", e.Events);
                    w.WriteNumber("dead_letters", e.DeadLetters);
                    w.WriteString("outcome", e.Outcome);
                    if (e.Reason is not null) w.WriteString("reason", e.Reason);
                    w.WriteString("started_at", e.StartedAt);
                    if (e.FinishedAt is { } finished) w.WriteString("finished_at", finished);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
    }
}
