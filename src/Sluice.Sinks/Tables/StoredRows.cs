using System.Data.Common;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Tables;

/// <summary>Reads an output table back into its row type through ADO.NET: what <c>verify --store</c> compares.</summary>
public static class StoredRows
{
    /// <summary>Every row of <paramref name="table"/>.</summary>
    /// <param name="epochMs">The store's SQL for a timestamp column as epoch milliseconds (so that no time zone is involved).</param>
    public static List<T> Read<T>(DbConnection connection, OutputTable<T> table, Func<string, string> epochMs) where T : OutputRow, new()
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(epochMs);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", table.Columns.Select(c => c.Type == ColumnType.Timestamp ? epochMs(c.Name) : c.Name))} FROM {table.Name}";
        using var reader = command.ExecuteReader();
        var columns = new DataReaderColumns(reader);
        var rows = new List<T>();
        while (reader.Read())
        {
            columns.Rewind();
            rows.Add(table.Read(columns));
        }
        return rows;
    }

    /// <summary>Every row of the table of <paramref name="kind"/>, as the base row type.</summary>
    public static IReadOnlyList<OutputRow> Read(DbConnection connection, OutputKind kind, Func<string, string> epochMs) => kind switch
    {
        OutputKind.Enriched => Read(connection, OutputTables.Events, epochMs),
        OutputKind.Bots => Read(connection, OutputTables.Bots, epochMs),
        OutputKind.DeadLetters => Read(connection, OutputTables.DeadLetters, epochMs),
        OutputKind.Late => Read(connection, OutputTables.Late, epochMs),
        OutputKind.Aggregated => Read(connection, OutputTables.Aggregates, epochMs),
        OutputKind.Sessions => Read(connection, OutputTables.Sessions, epochMs),
        OutputKind.Quality => Read(connection, OutputTables.Quality, epochMs),
        OutputKind.UserVersions => Read(connection, OutputTables.UserVersions, epochMs),
        OutputKind.Corrections => Read(connection, OutputTables.Corrections, epochMs),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private sealed class DataReaderColumns(DbDataReader reader) : IColumnReader
    {
        private int _i;

        public void Rewind() => _i = 0;

        private bool Null(out int i)
        {
            i = _i++;
            return reader.IsDBNull(i);
        }

        public string? Text() => Null(out var i) ? null : reader.GetString(i);
        public int? Integer() => Null(out var i) ? null : reader.GetInt32(i);
        public long? BigInt() => Null(out var i) ? null : reader.GetInt64(i);
        public double? Double() => Null(out var i) ? null : reader.GetDouble(i);
        public bool? Boolean() => Null(out var i) ? null : reader.GetBoolean(i);
        public DateOnly? Date() => Null(out var i) ? null : reader.GetFieldValue<DateOnly>(i);
        public long? Timestamp() => Null(out var i) ? null : Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        public string Json() => Null(out var i) ? "null" : reader.GetString(i);

        public byte[]? Bytes()
        {
            if (Null(out var i)) return null;
            switch (reader.GetValue(i))
            {
                case byte[] bytes: return bytes;
                case Stream stream:
                    // DuckDB hands BLOBs out as streams over its own memory.
                    using (stream)
                    {
                        var copy = new MemoryStream();
                        stream.CopyTo(copy);
                        return copy.ToArray();
                    }
                case var other: throw new InvalidCastException($"column {reader.GetName(i)} holds {other.GetType().Name}, not bytes");
            }
        }
    }
}
