using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.Lake;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench lake</c>: rows/s of the lake sink for generated enriched events, then its size and file count before and after compaction.</summary>
internal static class BenchLakeCommand
{
    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Enriched events to write", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v is >= 1_000 and <= 100_000_000, "--rows must be between 1000 and 100000000");
        var path = new Option<string?>("--path") { Description = "Folder for the benchmark's lake (default: a new temporary folder, deleted after the run)" };
        var command = new Command("lake",
            "The lake sink's write path (parse, dedupe by id, ZSTD Parquet per event_date, Delta commit with offsets) for generated enriched events " +
            "in batches of sinks.batchSize; then the lake's files and bytes before and after compaction and vacuum")
        {
            rows, path,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse);
            var given = parse.GetValue(path);
            var root = given ?? Directory.CreateTempSubdirectory("sluice-bench-lake-").FullName;
            try
            {
                Run(root, parse.GetValue(rows), options.Sinks.BatchSize, options.Lake.RecentIds);
            }
            finally
            {
                if (given is null) Directory.Delete(root, recursive: true);
            }
            return 0;
        });
        return command;
    }

    private static void Run(string root, int rows, int batchSize, int recentIds)
    {
        var batches = new BenchPostgresCommand.EnrichedBatches(batchSize);
        using var lake = new LakeSink(root, SinkTopics.Default, "clickstream.events", recentIds);
        lake.Open();
        long written = 0, commits = 0;
        var timed = new Stopwatch();
        while (written < rows)
        {
            var batch = batches.Next();
            timed.Start();
            lake.Write(new SinkBatch("bench", batch.Records));
            timed.Stop();
            written += batch.Count;
            commits++;
        }
        var before = LakeMaintenance.Sizes(lake).Single(s => s.Table == "silver/events");
        var compactWatch = Stopwatch.StartNew();
        foreach (var table in lake.Tables) table.Compact();
        compactWatch.Stop();
        var compacted = LakeMaintenance.Sizes(lake).Single(s => s.Table == "silver/events");
        foreach (var table in lake.Tables) table.Vacuum(TimeSpan.Zero);
        var vacuumed = LakeMaintenance.Sizes(lake).Single(s => s.Table == "silver/events");

        var result = new Table().Border(TableBorder.Rounded)
            .Title($"lake: {written:N0} enriched events into silver/events, batches of {batchSize:N0}, ZSTD Parquet by event_date");
        result.AddColumn("what");
        result.AddColumn(new TableColumn("figure").RightAligned());
        result.AddRow("write rate (parse, dedupe, Parquet, Delta commit with offsets)", $"{written / timed.Elapsed.TotalSeconds:N0} rows/s");
        result.AddRow("write time", $"{timed.Elapsed.TotalSeconds:N2} s for {commits:N0} commits");
        result.AddRow("before compaction: live files / MiB", $"{before.LiveFiles:N0} / {Mib(before.LiveBytes)}");
        result.AddRow("after compaction: live files / MiB", $"{compacted.LiveFiles:N0} / {Mib(compacted.LiveBytes)} ({compactWatch.Elapsed.TotalSeconds:N2} s)");
        result.AddRow("on disk before vacuum: files / MiB", $"{compacted.DiskFiles:N0} / {Mib(compacted.DiskBytes)}");
        result.AddRow("on disk after vacuum: files / MiB", $"{vacuumed.DiskFiles:N0} / {Mib(vacuumed.DiskBytes)}");
        result.AddRow("log version", $"{vacuumed.Version:N0}");
        AnsiConsole.Write(result);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("N2", CultureInfo.InvariantCulture);
}
