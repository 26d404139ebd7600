using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Serialization;
using Sluice.Core.Errors;

namespace Sluice.Sinks.Lake;

/// <summary>One Delta table of the lake, as the sink and the maintenance commands see it.</summary>
public interface ILakeTable
{
    /// <summary>"silver/events": its folder under <c>lake.path</c>.</summary>
    string Name { get; }

    /// <summary>The topic whose records the table holds.</summary>
    string Topic { get; }

    DeltaLog Log { get; }

    /// <summary>The state the table was last read or written at.</summary>
    DeltaSnapshot Snapshot { get; }

    /// <summary>Creates version 0 (protocol, metaData) if the table has none; refuses a table whose schema differs.</summary>
    void Open(int recentIdCapacity);

    /// <summary>The next offset of every partition of <see cref="Topic"/> that a group stored in this table's log (its txn actions).</summary>
    Dictionary<SinkPartition, long> Offsets(string groupId);

    /// <summary>Writes the Parquet files of the records not yet stored for <paramref name="groupId"/>; nothing is live until <see cref="LakeStaged.Commit"/>.</summary>
    LakeStaged? Stage(string groupId, IReadOnlyList<SinkRecord> records);

    /// <summary>Rewrites each partition's files into one where it has more than one; returns (files before, files after) over the partitions compacted.</summary>
    (int Before, int After) Compact();

    /// <summary>Deletes files under the table that no live version refers to (removed by compaction, or left by a crash before
    /// a commit) and are older than <paramref name="retention"/>; returns their count and bytes.</summary>
    (int Files, long Bytes) Vacuum(TimeSpan retention);
}

/// <summary>Files written for one table and the commit that makes them live.</summary>
public sealed class LakeStaged(ILakeTable table, IReadOnlyList<string> files, Action commit, int rows, int skipped)
{
    public ILakeTable Table { get; } = table;

    /// <summary>Absolute paths of the data files written.</summary>
    public IReadOnlyList<string> Files { get; } = files;

    /// <summary>Rows in the files.</summary>
    public int Rows { get; } = rows;

    /// <summary>Records whose id the table holds already, or which repeated an id of the same batch.</summary>
    public int Skipped { get; } = skipped;

    public bool Committed { get; private set; }

    /// <summary>Writes the log entry; <see cref="DeltaConflictException"/> when another writer took the version.</summary>
    public void Commit()
    {
        commit();
        Committed = true;
    }

    /// <summary>Deletes the files of a commit that did not happen (best effort: vacuum deletes what is left).</summary>
    public void Discard()
    {
        if (Committed) return;
        foreach (var f in Files)
        {
            try { File.Delete(f); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A lake table of rows <typeparamref name="TRow"/>, partitioned by <c>event_date</c>, fed by one topic.</summary>
public sealed class LakeTable<TRow> : ILakeTable where TRow : class, new()
{
    public const string PartitionColumn = "event_date";
    // Parquet.Net's default ZSTD level (SmallestSize) compresses 10,000 events in seconds; Fastest in a tenth of a second, files 5 % larger.
    private static readonly ParquetOptions Parquet = new() { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest };
    private static readonly ParquetOptions Appending = new()
    {
        CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest, Append = true,
    };
    private static readonly DeltaSchema<TRow> Schema = new(PartitionColumn);

    private readonly Func<SinkRecord, TRow> _map;
    private readonly Func<TRow, string>? _idOf;
    private readonly Func<string, IEnumerable<string>>? _idsInFile;
    private readonly Func<TRow, DateTime> _timeOf;
    private RecentIds _recent = new(0);

    /// <param name="lakeRoot"><c>lake.path</c>.</param>
    /// <param name="name">The table's folder under it, "silver/events".</param>
    /// <param name="topic">The topic feeding the table.</param>
    /// <param name="map">Reads a record into a row (errors name the record's position).</param>
    /// <param name="idOf">The row's stable id; null for a table whose rows are identified by their position alone (bronze).</param>
    /// <param name="idsInFile">Reads the ids of a data file from its id columns alone, to rebuild the id memory at start.</param>
    /// <param name="timeOf">The time whose UTC date is the row's <c>event_date</c>.</param>
    public LakeTable(string lakeRoot, string name, string topic, Func<SinkRecord, TRow> map, Func<TRow, string>? idOf,
        Func<string, IEnumerable<string>>? idsInFile, Func<TRow, DateTime> timeOf)
    {
        if ((idOf is null) != (idsInFile is null)) throw new ArgumentException("a table with ids reads them from its files too", nameof(idsInFile));
        _idsInFile = idsInFile;
        Name = name;
        Topic = topic;
        Log = new DeltaLog(Path.Combine(lakeRoot, name.Replace('/', Path.DirectorySeparatorChar)));
        _map = map;
        _idOf = idOf;
        _timeOf = timeOf;
    }

    public string Name { get; }
    public string Topic { get; }
    public DeltaLog Log { get; }
    public DeltaSnapshot Snapshot { get; private set; } = new();

    /// <summary>Rows whose ids the table remembers, to skip repeats.</summary>
    public int RememberedIds => _recent.Count;

    public void Open(int recentIdCapacity)
    {
        Snapshot = Log.Read();
        if (Snapshot.Version < 0) Create();
        var metadata = Snapshot.Metadata ?? throw new InvalidDataException($"{Log.LogDirectory}: the log has no metaData action");
        if (Schema.Extends(metadata.SchemaString) && metadata.PartitionColumns.SequenceEqual([PartitionColumn])) metadata = AddColumns(metadata);
        if (!Schema.SameAs(metadata.SchemaString) || !metadata.PartitionColumns.SequenceEqual([PartitionColumn]))
            ThrowHelper.ThrowConfiguration("lake.path", $"the Delta table at {Log.TableRoot} has another schema than this sluice writes to {Name}; " +
                "point lake.path at another folder or move the table away");
        _recent = new RecentIds(_idOf is null ? 0 : recentIdCapacity);
        if (_idOf is not null && recentIdCapacity > 0) Remember(recentIdCapacity);
    }

    private void Create()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var actions = new List<DeltaAction>
        {
            new() { CommitInfo = CommitInfo("CREATE TABLE", now, new JsonObject { ["description"] = $"sluice lake table {Name}, fed by {Topic}" }) },
            new() { Protocol = new ProtocolAction() },
            new()
            {
                MetaData = new MetadataAction
                {
                    Id = Guid.NewGuid().ToString(), Name = Name.Replace('/', '_'), SchemaString = Schema.SchemaString,
                    PartitionColumns = [PartitionColumn], CreatedTime = now,
                },
            },
        };
        try
        {
            Log.Commit(0, actions);
        }
        catch (DeltaConflictException)
        {
            // Another sink created it at the same moment: its version 0 is as good as ours.
        }
        Log.CatchUp(Snapshot);
    }

    // A table made by a Sluice whose rows had fewer columns (silver/events before the joined profile): a commit of the
    // new schema, as Delta's ADD COLUMNS does. Files written before it lack the new columns, which readers take as null.
    private MetadataAction AddColumns(MetadataAction metadata)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var updated = new MetadataAction
        {
            Id = metadata.Id, Name = metadata.Name, Format = metadata.Format, SchemaString = Schema.SchemaString,
            PartitionColumns = metadata.PartitionColumns, Configuration = metadata.Configuration, CreatedTime = metadata.CreatedTime,
        };
        try
        {
            var version = Snapshot.Version + 1;
            Log.Commit(version, [new() { CommitInfo = CommitInfo("ADD COLUMNS", now, new JsonObject { ["columns"] = "[]" }) }, new() { MetaData = updated }]);
        }
        catch (DeltaConflictException)
        {
            // Another writer committed first (perhaps the same change): what it committed decides.
        }
        Log.CatchUp(Snapshot);
        return Snapshot.Metadata ?? updated;
    }

    // The ids of the newest live files, newest first, until the capacity is reached: after a restart the repeats a
    // processor replay writes are still recognised.
    private void Remember(int capacity)
    {
        var chosen = new List<AddAction>();
        long rows = 0;
        foreach (var add in Snapshot.Files.Values.OrderByDescending(a => a.ModificationTime).ThenByDescending(a => a.Path, StringComparer.Ordinal))
        {
            if (rows >= capacity) break;
            chosen.Add(add);
            rows += NumRecords(add);
        }
        // Oldest first, so that the oldest are the first forgotten.
        chosen.Reverse();
        foreach (var add in chosen)
            foreach (var id in _idsInFile!(Path.Combine(Log.TableRoot, Uri.UnescapeDataString(add.Path)))) _recent.Add(RecentIds.Digest(id));
    }

    private static long NumRecords(AddAction add) =>
        add.Stats is { } s && JsonNode.Parse(s)?["numRecords"]?.GetValue<long>() is { } n ? n : 0;

    /// <summary>The rows of one live file.</summary>
    public IList<TRow> ReadFile(AddAction add) =>
        ParquetSerializer.DeserializeAsync<TRow>(Path.Combine(Log.TableRoot, Uri.UnescapeDataString(add.Path)), Parquet).GetAwaiter().GetResult().Data;

    /// <summary>Every live row: what a reader of the table's current version sees.</summary>
    public List<TRow> ReadAll() => [.. Snapshot.Files.Values.SelectMany(ReadFile)];

    /// <summary>The next offset of every partition of <see cref="Topic"/> that <paramref name="groupId"/> stored here.</summary>
    public Dictionary<SinkPartition, long> Offsets(string groupId)
    {
        var prefix = groupId + "/";
        var result = new Dictionary<SinkPartition, long>();
        foreach (var (appId, version) in Snapshot.Transactions)
        {
            if (!appId.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = appId.AsSpan(prefix.Length);
            var slash = rest.LastIndexOf('/');
            if (slash <= 0) continue;
            var topic = rest[..slash].ToString();
            // A group whose name continues with "/…" has appIds with this prefix too; the topic part tells them apart.
            if (topic.Contains('/', StringComparison.Ordinal)) continue;
            result[new SinkPartition(topic, int.Parse(rest[(slash + 1)..], CultureInfo.InvariantCulture))] = version;
        }
        return result;
    }

    /// <summary>The txn appId of a group's partition: "{group}/{topic}/{partition}" (topic names cannot hold '/').</summary>
    public static string AppId(string groupId, SinkPartition partition) => $"{groupId}/{partition.Topic}/{partition.Partition}";

    public LakeStaged? Stage(string groupId, IReadOnlyList<SinkRecord> records)
    {
        // Commits by another writer since this one last looked: their offsets and files count.
        Log.CatchUp(Snapshot);
        var stored = Offsets(groupId);
        var next = new Dictionary<SinkPartition, long>();
        var rows = new List<TRow>(records.Count);
        var digests = new List<UInt128>(_idOf is null ? 0 : records.Count);
        var inBatch = new HashSet<UInt128>();
        var skipped = 0;
        foreach (var record in records)
        {
            var partition = new SinkPartition(record.Topic, record.Partition);
            // Stored already (a batch written again after a crash between this log's commit and Kafka's): skipped by offset.
            if (stored.TryGetValue(partition, out var storedNext) && record.Offset < storedNext) continue;
            if (record.Offset + 1 > next.GetValueOrDefault(partition)) next[partition] = record.Offset + 1;
            var row = _map(record);
            if (_idOf is not null)
            {
                var digest = RecentIds.Digest(_idOf(row));
                if (_recent.Contains(digest) || !inBatch.Add(digest))
                {
                    skipped++;
                    continue;
                }
                digests.Add(digest);
            }
            rows.Add(row);
        }
        if (next.Count == 0) return null;

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var actions = new List<DeltaAction>();
        var files = new List<string>();
        try
        {
            foreach (var group in rows.GroupBy(r => LakeTime.Date(_timeOf(r))).OrderBy(g => g.Key))
            {
                var add = WriteFile(group.Key, group.ToList(), now, dataChange: true, out var file);
                files.Add(file);
                actions.Add(new DeltaAction { Add = add });
            }
        }
        catch
        {
            foreach (var f in files) File.Delete(f);
            throw;
        }
        foreach (var (partition, offset) in next.OrderBy(p => p.Key.Partition))
            actions.Add(new DeltaAction { Txn = new TxnAction { AppId = AppId(groupId, partition), Version = offset, LastUpdated = now } });
        var info = new JsonObject
        {
            ["mode"] = "Append", ["partitionBy"] = $"[\"{PartitionColumn}\"]",
        };
        var sluice = new JsonObject
        {
            ["group"] = groupId, ["rows"] = rows.Count, ["skippedRepeats"] = skipped,
            ["offsets"] = new JsonObject(next.OrderBy(p => p.Key.Partition).Select(p => KeyValuePair.Create(p.Key.ToString(), (JsonNode?)p.Value))),
        };
        actions.Insert(0, new DeltaAction { CommitInfo = CommitInfo("WRITE", now, info, sluice) });

        return new LakeStaged(this, files, () =>
        {
            var version = Snapshot.Version + 1;
            Log.Commit(version, actions);
            Applied(version, actions);
            foreach (var d in digests) _recent.Add(d);
        }, rows.Count, skipped);
    }

    private void Applied(long version, List<DeltaAction> actions)
    {
        foreach (var a in actions) Snapshot.Apply(a);
        Snapshot.Version = version;
        if (version % DeltaLog.CheckpointInterval != 0) return;
        try
        {
            Log.WriteCheckpoint(Snapshot);
        }
        catch (IOException)
        {
            // The commit stands; readers replay from the previous checkpoint, and the next tenth version writes a checkpoint again.
        }
    }

    private AddAction WriteFile(DateOnly date, List<TRow> rows, long now, bool dataChange, out string file) =>
        WriteFile(date, [rows], Schema.Stats(rows), now, dataChange, out file);

    private AddAction WriteFile(DateOnly date, IEnumerable<IList<TRow>> rowGroups, string stats, long now, bool dataChange, out string file)
    {
        var partitionValue = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var relative = $"{PartitionColumn}={partitionValue}/part-00000-{Guid.NewGuid()}.c000.zstd.parquet";
        file = Path.Combine(Log.TableRoot, relative.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            var first = true;
            foreach (var rows in rowGroups)
            {
                ParquetSerializer.SerializeAsync(rows, stream, first ? Parquet : Appending).GetAwaiter().GetResult();
                first = false;
            }
            stream.Flush(flushToDisk: true);
        }
        return new AddAction
        {
            Path = relative, PartitionValues = new() { [PartitionColumn] = partitionValue }, Size = new FileInfo(file).Length,
            ModificationTime = now, DataChange = dataChange, Stats = stats,
        };
    }

    public (int Before, int After) Compact()
    {
        int before = 0, after = 0;
        for (var attempt = 0; ; attempt++)
        {
            Log.CatchUp(Snapshot);
            var partitions = Snapshot.Files.Values.GroupBy(a => a.PartitionValues.GetValueOrDefault(PartitionColumn) ?? "")
                .Where(g => g.Count() > 1).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            if (partitions.Count == 0) return (before, after);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var actions = new List<DeltaAction>();
            var written = new List<string>();
            var removed = 0;
            foreach (var partition in partitions)
            {
                var olds = partition.OrderBy(a => a.ModificationTime).ThenBy(a => a.Path, StringComparer.Ordinal).ToList();
                // One old file in memory at a time, appended to the new file as a row group of its own.
                var add = WriteFile(DateOnly.ParseExact(partition.Key, "yyyy-MM-dd", CultureInfo.InvariantCulture), olds.Select(ReadFile),
                    DeltaSchema<TRow>.MergeStats([.. olds.Select(o => o.Stats!)]), now, dataChange: false, out var file);
                written.Add(file);
                foreach (var old in olds)
                    actions.Add(new DeltaAction
                    {
                        Remove = new RemoveAction
                        {
                            Path = old.Path, DeletionTimestamp = now, DataChange = false, ExtendedFileMetadata = true,
                            PartitionValues = old.PartitionValues, Size = old.Size,
                        },
                    });
                actions.Add(new DeltaAction { Add = add });
                removed += olds.Count;
            }
            actions.Insert(0, new DeltaAction
            {
                CommitInfo = CommitInfo("OPTIMIZE", now, new JsonObject { ["predicate"] = "[]", ["zOrderBy"] = "[]" }),
            });
            try
            {
                var version = Snapshot.Version + 1;
                Log.Commit(version, actions);
                Applied(version, actions);
                return (before + removed, after + partitions.Count);
            }
            catch (DeltaConflictException) when (attempt < 5)
            {
                // A sink appended meanwhile: its new files are left alone; the ones read here are compacted again next try.
                foreach (var f in written) File.Delete(f);
            }
        }
    }

    public (int Files, long Bytes) Vacuum(TimeSpan retention)
    {
        Log.CatchUp(Snapshot);
        if (!Directory.Exists(Log.TableRoot)) return (0, 0);
        var cutoff = DateTime.UtcNow - retention;
        var live = Snapshot.Files.Keys.Select(p => Path.GetFullPath(Path.Combine(Log.TableRoot, Uri.UnescapeDataString(p)))).ToHashSet(StringComparer.Ordinal);
        int files = 0;
        long bytes = 0;
        foreach (var dir in Directory.EnumerateDirectories(Log.TableRoot, PartitionColumn + "=*"))
            foreach (var file in Directory.EnumerateFiles(dir, "*.parquet"))
            {
                var info = new FileInfo(file);
                // Newer files may be a writer's staged files about to be committed: they are left to a later vacuum.
                if (live.Contains(info.FullName) || info.LastWriteTimeUtc > cutoff) continue;
                bytes += info.Length;
                info.Delete();
                files++;
            }
        return (files, bytes);
    }

    private static JsonObject CommitInfo(string operation, long now, JsonObject parameters, JsonObject? sluice = null)
    {
        var info = new JsonObject
        {
            ["timestamp"] = now, ["operation"] = operation, ["operationParameters"] = parameters,
            ["isBlindAppend"] = false, ["engineInfo"] = $"Sluice/{typeof(LakeTable<>).Assembly.GetName().Version}",
        };
        if (sluice is not null) info["sluice"] = sluice;
        return info;
    }
}
