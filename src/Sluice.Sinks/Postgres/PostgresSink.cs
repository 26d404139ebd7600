using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Sluice.Core.Errors;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.Postgres;

/// <summary>Lands the clickstream outputs in PostgreSQL: one table per output keyed by stable id, offsets in <c>sink_offsets</c>.</summary>
/// <remarks>
/// A batch is one transaction on one long-lived connection: binary COPY of each output's rows into its staging table,
/// then one INSERT … SELECT … ON CONFLICT per table and the upsert of the batch's next offsets, sent together. Events
/// and bot events, which keep the first version of an id, skip the stage when their ids are new: they are COPYed into
/// the table itself, and a batch that meets a stored id is rolled back and merged (<see cref="InsertNew"/>).
/// Either all of it commits or none of it: a crash at any point leaves the stored offsets describing exactly the rows
/// stored. A connection that fails is dropped; the next write opens another (and its staging tables).
/// </remarks>
public sealed class PostgresSink : ISink
{
    private const string UpsertOffsets =
        "INSERT INTO sink_offsets (group_id, topic, partition, next_offset) SELECT $1, t, p, o FROM unnest($2::text[], $3::int[], $4::bigint[]) AS x (t, p, o) " +
        "ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now() " +
        "WHERE sink_offsets.next_offset IS DISTINCT FROM EXCLUDED.next_offset";

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlConnectionStringBuilder _settings;
    private readonly SinkTopics _topics;
    private readonly ILogger _logger;
    private readonly Action? _beforeCommit;
    private NpgsqlConnection? _connection;

    /// <param name="connectionString">An Npgsql connection string (<c>postgres.connectionString</c>); never logged.</param>
    /// <param name="topics">The output topics' names, to tell which table a record belongs to.</param>
    /// <param name="logger">Where migrations and reconnections are logged.</param>
    /// <param name="beforeCommit">Called after a batch is staged and merged, before it commits: tests fail a batch there.</param>
    public PostgresSink(string connectionString, SinkTopics topics, ILogger? logger = null, Action? beforeCommit = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (string.IsNullOrWhiteSpace(connectionString))
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "must be set for the PostgreSQL sink; for example " +
                "SLUICE__POSTGRES__CONNECTIONSTRING='Host=localhost;Username=sluice;Password=...;Database=sluice'");
        try
        {
            _settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // Npgsql names the keyword it refuses, never the value.
            throw new ConfigurationException("postgres.connectionString", $"{ex.Message.TrimEnd('.')}; see the Npgsql connection string reference");
        }
        _dataSource = NpgsqlDataSource.Create(_settings);
        _topics = topics;
        _logger = logger ?? NullLogger.Instance;
        _beforeCommit = beforeCommit;
    }

    public string Name => "postgres";

    /// <summary>PostgreSQL's SQL for a timestamp column as epoch milliseconds, for reading tables back (<see cref="Tables.StoredRows"/>).</summary>
    public static string EpochMs(string column) => PostgresTables.EpochMs(column);

    /// <summary>host:port/database, what errors and logs say instead of the connection string.</summary>
    public string Server => $"{_settings.Host}:{_settings.Port}/{_settings.Database ?? _settings.Username}";

    public void Open(CancellationToken cancellationToken = default)
    {
        try
        {
            var connection = Connection(cancellationToken);
            PostgresMigrations.Apply(connection, _logger, cancellationToken);
            CreateStages(connection);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            Drop();
            throw OpenFailed(ex);
        }
    }

    public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default)
    {
        try
        {
            using var cmd = new NpgsqlCommand("SELECT topic, partition, next_offset FROM sink_offsets WHERE group_id = $1", Connection(cancellationToken));
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = groupId });
            using var reader = cmd.ExecuteReader();
            var offsets = new Dictionary<SinkPartition, long>();
            while (reader.Read()) offsets[new SinkPartition(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
            return offsets;
        }
        catch (NpgsqlException ex)
        {
            throw WriteFailed(ex, "reading the stored offsets");
        }
    }

    public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        var rows = ParsedBatch.Parse(batch, _topics);
        try
        {
            var connection = Connection(cancellationToken);
            using var registration = cancellationToken.Register(Cancel);
            if (!TryWrite(connection, batch, rows, direct: true)) TryWrite(connection, batch, rows, direct: false);
        }
        catch (Exception ex)
        {
            // Whatever failed, the transaction did not commit; a connection in an unknown state is not reused.
            Drop();
            if (ex is NpgsqlException or SocketException or TimeoutException) throw WriteFailed(ex, $"writing a batch of {batch.Count:N0} records");
            throw;
        }
    }

    // One transaction for the whole batch. With direct, events with distinct ids are COPYed straight into their tables
    // (see InsertNew); an id the table already has fails that COPY with a unique violation, and then the batch is rolled
    // back and written again with every table staged and merged (false is returned for that).
    private bool TryWrite(NpgsqlConnection connection, SinkBatch batch, ParsedBatch rows, bool direct)
    {
        using var tx = connection.BeginTransaction();
        try
        {
            using var merge = new NpgsqlBatch(connection, tx);
            if (!direct || !InsertNew(connection, PostgresTables.Events, rows.Events)) Stage(connection, merge, PostgresTables.Events, rows.Events);
            if (!direct || !InsertNew(connection, PostgresTables.Bots, rows.Bots)) Stage(connection, merge, PostgresTables.Bots, rows.Bots);
            Stage(connection, merge, PostgresTables.DeadLetters, rows.DeadLetters);
            Stage(connection, merge, PostgresTables.Late, rows.Late);
            Stage(connection, merge, PostgresTables.Aggregates, rows.Aggregates);
            Stage(connection, merge, PostgresTables.Sessions, rows.Sessions);
            Stage(connection, merge, PostgresTables.Quality, rows.Quality);
            Stage(connection, merge, PostgresTables.UserVersions, rows.UserVersions);
            Stage(connection, merge, PostgresTables.Corrections, rows.Corrections);
            merge.BatchCommands.Add(OffsetsCommand(batch));
            merge.ExecuteNonQuery();
            _beforeCommit?.Invoke();
            tx.Commit();
            return true;
        }
        catch (PostgresException ex) when (direct && ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            tx.Rollback();
            _logger.LogDebug("postgres: a batch holds events already stored ({Message}); writing it again through the merge", ex.MessageText);
            return false;
        }
    }

    /// <summary>
    /// Events keep the first version of an id (ON CONFLICT DO NOTHING), and a batch's ids are new unless Kafka delivers
    /// records again (after a processor crash or a sink restart). So when a batch's ids are distinct they are COPYed into
    /// the table itself, without a stage or an INSERT … SELECT; the primary key refuses an id the table already has
    /// (unique violation), and <see cref="TryWrite"/> then writes the batch again through the merge. False, having written
    /// nothing, when two rows of the batch share an id.
    /// </summary>
    private static bool InsertNew(NpgsqlConnection connection, PgTable<EventRow> table, List<EventRow> rows)
    {
        if (table.Table.OnConflict != OnConflict.Nothing) return false;
        if (rows.Count == 0) return true;
        var distinct = new HashSet<string>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
            if (!distinct.Add(row.EventId)) return false;
        table.CopyInto(connection, table.Name, rows);
        return true;
    }

    public void Dispose()
    {
        Drop();
        _dataSource.Dispose();
    }

    private static void Stage<T>(NpgsqlConnection connection, NpgsqlBatch merge, PgTable<T> table, List<T> rows) where T : OutputRow, new()
    {
        if (rows.Count == 0) return;
        table.Copy(connection, rows);
        merge.BatchCommands.Add(new NpgsqlBatchCommand(OutputTable<T>.Unique(rows) ? table.MergeUnique : table.Merge));
    }

    private static NpgsqlBatchCommand OffsetsCommand(SinkBatch batch)
    {
        var command = new NpgsqlBatchCommand(UpsertOffsets);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = batch.GroupId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = batch.NextOffsets.Keys.Select(p => p.Topic).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = batch.NextOffsets.Keys.Select(p => p.Partition).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = batch.NextOffsets.Values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        return command;
    }

    private NpgsqlConnection Connection(CancellationToken cancellationToken)
    {
        if (_connection is { State: System.Data.ConnectionState.Open }) return _connection;
        Drop();
        var connection = _dataSource.CreateConnection();
        try
        {
            connection.Open();
            cancellationToken.ThrowIfCancellationRequested();
            CreateStagesIfMigrated(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        _connection = connection;
        return connection;
    }

    // After a reconnection the staging tables are gone with the old session; before Open has migrated there is nothing to stage into.
    private static void CreateStagesIfMigrated(NpgsqlConnection connection)
    {
        using var check = new NpgsqlCommand("SELECT to_regclass('public.sink_offsets') IS NOT NULL", connection);
        if ((bool)check.ExecuteScalar()!) CreateStages(connection);
    }

    private static void CreateStages(NpgsqlConnection connection)
    {
        using var batch = new NpgsqlBatch(connection);
        foreach (var sql in PostgresTables.CreateStages()) batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        batch.ExecuteNonQuery();
    }

    private void Cancel()
    {
        try { _connection?.Close(); }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException) { }
    }

    private void Drop()
    {
        var connection = _connection;
        _connection = null;
        if (connection is null) return;
        try { connection.Dispose(); }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or InvalidOperationException)
        {
            _logger.LogDebug("postgres: closing a failed connection: {Message}", ex.Message);
        }
        // Idle connections to a server that went away are as dead as this one.
        _dataSource.Clear();
    }

    private SluiceException OpenFailed(Exception ex)
    {
        var user = _settings.Username ?? Environment.UserName;
        var message = (ex as PostgresException)?.SqlState switch
        {
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                $"PostgreSQL at {Server} refused user '{user}' ({Short(ex)}); check Username and Password in postgres.connectionString " +
                "(set it through SLUICE__POSTGRES__CONNECTIONSTRING to keep the password out of files)",
            PostgresErrorCodes.InvalidCatalogName =>
                $"PostgreSQL at {Server}: {Short(ex)}; create the database or fix Database in postgres.connectionString",
            PostgresErrorCodes.InsufficientPrivilege =>
                $"PostgreSQL at {Server}: {Short(ex)}; the sink creates its tables and views, so user '{user}' needs CREATE on the database",
            { } state => $"PostgreSQL at {Server} failed while the sink started ({state}: {Short(ex)}); check postgres.connectionString",
            null => $"no PostgreSQL server answered at {Server} ({Short(ex)}); check Host and Port in postgres.connectionString and that the server is running",
        };
        return new SluiceException(message, isTransient: false, ex);
    }

    private SluiceException WriteFailed(Exception ex, string what)
    {
        // A server that went away or restarts, a network that drops, a deadlock: trying the same batch again can succeed.
        var state = (ex as PostgresException)?.SqlState;
        var transient = ex is SocketException or TimeoutException
            || (ex is NpgsqlException n && (n.IsTransient || state is null))
            || state is not null && (state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal));
        return new SluiceException($"PostgreSQL at {Server}: {what} failed ({Short(ex)})", transient, ex);
    }

    private static string Short(Exception ex)
    {
        var inner = ex is NpgsqlException { InnerException: { } i } and not PostgresException ? i : ex;
        var text = inner is PostgresException p ? p.MessageText : inner.Message;
        return text.ReplaceLineEndings(" ").TrimEnd('.');
    }
}
