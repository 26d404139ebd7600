using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Errors;

namespace Sluice.Sinks.Lake;

/// <summary>Lands the input topic (bronze) and the clickstream outputs (silver, gold) as Delta tables of ZSTD Parquet under <c>lake.path</c>.</summary>
/// <remarks>
/// <para>Each table is fed by one topic, and each table's log stores the offsets of its own topic's partitions as Delta
/// <c>txn</c> actions (appId "{group}/{topic}/{partition}", version = the next offset), in the same commit as the files
/// holding those records. So every table is exactly once on its own: a batch interrupted between two tables' commits
/// leaves each table with offsets that say what it holds, and the next start reads each partition from there.</para>
/// <para>A write stages every table's Parquet files first, then commits the tables' logs one by one. Records below a
/// table's stored offset are skipped (a batch written again); rows whose stable id the table holds already (the
/// processor wrote them twice) are skipped by the table's bounded id memory.</para>
/// </remarks>
public sealed class LakeSink : ISink
{
    private readonly string _root;
    private readonly IReadOnlyList<ILakeTable> _tables;
    private readonly Dictionary<string, ILakeTable> _byTopic;
    private readonly int _recentIds;
    private readonly ILogger _logger;
    private readonly Action? _beforeCommit;

    /// <param name="path"><c>lake.path</c>: the folder holding the tables.</param>
    /// <param name="topics">The output topics.</param>
    /// <param name="inputTopic">The processor's input topic, landed raw in bronze/events.</param>
    /// <param name="recentIds">Ids remembered per table to skip repeats (<c>lake.recentIds</c>).</param>
    /// <param name="logger">Where table creation and commits are logged.</param>
    /// <param name="beforeCommit">Called after every table's files are written and before the first commit: tests fail a batch there.</param>
    public LakeSink(string path, SinkTopics topics, string inputTopic, int recentIds = 1_000_000, ILogger? logger = null, Action? beforeCommit = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (string.IsNullOrWhiteSpace(path)) ThrowHelper.ThrowConfiguration("lake.path", "must name a folder, for example ./data/lake");
        _root = Path.GetFullPath(path);
        _tables = LakeTables.Create(_root, topics, inputTopic);
        _byTopic = _tables.ToDictionary(t => t.Topic, StringComparer.Ordinal);
        _recentIds = recentIds;
        _logger = logger ?? NullLogger.Instance;
        _beforeCommit = beforeCommit;
    }

    public string Name => "lake";

    /// <summary>The lake's folder, absolute.</summary>
    public string Root => _root;

    /// <summary>The topics the sink reads: the input topic and the outputs.</summary>
    public IReadOnlyList<string> Topics => [.. _tables.Select(t => t.Topic)];

    public IReadOnlyList<ILakeTable> Tables => _tables;

    public void Open(CancellationToken cancellationToken = default)
    {
        try
        {
            Directory.CreateDirectory(_root);
            foreach (var table in _tables)
            {
                cancellationToken.ThrowIfCancellationRequested();
                table.Open(_recentIds);
                _logger.LogDebug("lake: {Table} at version {Version}, {Files} live files", table.Name, table.Snapshot.Version, table.Snapshot.Files.Count);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException("lake.path", $"the lake at {_root} cannot be opened ({ex.Message.TrimEnd('.')}); " +
                "point lake.path at a folder this user can write");
        }
    }

    public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default)
    {
        var offsets = new Dictionary<SinkPartition, long>();
        foreach (var table in _tables)
        {
            // Read fresh: another member of the group may have committed since.
            table.Log.CatchUp(table.Snapshot);
            foreach (var (partition, next) in table.Offsets(groupId))
                offsets[partition] = next;
        }
        return offsets;
    }

    public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        var perTable = new Dictionary<ILakeTable, List<SinkRecord>>();
        foreach (var record in batch.Records)
        {
            if (!_byTopic.TryGetValue(record.Topic, out var table))
                ThrowHelper.ThrowConfiguration("kafka.topics", $"the lake sink was given {record.Position}, which is none of the topics it lands ({string.Join(", ", _byTopic.Keys)})");
            if (!perTable.TryGetValue(table, out var list)) perTable[table] = list = [];
            list.Add(record);
        }

        var staged = new List<LakeStaged>();
        try
        {
            foreach (var (table, records) in perTable)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (table.Stage(batch.GroupId, records) is { } s) staged.Add(s);
            }
            _beforeCommit?.Invoke();
            foreach (var s in staged) s.Commit();
        }
        catch (DeltaConflictException ex)
        {
            foreach (var s in staged) s.Discard();
            // Another member committed the version this write meant to take; the retry reads its commit and skips what it stored.
            throw new SluiceException($"lake at {_root}: {ex.Message}; writing the batch again", isTransient: true, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (var s in staged) s.Discard();
            throw new SluiceException($"lake at {_root}: writing a batch of {batch.Count:N0} records failed ({ex.Message.TrimEnd('.')})", isTransient: true, ex);
        }
        catch
        {
            foreach (var s in staged) s.Discard();
            throw;
        }
    }

    public void Dispose() { }
}
