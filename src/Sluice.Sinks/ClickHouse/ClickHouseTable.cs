using System.Buffers;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.ClickHouse;

/// <summary>An output table in ClickHouse: its rows as RowBinary with a <c>_version</c>, and read back with <c>FINAL</c>.</summary>
internal sealed class ClickHouseTable<T> where T : OutputRow, new()
{
    private readonly bool[] _nullable;

    /// <param name="partitionColumn">The column the table is partitioned by (not Nullable, like the key), if any.</param>
    public ClickHouseTable(OutputTable<T> table, string? partitionColumn = null)
    {
        Table = table;
        _nullable = table.Columns.Select(c => !table.Key.Contains(c.Name) && c.Name != partitionColumn).ToArray();
        SelectFinal = $"SELECT {table.ColumnList} FROM {table.Name} FINAL FORMAT RowBinary";
    }

    public OutputTable<T> Table { get; }
    public string Name => Table.Name;

    /// <summary>Whether each column, in table order, is Nullable in ClickHouse (migration 1 spells the same).</summary>
    public IReadOnlyList<bool> Nullable => _nullable;

    /// <summary>The INSERT into <paramref name="target"/> (this table, or a table shaped as it) whose data is <see cref="Encode"/>'s bytes.</summary>
    public string InsertInto(string target) => $"INSERT INTO {target} ({Table.ColumnList}, _version) FORMAT RowBinary";

    /// <summary>Every row as readers see it: one per key, the highest version.</summary>
    public string SelectFinal { get; }

    /// <summary>The rows as RowBinary, each followed by <paramref name="version"/>.</summary>
    public ReadOnlyMemory<byte> Encode(IEnumerable<T> rows, ulong version)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var writer = new RowBinaryWriter(buffer);
        foreach (var row in rows)
        {
            writer.StartRow(_nullable);
            Table.Write(row, writer);
            writer.UInt64(version);
        }
        return buffer.WrittenMemory;
    }

    /// <summary>The rows of a <see cref="SelectFinal"/> result.</summary>
    public List<T> Decode(byte[] rowBinary)
    {
        var reader = new RowBinaryReader(rowBinary);
        var rows = new List<T>();
        while (reader.More)
        {
            reader.StartRow(_nullable);
            rows.Add(Table.Read(reader));
        }
        return rows;
    }
}

/// <summary>The clickstream's tables (<see cref="OutputTables"/>) as the ClickHouse sink writes them.</summary>
internal static class ClickHouseTables
{
    public static readonly ClickHouseTable<EventRow> Events = new(OutputTables.Events, "event_time");
    public static readonly ClickHouseTable<EventRow> Bots = new(OutputTables.Bots, "event_time");
    public static readonly ClickHouseTable<DeadLetterRow> DeadLetters = new(OutputTables.DeadLetters);
    public static readonly ClickHouseTable<LateRow> Late = new(OutputTables.Late);
    public static readonly ClickHouseTable<AggregateRow> Aggregates = new(OutputTables.Aggregates, "window_start");
    public static readonly ClickHouseTable<SessionRow> Sessions = new(OutputTables.Sessions, "session_start");
    public static readonly ClickHouseTable<QualityRow> Quality = new(OutputTables.Quality, "window_start");
    public static readonly ClickHouseTable<UserVersionRow> UserVersions = new(OutputTables.UserVersions);
    public static readonly ClickHouseTable<CorrectionRow> Corrections = new(OutputTables.Corrections, "event_time");

    /// <summary>ClickHouse's type for a column; migration 1 spells the same.</summary>
    public static string SqlType(ColumnType type, bool nullable)
    {
        var name = type switch
        {
            ColumnType.Integer => "Int32",
            ColumnType.BigInt or ColumnType.Timestamp => "Int64",
            ColumnType.Double => "Float64",
            ColumnType.Boolean => "UInt8",
            ColumnType.Date => "Date",
            _ => "String",
        };
        return nullable ? $"Nullable({name})" : name;
    }
}
