using System.Text.Json;
using Npgsql;
using Sluice.Core.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>Checkpoints in a PostgreSQL table, for processors on several machines: one row per task and sequence, the last two kept.</summary>
/// <remarks>
/// <see cref="Open"/> creates <c>sluice_checkpoints</c> if it is missing (idempotent, under an advisory lock so that
/// processors starting together do not race). A save inserts the row and deletes the task's older ones in one
/// transaction. Each row carries the format version and a CRC-32C over the same bytes the directory store writes, so a
/// row damaged or edited by hand, or written by a newer Sluice, is refused with a message naming it.
/// <para>The state goes to the <c>bytea</c> column as a stream from its chunks and comes back as one (sequential
/// access) into chunks: no array of its size on either side.</para>
/// <para>Fencing: <c>sluice_checkpoint_owners</c> holds each task's latest claimed epoch. A claim increments it; a save
/// locks that row (<c>FOR UPDATE</c>) in its transaction and is refused when the row's epoch is above its own, so a
/// claim waits for a save in flight and a save after a claim sees it.</para>
/// </remarks>
public sealed class PostgresCheckpointStore : ICheckpointStore
{
    /// <summary>The table's name.</summary>
    public const string Table = "sluice_checkpoints";

    /// <summary>The table of owner epochs, one row per task.</summary>
    public const string OwnersTable = "sluice_checkpoint_owners";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly string _description;

    public PostgresCheckpointStore(string connectionString, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException("postgres.connectionString", $"cannot be read ({ex.Message}); write for example Host=localhost;Username=sluice;Database=sluice");
        }
        _description = $"postgres table {Table} in database {builder.Database} on {builder.Host}:{builder.Port}";
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _clock = clock ?? TimeProvider.System;
    }

    public string Description => _description;

    public void Open()
    {
        try
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            Execute(connection, $"SELECT pg_advisory_xact_lock(hashtext('{Table}'))");
            Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS {Table} (
                    group_id       text        NOT NULL,
                    topology       text        NOT NULL,
                    task           integer     NOT NULL,
                    sequence       bigint      NOT NULL,
                    format_version integer     NOT NULL,
                    offsets        jsonb       NOT NULL,
                    state          bytea       NOT NULL,
                    crc            bigint      NOT NULL,
                    created_at     timestamptz NOT NULL,
                    PRIMARY KEY (group_id, topology, task, sequence))
                """);
            Execute(connection, $"""
                CREATE TABLE IF NOT EXISTS {OwnersTable} (
                    group_id   text        NOT NULL,
                    topology   text        NOT NULL,
                    task       integer     NOT NULL,
                    epoch      bigint      NOT NULL,
                    claimed_at timestamptz NOT NULL,
                    PRIMARY KEY (group_id, topology, task))
                """);
            tx.Commit();
        }
        catch (NpgsqlException ex)
        {
            ThrowHelper.Throw($"cannot use the checkpoint store, {_description} ({ex.Message}); check postgres.connectionString", isTransient: ex.IsTransient, ex);
        }
    }

    public long Claim(CheckpointKey key)
    {
        using var connection = _dataSource.OpenConnection();
        using var claim = new NpgsqlCommand(
            $"INSERT INTO {OwnersTable} AS o (group_id, topology, task, epoch, claimed_at) VALUES ($1, $2, $3, 1, now()) " +
            "ON CONFLICT (group_id, topology, task) DO UPDATE SET epoch = o.epoch + 1, claimed_at = now() RETURNING epoch", connection);
        AddKey(claim, key);
        return (long)claim.ExecuteScalar()!;
    }

    public Checkpoint Save(CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, SnapshotBuffer state, long epoch = 0)
    {
        ArgumentNullException.ThrowIfNull(state);
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(_clock.GetUtcNow().ToUnixTimeMilliseconds());
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        using (var owner = new NpgsqlCommand($"SELECT epoch FROM {OwnersTable} WHERE group_id = $1 AND topology = $2 AND task = $3 FOR UPDATE", connection, tx))
        {
            AddKey(owner, key);
            if (owner.ExecuteScalar() is long current && epoch < current)
                throw new CheckpointFencedException(key, epoch, current, $"{OwnersTable} (group {key.Group}, topology {key.Topology}, {key.Task})");
        }
        long sequence;
        using (var next = new NpgsqlCommand($"SELECT coalesce(max(sequence), 0) + 1 FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3", connection, tx))
        {
            AddKey(next, key);
            sequence = (long)next.ExecuteScalar()!;
        }
        var crc = CheckpointFormat.Checksum(key, sequence, createdAt, offsets, state);
        using (var stateStream = state.AsStream())
        using (var insert = new NpgsqlCommand(
                   $"INSERT INTO {Table} (group_id, topology, task, sequence, format_version, offsets, state, crc, created_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)",
                   connection, tx))
        {
            AddKey(insert, key);
            insert.Parameters.Add(new NpgsqlParameter { Value = sequence });
            insert.Parameters.Add(new NpgsqlParameter { Value = (int)CheckpointFormat.Version });
            insert.Parameters.Add(new NpgsqlParameter { Value = OffsetsJson(offsets) });
            insert.Parameters.Add(new NpgsqlParameter { Value = stateStream, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, Size = checked((int)state.Length) });
            insert.Parameters.Add(new NpgsqlParameter { Value = (long)crc });
            insert.Parameters.Add(new NpgsqlParameter { Value = createdAt.UtcDateTime });
            insert.ExecuteNonQuery();
        }
        // The last two rows stay, whatever their sequences: after a discarded checkpoint they are not consecutive.
        using (var prune = new NpgsqlCommand(
                   $"DELETE FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3 AND sequence NOT IN " +
                   $"(SELECT sequence FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3 ORDER BY sequence DESC LIMIT 2)", connection, tx))
        {
            AddKey(prune, key);
            prune.ExecuteNonQuery();
        }
        tx.Commit();
        return new Checkpoint(key, sequence, offsets, state, createdAt, Location(key, sequence));
    }

    public Checkpoint? TryLoadLatest(CheckpointKey key)
    {
        using var connection = _dataSource.OpenConnection();
        using var select = new NpgsqlCommand(
            $"SELECT sequence, format_version, offsets::text, (SELECT count(*) FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3), " +
            $"crc, created_at, state FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3 ORDER BY sequence DESC LIMIT 1", connection);
        AddKey(select, key);
        // Sequential access: the state column is streamed, not buffered as one array; columns are read in order.
        using var reader = select.ExecuteReader(System.Data.CommandBehavior.SequentialAccess);
        if (!reader.Read()) return null;
        var sequence = reader.GetInt64(0);
        var version = reader.GetInt32(1);
        var offsetsJson = reader.GetString(2);
        var location = Location(key, sequence);
        var remedy = Remedy(key, sequence, hasPrevious: reader.GetInt64(3) > 1);
        var crc = reader.GetInt64(4);
        var createdAt = new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero);
        if (version is < 0 or > ushort.MaxValue) throw new CheckpointException($"checkpoint {location} has format version {version}; {remedy}");
        CheckpointFormat.CheckVersion(version, location, remedy);
        IReadOnlyList<PartitionOffset> offsets;
        try
        {
            offsets = ParseOffsets(offsetsJson);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new CheckpointException($"checkpoint {location} is corrupt (offsets are not readable: {ex.Message}); {remedy}", ex);
        }
        SnapshotBuffer state;
        using (var column = reader.GetStream(6)) state = SnapshotBuffer.ReadFrom(column);
        // The row is checked as the directory store checks a file: the checksum over the same bytes, the same message.
        if (CheckpointFormat.Checksum(key, sequence, createdAt, offsets, state, (ushort)version) != unchecked((uint)crc))
        {
            state.Dispose();
            throw CheckpointFormat.Corrupt(location, remedy);
        }
        return new Checkpoint(key, sequence, offsets, state, createdAt, location);
    }

    public IReadOnlyList<long> Sequences(CheckpointKey key)
    {
        using var connection = _dataSource.OpenConnection();
        using var select = new NpgsqlCommand($"SELECT sequence FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3 ORDER BY sequence", connection);
        AddKey(select, key);
        using var reader = select.ExecuteReader();
        var sequences = new List<long>();
        while (reader.Read()) sequences.Add(reader.GetInt64(0));
        return sequences;
    }

    public void Discard(CheckpointKey key, long sequence)
    {
        using var connection = _dataSource.OpenConnection();
        using var delete = new NpgsqlCommand($"DELETE FROM {Table} WHERE group_id = $1 AND topology = $2 AND task = $3 AND sequence = $4", connection);
        AddKey(delete, key);
        delete.Parameters.Add(new NpgsqlParameter { Value = sequence });
        delete.ExecuteNonQuery();
    }

    public void Dispose() => _dataSource.Dispose();

    private static string Location(CheckpointKey key, long sequence) =>
        $"in {Table} (group {key.Group}, topology {key.Topology}, {key.Task}, sequence {sequence})";

    private static string Remedy(CheckpointKey key, long sequence, bool hasPrevious)
    {
        var where = $"group_id = '{key.Group}' AND topology = '{key.Topology}' AND task = {key.Task.Partition}";
        var all = $"delete the task's rows (DELETE FROM {Table} WHERE {where}) to start from the committed offsets with empty state";
        return hasPrevious ? $"delete that row (DELETE FROM {Table} WHERE {where} AND sequence = {sequence}) to restore the previous checkpoint, or {all}" : all;
    }

    private static void AddKey(NpgsqlCommand command, CheckpointKey key)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = key.Group });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Topology });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Task.Partition });
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static string OffsetsJson(IReadOnlyList<PartitionOffset> offsets)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var o in offsets)
            {
                json.WriteStartObject();
                json.WriteString("topic", o.Partition.Topic);
                json.WriteNumber("partition", o.Partition.Partition);
                json.WriteNumber("offset", o.Offset);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static List<PartitionOffset> ParseOffsets(string json)
    {
        using var document = JsonDocument.Parse(json);
        var offsets = new List<PartitionOffset>();
        foreach (var o in document.RootElement.EnumerateArray())
            offsets.Add(new PartitionOffset(new TopicPartition(o.GetProperty("topic").GetString()!, o.GetProperty("partition").GetInt32()), o.GetProperty("offset").GetInt64()));
        return offsets;
    }
}
