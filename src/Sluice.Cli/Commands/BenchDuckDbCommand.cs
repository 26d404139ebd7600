using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Sinks.DuckDb;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench duckdb</c>: rows/s of the DuckDB sink's write path against the bare appender, alternated.</summary>
internal static class BenchDuckDbCommand
{
    public static Command Create()
    {
        var dir = new Option<string?>("--dir") { Description = "Where the run's DuckDB files go (deleted after it); default the directory of warehouse.path" };
        var rows = new Option<int>("--rows") { Description = "Rows per pass", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v is >= 1_000 and <= 100_000_000, "--rows must be between 1000 and 100000000");
        var rounds = new Option<int>("--rounds") { Description = "Sink and raw passes each, alternated", DefaultValueFactory = _ => 2 }
            .Require(v => v is >= 1 and <= 20, "--rounds must be between 1 and 20");
        var command = new Command("duckdb",
            "The DuckDB sink's write path (the appender into a stage, merge by key, offsets, commit) for generated enriched events, " +
            "against the bare appender into a table without a key, alternated in one run; batches of sinks.batchSize")
        {
            dir, rows, rounds,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse);
            var directory = parse.GetValue(dir) ?? Path.GetDirectoryName(Path.GetFullPath(options.Warehouse.Path))!;
            DuckDbWarehouse.EnsureWritable(Path.Combine(directory, "bench.duckdb"), parse.GetValue(dir) is null ? DuckDbWarehouse.PathKey : "--dir");
            var batches = new BenchPostgresCommand.EnrichedBatches(options.Sinks.BatchSize);
            var passes = DuckDbBenchmark.Run(directory, batches.Next, parse.GetValue(rows), parse.GetValue(rounds),
                p => Console.Error.WriteLine($"  {p.Method} pass {p.Round}: {p.RowsPerSecond:N0} rows/s"));

            var table = new Table().Border(TableBorder.Rounded)
                .Title($"DuckDB: {parse.GetValue(rows):N0} enriched events per pass, batches of {options.Sinks.BatchSize:N0}, files in {directory}");
            table.AddColumn("pass");
            table.AddColumn(new TableColumn("rows/s").RightAligned());
            table.AddColumn(new TableColumn("seconds").RightAligned());
            foreach (var p in passes)
                table.AddRow($"{p.Round}. {(p.Method == "sink" ? "sink: appender to stage + merge by key + offsets, one commit per batch" : "raw: appender into a table without a key, one commit per batch")}",
                    p.RowsPerSecond.ToString("N0", CultureInfo.InvariantCulture), p.Seconds.ToString("N2", CultureInfo.InvariantCulture));
            double Median(string method) => passes.Where(p => p.Method == method).Select(p => p.RowsPerSecond).Order().ElementAt(passes.Count(p => p.Method == method) / 2);
            table.AddRow("[bold]sink / raw (medians)[/]", $"[bold]{Median("sink") / Median("raw"):0.00}[/]", "");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
