using Npgsql;
using NpgsqlTypes;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.Postgres;

/// <summary>An output table in PostgreSQL and its staging table: rows are COPYed into the stage, then merged into the target by key in one statement.</summary>
/// <remarks>
/// The stage is a temporary table created once per connection whose rows go at every commit (ON COMMIT DELETE ROWS),
/// so a batch costs no catalog changes. The merge is <see cref="OutputTable{T}.MergeFrom"/>.
/// </remarks>
internal sealed class PgTable<T> where T : OutputRow, new()
{
    private readonly string _copy;

    public PgTable(OutputTable<T> table)
    {
        Table = table;
        var stage = $"stage_{table.Name}";
        CreateStage = $"CREATE TEMP TABLE IF NOT EXISTS {stage} ({ColumnDefinitions}, _seq integer NOT NULL) ON COMMIT DELETE ROWS";
        _copy = $"COPY {stage} ({table.ColumnList}, _seq) FROM STDIN (FORMAT BINARY)";
        Merge = table.MergeFrom(stage);
        MergeUnique = table.MergeFrom(stage, unique: true);
    }

    public OutputTable<T> Table { get; }
    public string Name => Table.Name;
    public string CreateStage { get; }

    /// <summary>The INSERT … SELECT … ON CONFLICT from the stage into the table.</summary>
    public string Merge { get; }

    /// <summary>The merge for a batch whose keys are distinct, without the sort that keeps the latest of each.</summary>
    public string MergeUnique { get; }

    /// <summary>Binary COPY of <paramref name="rows"/> into the stage.</summary>
    public void Copy(NpgsqlConnection connection, IReadOnlyList<T> rows) => Copy(connection, rows, _copy, sequence: true);

    /// <summary>Binary COPY of <paramref name="rows"/> into <paramref name="table"/>, which has this table's columns (the benchmark's baseline).</summary>
    public void CopyInto(NpgsqlConnection connection, string table, IReadOnlyList<T> rows) =>
        Copy(connection, rows, $"COPY {table} ({Table.ColumnList}) FROM STDIN (FORMAT BINARY)", sequence: false);

    /// <summary>The columns as CREATE TABLE lists them, without keys or constraints.</summary>
    public string ColumnDefinitions => string.Join(", ", Table.Columns.Select(c => $"{c.Name} {PostgresTables.SqlType(c.Type)}"));

    private void Copy(NpgsqlConnection connection, IReadOnlyList<T> rows, string copy, bool sequence)
    {
        using var importer = connection.BeginBinaryImport(copy);
        var writer = new CopyWriter(importer);
        foreach (var row in rows)
        {
            importer.StartRow();
            Table.Write(row, writer);
            if (sequence) importer.Write(row.Sequence, NpgsqlDbType.Integer);
        }
        importer.Complete();
    }

    /// <summary>Each value into binary COPY with its PostgreSQL type.</summary>
    private sealed class CopyWriter(NpgsqlBinaryImporter w) : IColumnWriter
    {
        public void Text(string? value) { if (value is null) w.WriteNull(); else w.Write(value, NpgsqlDbType.Text); }
        public void Integer(int? value) { if (value is { } v) w.Write(v, NpgsqlDbType.Integer); else w.WriteNull(); }
        public void BigInt(long? value) { if (value is { } v) w.Write(v, NpgsqlDbType.Bigint); else w.WriteNull(); }
        public void Double(double? value) { if (value is { } v) w.Write(v, NpgsqlDbType.Double); else w.WriteNull(); }
        public void Boolean(bool? value) { if (value is { } v) w.Write(v, NpgsqlDbType.Boolean); else w.WriteNull(); }
        public void Date(DateOnly? value) { if (value is { } v) w.Write(v, NpgsqlDbType.Date); else w.WriteNull(); }
        public void Timestamp(long? epochMs) { if (epochMs is { } v) w.Write(PostgresTables.Time(v), NpgsqlDbType.TimestampTz); else w.WriteNull(); }
        public void Bytes(byte[]? value) { if (value is null) w.WriteNull(); else w.Write(value, NpgsqlDbType.Bytea); }
        public void Json(string value) => w.Write(value, NpgsqlDbType.Jsonb);
    }
}

/// <summary>The clickstream's tables (<see cref="OutputTables"/>) as the PostgreSQL sink stages and merges them.</summary>
internal static class PostgresTables
{
    public static readonly PgTable<EventRow> Events = new(OutputTables.Events);
    public static readonly PgTable<EventRow> Bots = new(OutputTables.Bots);
    public static readonly PgTable<DeadLetterRow> DeadLetters = new(OutputTables.DeadLetters);
    public static readonly PgTable<LateRow> Late = new(OutputTables.Late);
    public static readonly PgTable<AggregateRow> Aggregates = new(OutputTables.Aggregates);
    public static readonly PgTable<SessionRow> Sessions = new(OutputTables.Sessions);
    public static readonly PgTable<QualityRow> Quality = new(OutputTables.Quality);
    public static readonly PgTable<UserVersionRow> UserVersions = new(OutputTables.UserVersions);
    public static readonly PgTable<CorrectionRow> Corrections = new(OutputTables.Corrections);

    /// <summary>Every table the sink writes, for staging and for tests.</summary>
    public static IReadOnlyList<string> Names { get; } = OutputTables.All.Select(t => t.Name).ToList();

    public static IEnumerable<string> CreateStages() =>
        [Events.CreateStage, Bots.CreateStage, DeadLetters.CreateStage, Late.CreateStage, Aggregates.CreateStage, Sessions.CreateStage, Quality.CreateStage,
         UserVersions.CreateStage, Corrections.CreateStage];

    /// <summary>PostgreSQL's type for a column; migration 1 spells the same.</summary>
    public static string SqlType(ColumnType type) => type switch
    {
        ColumnType.Text => "text",
        ColumnType.Integer => "integer",
        ColumnType.BigInt => "bigint",
        ColumnType.Double => "double precision",
        ColumnType.Boolean => "boolean",
        ColumnType.Date => "date",
        ColumnType.Timestamp => "timestamptz",
        ColumnType.Bytes => "bytea",
        _ => "jsonb",
    };

    /// <summary>A timestamp column as epoch milliseconds, for reading back.</summary>
    public static string EpochMs(string column) => $"(extract(epoch FROM {column}) * 1000)::bigint";

    /// <summary>Epoch milliseconds as a UTC <see cref="DateTime"/>, which Npgsql writes as timestamptz.</summary>
    public static DateTime Time(long epochMs) => new(DateTime.UnixEpoch.Ticks + epochMs * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}
