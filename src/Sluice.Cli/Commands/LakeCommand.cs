using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Cli.Hosting;
using Sluice.Sinks.Lake;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice lake compact|vacuum|status</c>: maintenance of the lake's Delta tables at <c>lake.path</c>.</summary>
internal static class LakeCommand
{
    public static Command Create()
    {
        var command = new Command("lake", "Maintain the lake's Delta tables at lake.path: compact small files, vacuum unreferenced ones, show sizes");
        command.Subcommands.Add(Compact());
        command.Subcommands.Add(Vacuum());
        command.Subcommands.Add(Status());
        return command;
    }

    private static Option<string?> PathOption() => new("--path") { Description = "The lake's folder (default lake.path)" };

    private static Command Compact()
    {
        var path = PathOption();
        var command = new Command("compact",
            "Rewrite each partition's files into one per table (remove + add, dataChange false, in one commit per table); safe while a sink writes") { path };
        command.SetAction(parse =>
        {
            using var lake = OpenLake(parse, path);
            var before = LakeMaintenance.Sizes(lake);
            var compacted = lake.Tables.ToDictionary(t => t.Name, t => t.Compact());
            Show($"lake at {lake.Root}: compacted", before, LakeMaintenance.Sizes(lake), compacted);
            return 0;
        });
        return command;
    }

    private static Command Vacuum()
    {
        var path = PathOption();
        var retention = new Option<TimeSpan>("--retention")
        {
            Description = "Delete only files unreferenced and older than this (hh:mm:ss); readers of older versions and writers' uncommitted files need it",
            DefaultValueFactory = _ => TimeSpan.FromHours(24),
        };
        var command = new Command("vacuum",
            "Delete data files no live version refers to: removed by compaction, or left by a sink that died before its commit") { path, retention };
        command.SetAction(parse =>
        {
            using var lake = OpenLake(parse, path);
            foreach (var table in lake.Tables)
            {
                var (files, bytes) = table.Vacuum(parse.GetValue(retention));
                Console.WriteLine($"{table.Name}: deleted {files:N0} files, {bytes / 1048576.0:N1} MiB");
            }
            return 0;
        });
        return command;
    }

    private static Command Status()
    {
        var path = PathOption();
        var command = new Command("status", "Version, live files and bytes, and files on disk of every table") { path };
        command.SetAction(parse =>
        {
            using var lake = OpenLake(parse, path);
            Show($"lake at {lake.Root}", null, LakeMaintenance.Sizes(lake), null);
            return 0;
        });
        return command;
    }

    private static LakeSink OpenLake(ParseResult parse, Option<string?> path)
    {
        var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(path, "lake.path"));
        // Maintenance skips nothing by id, so it needs no id memory: opening a lake of millions of rows stays instant.
        var lake = new LakeSink(options.Lake.Path, SinkCatalog.Topics(options), options.Kafka.Topics.Events, recentIds: 0, NullLogger.Instance);
        lake.Open();
        return lake;
    }

    private static void Show(string title, IReadOnlyList<LakeTableSize>? before, IReadOnlyList<LakeTableSize> after,
        Dictionary<string, (int Before, int After)>? compacted)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(title);
        table.AddColumn("table");
        table.AddColumn(new TableColumn("version").RightAligned());
        if (before is not null) table.AddColumn(new TableColumn("live files before").RightAligned());
        table.AddColumn(new TableColumn("live files").RightAligned());
        if (before is not null) table.AddColumn(new TableColumn("live MiB before").RightAligned());
        table.AddColumn(new TableColumn("live MiB").RightAligned());
        table.AddColumn(new TableColumn("files on disk").RightAligned());
        table.AddColumn(new TableColumn("MiB on disk").RightAligned());
        foreach (var a in after)
        {
            var b = before?.First(x => x.Table == a.Table);
            var cells = new List<string> { a.Table, N(a.Version) };
            if (b is not null) cells.Add(N(b.LiveFiles));
            cells.Add(N(a.LiveFiles));
            if (b is not null) cells.Add(M(b.LiveBytes));
            cells.Add(M(a.LiveBytes));
            cells.Add(N(a.DiskFiles));
            cells.Add(M(a.DiskBytes));
            table.AddRow(cells.ToArray());
        }
        var total = new List<string> { "[bold]all[/]", "" };
        if (before is not null) total.Add(N(before.Sum(x => x.LiveFiles)));
        total.Add(N(after.Sum(x => x.LiveFiles)));
        if (before is not null) total.Add(M(before.Sum(x => x.LiveBytes)));
        total.Add(M(after.Sum(x => x.LiveBytes)));
        total.Add(N(after.Sum(x => x.DiskFiles)));
        total.Add(M(after.Sum(x => x.DiskBytes)));
        table.AddRow(total.ToArray());
        AnsiConsole.Write(table);
        if (compacted is not null && compacted.Values.All(c => c.Before == 0)) Console.WriteLine("nothing to compact: every partition holds one file");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string M(long bytes) => (bytes / 1048576.0).ToString("N2", CultureInfo.InvariantCulture);
}
