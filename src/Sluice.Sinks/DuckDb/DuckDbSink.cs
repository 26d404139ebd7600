using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Errors;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.DuckDb;

/// <summary>Lands the clickstream outputs in the DuckDB warehouse file: the PostgreSQL sink's tables and views, offsets in <c>sink_offsets</c>.</summary>
/// <remarks>
/// A batch is one transaction on the sink's one connection: each output's rows appended to its temporary staging
/// table with DuckDB's appender, one INSERT … SELECT … ON CONFLICT per table, the batch's next offsets upserted, the
/// stages emptied, commit. Either all of it commits or none of it. The connection, and with it DuckDB's lock on the file,
/// is held from <see cref="Open"/> to Dispose: while the sink runs no other process can open the file.
/// </remarks>
public sealed class DuckDbSink : ISink
{
    private readonly string _path;
    private readonly string _key;
    private readonly SinkTopics _topics;
    private readonly ILogger _logger;
    private readonly Action? _beforeCommit;
    private DuckDBConnection? _connection;

    /// <param name="path">The warehouse file (<c>warehouse.path</c>); created with its directory when missing.</param>
    /// <param name="topics">The output topics' names, to tell which table a record belongs to.</param>
    /// <param name="logger">Where migrations are logged.</param>
    /// <param name="beforeCommit">Called after a batch is staged and merged, before it commits: tests fail a batch there.</param>
    /// <param name="key">The setting or option that named <paramref name="path"/>, for errors.</param>
    public DuckDbSink(string path, SinkTopics topics, ILogger? logger = null, Action? beforeCommit = null, string key = DuckDbWarehouse.PathKey)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (string.IsNullOrWhiteSpace(path)) ThrowHelper.ThrowConfiguration(key, "must name the DuckDB file of the warehouse, for example ./data/sluice.duckdb");
        _path = path;
        _key = key;
        _topics = topics;
        _logger = logger ?? NullLogger.Instance;
        _beforeCommit = beforeCommit;
    }

    public string Name => "duckdb";

    /// <summary>DuckDB's SQL for a timestamp column as epoch milliseconds, for reading tables back (<see cref="Tables.StoredRows"/>).</summary>
    public static string EpochMs(string column) => DuckDbTables.EpochMs(column);

    /// <summary>The warehouse file, as configured.</summary>
    public string Path => _path;

    public void Open(CancellationToken cancellationToken = default)
    {
        var connection = DuckDbWarehouse.OpenForWriting(_path, _key);
        try
        {
            DuckDbMigrations.Apply(connection, _path, _logger);
            Configure(connection);
            CreateStages(connection);
        }
        catch (DuckDBException ex)
        {
            connection.Dispose();
            throw new SluiceException($"the DuckDB file {_path} ({_key}) could not be prepared for the sink ({DuckDbWarehouse.Short(ex)})", isTransient: false, ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        _connection = connection;
    }

    public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default)
    {
        try
        {
            using var cmd = Connection().CreateCommand();
            cmd.CommandText = "SELECT topic, partition, next_offset FROM sink_offsets WHERE group_id = $1";
            cmd.Parameters.Add(new DuckDBParameter(groupId));
            using var reader = cmd.ExecuteReader();
            var offsets = new Dictionary<SinkPartition, long>();
            while (reader.Read()) offsets[new SinkPartition(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
            return offsets;
        }
        catch (DuckDBException ex)
        {
            throw WriteFailed(ex, "reading the stored offsets");
        }
    }

    public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        var rows = ParsedBatch.Parse(batch, _topics);
        var connection = Connection();
        try
        {
            using var tx = connection.BeginTransaction();
            Stage(connection, DuckDbTables.Events, rows.Events);
            Stage(connection, DuckDbTables.Bots, rows.Bots);
            Stage(connection, DuckDbTables.DeadLetters, rows.DeadLetters);
            Stage(connection, DuckDbTables.Late, rows.Late);
            Stage(connection, DuckDbTables.Aggregates, rows.Aggregates);
            Stage(connection, DuckDbTables.Sessions, rows.Sessions);
            Stage(connection, DuckDbTables.Quality, rows.Quality);
            Stage(connection, DuckDbTables.UserVersions, rows.UserVersions);
            Stage(connection, DuckDbTables.Corrections, rows.Corrections);
            StoreOffsets(connection, batch);
            cancellationToken.ThrowIfCancellationRequested();
            _beforeCommit?.Invoke();
            tx.Commit();
        }
        catch (DuckDBException ex)
        {
            // The transaction rolled back with its dispose. After a fatal error DuckDB refuses every further statement
            // on the database: the next attempt reopens it.
            if (ex.Message.Contains("invalidated", StringComparison.OrdinalIgnoreCase)) Drop();
            throw WriteFailed(ex, $"writing a batch of {batch.Count:N0} records");
        }
    }

    public void Dispose() => Drop();

    private static void Stage<T>(DuckDBConnection connection, DuckDbTable<T> table, List<T> rows) where T : OutputRow, new()
    {
        if (rows.Count == 0) return;
        table.Append(connection, rows);
        Execute(connection, OutputTable<T>.Unique(rows) ? table.MergeUnique : table.Merge);
        Execute(connection, $"DELETE FROM {table.Stage}");
    }

    private static void StoreOffsets(DuckDBConnection connection, SinkBatch batch)
    {
        using var cmd = connection.CreateCommand();
        var values = new List<string>(batch.NextOffsets.Count);
        cmd.Parameters.Add(new DuckDBParameter(batch.GroupId));
        foreach (var (p, next) in batch.NextOffsets)
        {
            var i = cmd.Parameters.Count;
            values.Add($"($1, ${i + 1}, ${i + 2}, ${i + 3})");
            cmd.Parameters.Add(new DuckDBParameter(p.Topic));
            cmd.Parameters.Add(new DuckDBParameter(p.Partition));
            cmd.Parameters.Add(new DuckDBParameter(next));
        }
        cmd.CommandText = $"INSERT INTO sink_offsets AS o (group_id, topic, partition, next_offset) VALUES {string.Join(", ", values)} " +
            "ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now() " +
            "WHERE o.next_offset IS DISTINCT FROM EXCLUDED.next_offset";
        cmd.ExecuteNonQuery();
    }

    private DuckDBConnection Connection()
    {
        if (_connection is { State: System.Data.ConnectionState.Open }) return _connection;
        if (_connection is not null) Drop();
        // Reopened after DuckDB invalidated the database; before Open nothing is there to write into.
        var connection = DuckDbWarehouse.OpenForWriting(_path, _key);
        try
        {
            Configure(connection);
            CreateStages(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return _connection = connection;
    }

    /// <summary>
    /// DuckDB checkpoints (rewrites the file from its write-ahead log) when the log passes 16 MB, and every checkpoint
    /// writes the primary keys' indexes whole: with the default, checkpoints were most of a batch's commit time and grew
    /// with the tables. A larger log means fewer of them; commits stay durable (the log is synced at each), and a
    /// restart replays at most this much.
    /// </summary>
    public const string CheckpointThreshold = "256MB";

    private static void Configure(DuckDBConnection connection) => Execute(connection, $"SET checkpoint_threshold = '{CheckpointThreshold}'");

    private static void CreateStages(DuckDBConnection connection)
    {
        foreach (var sql in DuckDbTables.CreateStages()) Execute(connection, sql);
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private void Drop()
    {
        var connection = _connection;
        _connection = null;
        connection?.Dispose();
    }

    private SluiceException WriteFailed(DuckDBException ex, string what)
    {
        // A full disk or a file the system refuses (IO errors) may clear, and an invalidated database is reopened:
        // waiting and writing the same batch again can succeed. Constraint and conversion errors cannot.
        var text = DuckDbWarehouse.Short(ex);
        var transient = text.StartsWith("IO Error", StringComparison.Ordinal) || text.Contains("invalidated", StringComparison.OrdinalIgnoreCase);
        return new SluiceException($"DuckDB file {_path}: {what} failed ({text})", transient, ex);
    }
}
