using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Errors;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.ClickHouse;

/// <summary>Lands the clickstream outputs in ClickHouse over its HTTP interface: one ReplacingMergeTree per output keyed by stable id, offsets in <c>sink_offsets</c>.</summary>
/// <remarks>
/// <para>ClickHouse has no transactions, so a batch is made to land whole or be replaced whole. Its rows are first
/// loaded (RowBinary) into temporary tables of an HTTP session of the batch's own, which readers never see; only then
/// are they copied into the tables, one <c>INSERT … SELECT</c> each, and after them the batch's next offsets are
/// inserted. A failure while loading leaves nothing behind (the session's tables go with it). A failure while copying
/// leaves some tables holding the batch and the offsets before it: the batch is then read and written again, and every
/// row of it is the same key, which the table replaces.</para>
/// <para>Replacing: each table is a ReplacingMergeTree ordered by its stable id with a <c>_version</c>, and queries with
/// <c>FINAL</c> (or after a merge) see one row per id, the highest version. A batch's version grows with every batch
/// written. Outputs whose later records replace the row (window partials, sessions, quality) take it as it is, so the
/// latest write wins; outputs whose first row stays (events, bots, dead letters, late events) take its complement, so
/// the first write keeps winning, as ON CONFLICT DO NOTHING does in the SQL stores. Within a batch only the last record
/// of an id is written.</para>
/// </remarks>
public sealed class ClickHouseSink : ISink
{
    private const string OffsetsInsert = "INSERT INTO sink_offsets (group_id, topic, partition, next_offset, _version) FORMAT RowBinary";
    private const string OffsetsSelect = "SELECT group_id, topic, partition, next_offset FROM sink_offsets FINAL FORMAT RowBinary";

    private readonly ClickHouseHttp _http;
    private readonly string _database;
    private readonly string _user;
    private readonly SinkTopics _topics;
    private readonly ILogger _logger;
    private readonly Action? _beforeCommit;
    private ulong _lastVersion;

    /// <param name="url">The HTTP interface, http(s)://host:port (<c>sinks.clickhouse.url</c>).</param>
    /// <param name="database">The database of the tables, created when missing (<c>sinks.clickhouse.database</c>).</param>
    /// <param name="user">The user (<c>sinks.clickhouse.user</c>).</param>
    /// <param name="password">Its password (<c>sinks.clickhouse.password</c>); never logged.</param>
    /// <param name="topics">The output topics' names, to tell which table a record belongs to.</param>
    /// <param name="logger">Where migrations are logged.</param>
    /// <param name="beforeCommit">Called after a batch is loaded and before it is copied into the tables: tests fail a batch there.</param>
    public ClickHouseSink(string url, string database, string user, string password, SinkTopics topics, ILogger? logger = null, Action? beforeCommit = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (string.IsNullOrWhiteSpace(url))
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.url", "must be set for the ClickHouse sink; for example http://localhost:8123");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.url", "is not an http(s) URL of ClickHouse's HTTP interface; write for example http://localhost:8123");
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        _http = new ClickHouseHttp(uri, user, password, TimeSpan.FromMinutes(2));
        _database = database;
        _user = user;
        _topics = topics;
        _logger = logger ?? NullLogger.Instance;
        _beforeCommit = beforeCommit;
    }

    public string Name => "clickhouse";

    /// <summary>scheme://host:port/database, what errors and logs say (never credentials).</summary>
    public string Server => $"{_http.Server}/{_database}";

    public void Open(CancellationToken cancellationToken = default)
    {
        try
        {
            ClickHouseMigrations.Apply(_http, _database, _logger, cancellationToken);
        }
        catch (ClickHouseException ex)
        {
            throw OpenFailed(ex);
        }
    }

    public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default)
    {
        byte[] result;
        try
        {
            // Every group's offsets, filtered here: 18.16 takes no query parameters, and values never go into SQL text.
            // The table holds a row per group and partition, so reading all of it costs nothing.
            result = _http.Query(OffsetsSelect, new(_database), cancellationToken);
        }
        catch (ClickHouseException ex)
        {
            throw Failed(ex, "reading the stored offsets");
        }
        var reader = new RowBinaryReader(result);
        var offsets = new Dictionary<SinkPartition, long>();
        while (reader.More)
        {
            var (group, topic, partition, next) = (reader.String(), reader.String(), reader.Int32(), reader.Int64());
            if (group == groupId) offsets[new SinkPartition(topic, partition)] = next;
        }
        return offsets;
    }

    public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        var rows = ParsedBatch.Parse(batch, _topics);
        var version = NextVersion();
        var session = new ClickHouseHttp.Settings(_database, Session: $"sluice-{Guid.NewGuid():N}");
        var staged = new List<string>(9);
        var step = "loading the batch";
        try
        {
            Stage(ClickHouseTables.Events, rows.Events, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Bots, rows.Bots, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.DeadLetters, rows.DeadLetters, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Late, rows.Late, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Aggregates, rows.Aggregates, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Sessions, rows.Sessions, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Quality, rows.Quality, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.UserVersions, rows.UserVersions, version, session, staged, cancellationToken);
            Stage(ClickHouseTables.Corrections, rows.Corrections, version, session, staged, cancellationToken);
            _beforeCommit?.Invoke();
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var table in staged)
            {
                step = $"copying the batch into {table}";
                _http.Execute($"INSERT INTO {table} SELECT * FROM stage_{table}", session, cancellationToken);
            }
            step = "storing the offsets in sink_offsets";
            _http.Insert(OffsetsInsert, Offsets(batch, version), new(_database), cancellationToken);
        }
        catch (ClickHouseException ex)
        {
            throw Failed(ex, $"writing a batch of {batch.Count:N0} records ({step})");
        }
        Unstage(session, staged);
    }

    /// <summary>Every row of an output's table as readers see it (with <c>FINAL</c>): what <c>verify --store clickhouse</c> compares.</summary>
    public IReadOnlyList<OutputRow> ReadStored(OutputKind kind, CancellationToken cancellationToken = default) => kind switch
    {
        OutputKind.Enriched => ReadRows(ClickHouseTables.Events, cancellationToken),
        OutputKind.Bots => ReadRows(ClickHouseTables.Bots, cancellationToken),
        OutputKind.DeadLetters => ReadRows(ClickHouseTables.DeadLetters, cancellationToken),
        OutputKind.Late => ReadRows(ClickHouseTables.Late, cancellationToken),
        OutputKind.Aggregated => ReadRows(ClickHouseTables.Aggregates, cancellationToken),
        OutputKind.Sessions => ReadRows(ClickHouseTables.Sessions, cancellationToken),
        OutputKind.Quality => ReadRows(ClickHouseTables.Quality, cancellationToken),
        OutputKind.UserVersions => ReadRows(ClickHouseTables.UserVersions, cancellationToken),
        OutputKind.Corrections => ReadRows(ClickHouseTables.Corrections, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Every row of <paramref name="table"/> as readers see it (with <c>FINAL</c>): what tests compare.</summary>
    internal List<T> ReadRows<T>(ClickHouseTable<T> table, CancellationToken cancellationToken = default) where T : OutputRow, new()
    {
        try
        {
            return table.Decode(_http.Query(table.SelectFinal, new(_database), cancellationToken));
        }
        catch (ClickHouseException ex)
        {
            throw Failed(ex, $"reading {table.Name}");
        }
    }

    public void Dispose() => _http.Dispose();

    // Loads one output's rows, the last of each id, into a temporary table of the batch's session shaped as the table.
    private void Stage<T>(ClickHouseTable<T> table, List<T> rows, ulong version, ClickHouseHttp.Settings session, List<string> staged,
        CancellationToken cancellationToken) where T : OutputRow, new()
    {
        if (rows.Count == 0) return;
        var latest = OutputTable<T>.Unique(rows) ? rows : rows.GroupBy(r => r.Id, StringComparer.Ordinal).Select(g => g.MaxBy(r => r.Sequence)!).ToList();
        var rowVersion = table.Table.OnConflict == OnConflict.Nothing ? ulong.MaxValue - version : version;
        try
        {
            _http.Execute($"CREATE TEMPORARY TABLE stage_{table.Name} AS {table.Name}", session, cancellationToken);
            staged.Add(table.Name);
            _http.Insert(table.InsertInto($"stage_{table.Name}"), table.Encode(latest, rowVersion), session, cancellationToken);
        }
        catch (ClickHouseException ex)
        {
            throw new ClickHouseException(ex.Code, $"{table.Name}: {ex.Message}", ex.IsTransient, ex.InnerException);
        }
    }

    // The session's temporary tables would go when it expires (two minutes after its last request); dropping them frees
    // the batch's memory now. Only after a write that succeeded: after a failure the server may not answer at all.
    private void Unstage(ClickHouseHttp.Settings session, List<string> staged)
    {
        foreach (var table in staged)
        {
            try
            {
                _http.Execute($"DROP TEMPORARY TABLE IF EXISTS stage_{table}", session, CancellationToken.None);
            }
            catch (ClickHouseException ex)
            {
                _logger.LogDebug("clickhouse: dropping stage_{Table} failed ({Message}); the server drops it with the session", table, ex.Message);
                return;
            }
        }
    }

    private static ReadOnlyMemory<byte> Offsets(SinkBatch batch, ulong version)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new RowBinaryWriter(buffer);
        bool[] notNull = [false, false, false, false];
        foreach (var (p, next) in batch.NextOffsets)
        {
            writer.StartRow(notNull);
            writer.Text(batch.GroupId);
            writer.Text(p.Topic);
            writer.Integer(p.Partition);
            writer.BigInt(next);
            writer.UInt64(version);
        }
        return buffer.WrittenMemory;
    }

    // Microseconds since 1970, strictly increasing within the process: a batch written later has the higher version,
    // also when the clock has not moved on since the last one. Across restarts the clock orders them.
    private ulong NextVersion()
    {
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        _lastVersion = Math.Max(now, _lastVersion + 1);
        return _lastVersion;
    }

    private SluiceException OpenFailed(ClickHouseException ex)
    {
        var message = ex.Code switch
        {
            // UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED; AUTHENTICATION_FAILED on newer servers.
            192 or 193 or 194 or 195 or 516 =>
                $"ClickHouse at {_http.Server} refused user '{_user}' ({ex.Message}); check sinks.clickhouse.user and sinks.clickhouse.password " +
                "(reference the password as ${env:NAME} or ${file:PATH} to keep it out of files and logs)",
            // READONLY, NOT_ENOUGH_PRIVILEGES, ACCESS_DENIED
            164 or 497 or 499 =>
                $"ClickHouse at {_http.Server}: {ex.Message}; the sink creates its database and tables, so user '{_user}' needs CREATE and INSERT " +
                "on sinks.clickhouse.database",
            { } => $"ClickHouse at {Server} failed while the sink started ({ex.Message}); check sinks.clickhouse.url and sinks.clickhouse.database",
            null when ex.Unreachable =>
                $"no ClickHouse server answered at {_http.Server} ({ex.Message}); check sinks.clickhouse.url and that the server is running",
            null => $"{_http.Server} is not ClickHouse's HTTP interface ({ex.Message}); check sinks.clickhouse.url (ClickHouse listens on 8123 by default)",
        };
        return new SluiceException(message, isTransient: false, ex);
    }

    private SluiceException Failed(ClickHouseException ex, string what)
    {
        var hint = ex.Code switch
        {
            // NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_TABLE, THERE_IS_NO_COLUMN, TYPE_MISMATCH, CANNOT_READ_ALL_DATA, UNKNOWN_IDENTIFIER
            16 or 60 or 8 or 53 or 33 or 47 =>
                "; the table is not as this sluice's migrations made it: put it back (docs/clickhouse.md lists the tables), or point sinks.clickhouse.database at a new database",
            _ => "",
        };
        return new SluiceException($"ClickHouse at {Server}: {what} failed ({ex.Message}){hint}", ex.IsTransient, ex);
    }
}
