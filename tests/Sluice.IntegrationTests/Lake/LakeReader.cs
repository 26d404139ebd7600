using System.Globalization;
using DuckDB.NET.Data;
using Sluice.Sinks.Lake;

namespace Sluice.IntegrationTests.Lake;

/// <summary>Reads a lake table back with DuckDB, over the live file set of its Delta log only (never a folder glob, which would see orphans and removed files).</summary>
internal static class LakeReader
{
    public static DuckDBConnection Connect()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    /// <summary>read_parquet over the table's live files with Hive partitioning, or null when it has none.</summary>
    public static string? Source(ILakeTable table)
    {
        table.Log.CatchUp(table.Snapshot);
        var files = table.Snapshot.Files.Keys.Order(StringComparer.Ordinal)
            .Select(p => "'" + Path.Combine(table.Log.TableRoot, Uri.UnescapeDataString(p)).Replace("'", "''", StringComparison.Ordinal) + "'").ToList();
        return files.Count == 0 ? null : $"read_parquet([{string.Join(", ", files)}], hive_partitioning = true)";
    }

    public static long Count(DuckDBConnection duck, ILakeTable table) =>
        Source(table) is { } source ? Scalar<long>(duck, $"SELECT count(*) FROM {source}") : 0;

    /// <summary>Every live row as text, sorted, hashed: equal fingerprints mean equal contents.</summary>
    public static string Fingerprint(DuckDBConnection duck, ILakeTable table) =>
        Source(table) is { } source ? Scalar<string>(duck, $"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {source} x") : "empty";

    public static List<object?[]> Rows(DuckDBConnection duck, string sql)
    {
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i) is Stream s ? ReadAll(s) : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static T Scalar<T>(DuckDBConnection duck, string sql)
    {
        using var command = duck.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
