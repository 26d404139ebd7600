using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.DuckDb;

/// <summary>An output table in the warehouse and its staging table: rows go into the stage through DuckDB's appender, then into the target by key in one statement.</summary>
/// <remarks>
/// The stage is a temporary table of the sink's connection, emptied inside each batch's transaction after the merge, so a
/// batch that fails leaves it empty too. The merge is <see cref="OutputTable{T}.MergeFrom"/>, the SQL PostgreSQL runs.
/// </remarks>
internal sealed class DuckDbTable<T> where T : OutputRow, new()
{
    public DuckDbTable(OutputTable<T> table)
    {
        Table = table;
        Stage = $"stage_{table.Name}";
        CreateStage = $"CREATE TEMP TABLE IF NOT EXISTS {Stage} ({ColumnDefinitions}, _seq INTEGER NOT NULL)";
        Merge = table.MergeFrom(Stage);
        MergeUnique = table.MergeFrom(Stage, unique: true);
    }

    public OutputTable<T> Table { get; }
    public string Stage { get; }
    public string CreateStage { get; }
    public string Merge { get; }

    /// <summary>The merge for a batch whose keys are distinct, without the sort that keeps the latest of each.</summary>
    public string MergeUnique { get; }

    /// <summary>The columns as CREATE TABLE lists them, without keys or constraints.</summary>
    public string ColumnDefinitions => string.Join(", ", Table.Columns.Select(c => $"{c.Name} {DuckDbTables.SqlType(c.Type)}"));

    /// <summary>Appends <paramref name="rows"/> to the stage, each with its batch position.</summary>
    public void Append(DuckDBConnection connection, IReadOnlyList<T> rows) => Append(connection, "temp", Stage, rows, sequence: true);

    /// <summary>Appends <paramref name="rows"/> to <paramref name="table"/>, which has this table's columns (the benchmark's baseline).</summary>
    public void AppendInto(DuckDBConnection connection, string table, IReadOnlyList<T> rows) => Append(connection, null, table, rows, sequence: false);

    private void Append(DuckDBConnection connection, string? catalog, string table, IReadOnlyList<T> rows, bool sequence)
    {
        using var appender = catalog is null ? connection.CreateAppender(table) : connection.CreateAppender(catalog, "main", table);
        var writer = new AppenderWriter();
        foreach (var row in rows)
        {
            writer.Row = appender.CreateRow();
            Table.Write(row, writer);
            if (sequence) writer.Row.AppendValue(row.Sequence);
            writer.Row.EndRow();
        }
        appender.Close();
    }

    /// <summary>Each value into the appender's current row.</summary>
    private sealed class AppenderWriter : IColumnWriter
    {
        public IDuckDBAppenderRow Row { get; set; } = null!;

        public void Text(string? value) { if (value is null) Row.AppendNullValue(); else Row.AppendValue(value); }
        public void Integer(int? value) => Row.AppendValue(value);
        public void BigInt(long? value) => Row.AppendValue(value);
        public void Double(double? value) => Row.AppendValue(value);
        public void Boolean(bool? value) => Row.AppendValue(value);
        public void Date(DateOnly? value) { if (value is { } v) Row.AppendValue(DuckDBDateOnly.FromDateOnly(v)); else Row.AppendNullValue(); }
        public void Timestamp(long? epochMs) { if (epochMs is { } v) Row.AppendValue(DateTime.UnixEpoch.AddMilliseconds(v)); else Row.AppendNullValue(); }
        public void Bytes(byte[]? value) { if (value is null) Row.AppendNullValue(); else Row.AppendValue(value); }
        public void Json(string value) => Row.AppendValue(value);
    }
}

/// <summary>The clickstream's tables (<see cref="OutputTables"/>) as the DuckDB sink stages and merges them.</summary>
internal static class DuckDbTables
{
    public static readonly DuckDbTable<EventRow> Events = new(OutputTables.Events);
    public static readonly DuckDbTable<EventRow> Bots = new(OutputTables.Bots);
    public static readonly DuckDbTable<DeadLetterRow> DeadLetters = new(OutputTables.DeadLetters);
    public static readonly DuckDbTable<LateRow> Late = new(OutputTables.Late);
    public static readonly DuckDbTable<AggregateRow> Aggregates = new(OutputTables.Aggregates);
    public static readonly DuckDbTable<SessionRow> Sessions = new(OutputTables.Sessions);
    public static readonly DuckDbTable<QualityRow> Quality = new(OutputTables.Quality);
    public static readonly DuckDbTable<UserVersionRow> UserVersions = new(OutputTables.UserVersions);
    public static readonly DuckDbTable<CorrectionRow> Corrections = new(OutputTables.Corrections);

    public static IEnumerable<string> CreateStages() =>
        [Events.CreateStage, Bots.CreateStage, DeadLetters.CreateStage, Late.CreateStage, Aggregates.CreateStage, Sessions.CreateStage, Quality.CreateStage,
         UserVersions.CreateStage, Corrections.CreateStage];

    /// <summary>DuckDB's type for a column; migration 1 spells the same.</summary>
    public static string SqlType(ColumnType type) => type switch
    {
        ColumnType.Text => "VARCHAR",
        ColumnType.Integer => "INTEGER",
        ColumnType.BigInt => "BIGINT",
        ColumnType.Double => "DOUBLE",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMPTZ",
        ColumnType.Bytes => "BLOB",
        _ => "JSON",
    };

    /// <summary>A timestamp column as epoch milliseconds, for reading back.</summary>
    public static string EpochMs(string column) => $"epoch_ms({column})";
}
