using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Sluice.Sinks.Lake;

/// <summary>The <c>_delta_log</c> of one table: reads its state (last checkpoint, then the JSON commits after it) and commits new versions.</summary>
/// <remarks>
/// A commit is written whole to a temporary file in the log folder and then linked to its final name without replacing:
/// .NET's <see cref="File.Move(string, string, bool)"/> with overwrite false is link(2) then unlink(2) on Linux, so of two writers racing for
/// version N exactly one succeeds and a reader never sees a half-written commit. The loser gets <see cref="DeltaConflictException"/>.
/// </remarks>
public sealed class DeltaLog
{
    /// <summary>A checkpoint is written after every this many versions (10, as Delta's writers do).</summary>
    public const int CheckpointInterval = 10;

    public DeltaLog(string tableRoot)
    {
        TableRoot = tableRoot;
        LogDirectory = Path.Combine(tableRoot, "_delta_log");
    }

    public string TableRoot { get; }
    public string LogDirectory { get; }

    public static string CommitName(long version) => version.ToString("D20", CultureInfo.InvariantCulture) + ".json";
    public static string CheckpointName(long version) => version.ToString("D20", CultureInfo.InvariantCulture) + ".checkpoint.parquet";
    public string CommitPath(long version) => Path.Combine(LogDirectory, CommitName(version));
    private string LastCheckpointPath => Path.Combine(LogDirectory, "_last_checkpoint");

    /// <summary>The table's latest state: from the last checkpoint if there is one, then every JSON commit after it.</summary>
    public DeltaSnapshot Read()
    {
        var snapshot = new DeltaSnapshot();
        if (!Directory.Exists(LogDirectory)) return snapshot;
        if (ReadLastCheckpoint() is { } last)
        {
            foreach (var action in ReadCheckpoint(last.Version)) snapshot.Apply(action);
            snapshot.Version = last.Version;
        }
        CatchUp(snapshot);
        return snapshot;
    }

    /// <summary>The table's state from its JSON commits alone, ignoring checkpoints: what a checkpoint must equal.</summary>
    public DeltaSnapshot ReplayJson(long upTo = long.MaxValue)
    {
        var snapshot = new DeltaSnapshot();
        for (var v = 0L; v <= upTo && File.Exists(CommitPath(v)); v++)
        {
            foreach (var action in ReadCommit(v)) snapshot.Apply(action);
            snapshot.Version = v;
        }
        return snapshot;
    }

    /// <summary>Applies the commits written after <paramref name="snapshot"/>'s version, by this or another writer.</summary>
    public void CatchUp(DeltaSnapshot snapshot)
    {
        for (var v = snapshot.Version + 1; File.Exists(CommitPath(v)); v++)
        {
            foreach (var action in ReadCommit(v)) snapshot.Apply(action);
            snapshot.Version = v;
        }
    }

    /// <summary>The actions of one commit file, in order.</summary>
    public IEnumerable<DeltaAction> ReadCommit(long version)
    {
        foreach (var line in File.ReadLines(CommitPath(version)))
        {
            if (line.Length == 0) continue;
            yield return JsonSerializer.Deserialize<DeltaAction>(line, DeltaJson.Options)
                ?? throw new InvalidDataException($"{CommitPath(version)}: a line holds no action");
        }
    }

    public LastCheckpoint? ReadLastCheckpoint()
    {
        if (!File.Exists(LastCheckpointPath)) return null;
        return JsonSerializer.Deserialize<LastCheckpoint>(File.ReadAllText(LastCheckpointPath), DeltaJson.Options);
    }

    /// <summary>The rows of the checkpoint at <paramref name="version"/>.</summary>
    public IList<DeltaAction> ReadCheckpoint(long version) =>
        ParquetSerializer.DeserializeAsync<DeltaAction>(Path.Combine(LogDirectory, CheckpointName(version))).GetAwaiter().GetResult().Data;

    /// <summary>Writes version <paramref name="version"/> with <paramref name="actions"/>, or throws <see cref="DeltaConflictException"/> if another writer wrote it first.</summary>
    public void Commit(long version, IEnumerable<DeltaAction> actions)
    {
        Directory.CreateDirectory(LogDirectory);
        var text = new StringBuilder();
        foreach (var action in actions) text.Append(JsonSerializer.Serialize(action, DeltaJson.Options)).Append('\n');
        var temp = Path.Combine(LogDirectory, $".{CommitName(version)}.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temp, CommitPath(version), overwrite: false);
        }
        catch (IOException) when (File.Exists(CommitPath(version)))
        {
            File.Delete(temp);
            throw new DeltaConflictException(TableRoot, version);
        }
    }

    /// <summary>Writes the checkpoint of <paramref name="snapshot"/> (Parquet, one action per row) and points <c>_last_checkpoint</c> at it.</summary>
    public void WriteCheckpoint(DeltaSnapshot snapshot)
    {
        var rows = snapshot.CheckpointActions(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ToList();
        var final = Path.Combine(LogDirectory, CheckpointName(snapshot.Version));
        var temp = final + $".{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            ParquetSerializer.SerializeAsync(rows, stream, new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest }).GetAwaiter().GetResult();
            stream.Flush(flushToDisk: true);
        }
        // Two writers checkpointing the same version write the same state: whichever lands last is as good.
        File.Move(temp, final, overwrite: true);
        var last = new LastCheckpoint
        {
            Version = snapshot.Version, Size = rows.Count, SizeInBytes = new FileInfo(final).Length, NumOfAddFiles = snapshot.Files.Count,
        };
        var lastTemp = LastCheckpointPath + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(lastTemp, JsonSerializer.Serialize(last, DeltaJson.Options));
        // Never move _last_checkpoint backwards: a slower writer may finish an older checkpoint after a newer one.
        if (ReadLastCheckpoint() is { } existing && existing.Version > last.Version) File.Delete(lastTemp);
        else File.Move(lastTemp, LastCheckpointPath, overwrite: true);
    }
}

/// <summary>Another writer committed the version this one meant to write.</summary>
public sealed class DeltaConflictException(string table, long version)
    : IOException($"{table}: version {version} was committed by another writer first")
{
    public string Table { get; } = table;
    public long Version { get; } = version;
}
