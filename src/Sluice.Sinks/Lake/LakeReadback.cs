using System.Text;
using DuckDB.NET.Data;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.Lake;

/// <summary>The lake's tables as SQL views over their live data files: what <c>verify --store lake</c> reads back.</summary>
/// <remarks>
/// An in-memory DuckDB database gets one view per silver/gold table, named and shaped as the SQL stores' table
/// (<see cref="OutputTables"/>), so <see cref="StoredRows"/> reads it as it reads DuckDB's or PostgreSQL's. Each view
/// reads only the files the table's Delta log holds live (never a folder listing, which would include removed files),
/// takes the partition column from each add's partitionValues, and casts the lake's string ids to UUID. bronze/events
/// is the view <c>bronze_events</c> (topic, partition, offset). A live file the log names but the disk lacks is left
/// out of its view and listed in <see cref="MissingFiles"/>.
/// </remarks>
public sealed class LakeReadback : IDisposable
{
    private LakeReadback(DuckDBConnection connection, IReadOnlyList<string> missing)
    {
        Connection = connection;
        MissingFiles = missing;
    }

    /// <summary>The view of bronze/events: one row (topic, partition, offset) per stored input record.</summary>
    public const string BronzeView = "bronze_events";

    public DuckDBConnection Connection { get; }

    /// <summary>Live files the log names but the disk lacks, relative to the lake's folder ("bronze/events/event_date=…/part-….parquet").</summary>
    public IReadOnlyList<string> MissingFiles { get; }

    /// <summary>Reads every table's log under <paramref name="lakeRoot"/> and creates the views.</summary>
    public static LakeReadback Open(string lakeRoot)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        var missing = new List<string>();
        try
        {
            Execute(connection, View(connection, BronzeView, [("topic", ColumnType.Text), ("partition", ColumnType.Integer), ("offset", ColumnType.BigInt)],
                LiveFiles(lakeRoot, "bronze/events", missing)));
            foreach (var (folder, table) in Tables)
                Execute(connection, View(connection, table.Name, table.ColumnTypes, LiveFiles(lakeRoot, folder, missing)));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new LakeReadback(connection, missing);
    }

    /// <summary>The silver/gold folders and the SQL table each one holds.</summary>
    public static IReadOnlyList<(string Folder, IOutputTable Table)> Tables { get; } =
    [
        ("silver/events", OutputTables.Events), ("silver/bot_events", OutputTables.Bots), ("silver/dead_letters", OutputTables.DeadLetters),
        ("silver/late_events", OutputTables.Late), ("gold/window_aggregates", OutputTables.Aggregates), ("gold/sessions", OutputTables.Sessions),
    ];

    public void Dispose() => Connection.Dispose();

    private static List<(string File, Dictionary<string, string> Partition)> LiveFiles(string lakeRoot, string folder, List<string> missing)
    {
        var log = new DeltaLog(Path.Combine(lakeRoot, folder.Replace('/', Path.DirectorySeparatorChar)));
        var files = new List<(string, Dictionary<string, string>)>();
        foreach (var add in log.Read().Files.Values.OrderBy(a => a.Path, StringComparer.Ordinal))
        {
            var file = Path.GetFullPath(Path.Combine(log.TableRoot, Uri.UnescapeDataString(add.Path).Replace('/', Path.DirectorySeparatorChar)));
            if (File.Exists(file)) files.Add((file, add.PartitionValues));
            else missing.Add(Path.GetRelativePath(lakeRoot, file).Replace(Path.DirectorySeparatorChar, '/'));
        }
        return files;
    }

    private static string View(DuckDBConnection connection, string name, IReadOnlyList<(string Name, ColumnType Type)> columns,
        List<(string File, Dictionary<string, string> Partition)> files)
    {
        var sql = new StringBuilder($"CREATE VIEW {Quote(name)} AS SELECT ");
        if (files.Count == 0)
            return sql.Append(string.Join(", ", columns.Select(c => $"CAST(NULL AS {DuckDbType(c.Type)}) AS {Quote(c.Name)}"))).Append(" WHERE false").ToString();
        var partitionKeys = files.SelectMany(f => f.Partition.Keys).ToHashSet(StringComparer.Ordinal);
        var source = new StringBuilder(" FROM read_parquet([").Append(string.Join(", ", files.Select(f => Literal(f.File))))
            .Append("], filename = true, hive_partitioning = false, union_by_name = true) f").ToString();
        // Files written before a column was added (silver/events before the joined profile) lack it: null, as Delta readers take it.
        var inFiles = FileColumns(connection, source);
        sql.Append(string.Join(", ", columns.Select(c => partitionKeys.Contains(c.Name)
            ? $"CAST(p.{Quote(c.Name)} AS {DuckDbType(c.Type)}) AS {Quote(c.Name)}"
            : inFiles.Contains(c.Name) ? $"CAST(f.{Quote(c.Name)} AS {DuckDbType(c.Type)}) AS {Quote(c.Name)}"
            : $"CAST(NULL AS {DuckDbType(c.Type)}) AS {Quote(c.Name)}")));
        sql.Append(source);
        var keys = partitionKeys.Where(k => columns.Any(c => c.Name == k)).ToList();
        if (keys.Count > 0)
        {
            sql.Append(" JOIN (VALUES ").Append(string.Join(", ", files.Select(f =>
                    "(" + string.Join(", ", [Literal(f.File), .. keys.Select(k => f.Partition.TryGetValue(k, out var v) ? Literal(v) : "NULL")]) + ")")))
                .Append($") p(file, {string.Join(", ", keys.Select(Quote))}) ON p.file = f.filename");
        }
        return sql.ToString();
    }

    private static HashSet<string> FileColumns(DuckDBConnection connection, string source)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"DESCRIBE SELECT *{source}";
        using var reader = command.ExecuteReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read()) names.Add(reader.GetString(0));
        return names;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string DuckDbType(ColumnType type) => type switch
    {
        ColumnType.Integer => "INTEGER",
        ColumnType.BigInt => "BIGINT",
        ColumnType.Double => "DOUBLE",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMPTZ",
        ColumnType.Bytes => "BLOB",
        _ => "VARCHAR",
    };

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
