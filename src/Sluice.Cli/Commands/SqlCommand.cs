using System.CommandLine;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Sluice.Cli.Hosting;
using Sluice.Cli.Inspection;
using Sluice.Core.Errors;
using Sluice.Sinks.DuckDb;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sql "SELECT …"</c>: a query against the DuckDB warehouse file (read-only) and any Parquet, CSV or JSON files DuckDB reads.</summary>
/// <remarks>
/// The warehouse is opened read-only, so the command never changes it. DuckDB refuses to open a file another process
/// writes, even read-only: while `sluice sink --to duckdb` runs, its file cannot be queried from another process, and
/// the error says so. Without a warehouse file (the default path missing) the query runs in an empty in-memory
/// database: read_parquet('lake/**/*.parquet') and the like still work.
/// </remarks>
internal static partial class SqlCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "The SQL to run (DuckDB's dialect); each statement's result is printed in turn" };
        var warehouse = new Option<string?>("--warehouse") { Description = "The DuckDB file to query (default warehouse.path)" };
        var format = new Option<string>("--format") { Description = "table (readable), csv (a header row, RFC 4180) or json (an array of objects)", DefaultValueFactory = _ => "table" }
            .AcceptOnlyFromAmong("table", "csv", "json");
        var command = new Command("sql",
            "Run a SQL query against the DuckDB warehouse (read-only) and files DuckDB reads, such as read_parquet('lake/**/*.parquet'), and print the result")
        {
            query, warehouse, format,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(warehouse, "warehouse.path"));
            var explicitPath = parse.GetResult(warehouse) is { Implicit: false };
            var path = options.Warehouse.Path;
            var key = explicitPath ? "--warehouse" : DuckDbWarehouse.PathKey;
            var sql = parse.GetValue(query)!;
            if (string.IsNullOrWhiteSpace(sql)) throw new UsageException("query: give the SQL to run, for example sluice sql \"SELECT * FROM hourly_summary\"");

            var withoutWarehouse = !explicitPath && !File.Exists(path);
            using var connection = withoutWarehouse ? InMemory() : DuckDbWarehouse.OpenReadOnly(path, key);
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                using var reader = command.ExecuteReader();
                // Several statements separated by ';' print their results in turn.
                do QueryOutput.Write(reader, parse.GetValue(format)!, Console.Out);
                while (reader.NextResult());
            }
            catch (DuckDBException ex)
            {
                var hint = withoutWarehouse && ex.Message.Contains("does not exist", StringComparison.Ordinal)
                    ? $" (there is no warehouse file at {path}: `sluice sink --to duckdb` creates it; --warehouse names another)"
                    : "";
                ThrowHelper.Throw($"SQL: {OneLine(ex.Message)}{hint}");
            }
            return 0;
        });
        return command;
    }

    private static DuckDBConnection InMemory()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    /// <summary>DuckDB's multi-line message (candidates, "LINE 1: …" and a caret) as one line, its first sentence and where it points.</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var text = lines[0];
        if (lines.FirstOrDefault(l => l.StartsWith("LINE ", StringComparison.Ordinal)) is { } at) text += $" ({Spaces().Replace(at, " ")})";
        return text.TrimEnd('.');
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
