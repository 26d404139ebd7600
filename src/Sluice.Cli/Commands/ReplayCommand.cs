using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sluice.App.Replay;
using Sluice.Cli.Hosting;
using Sluice.Pipelines.Hosting;
using Sluice.Schemas.Registry;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice replay</c>: reprocesses a range of the input into the same outputs, writing only what differs.</summary>
internal static class ReplayCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create()
    {
        var fromTime = new Option<DateTimeOffset?>("--from-time") { Description = "Replay the input from this time (ISO 8601; the records' log timestamps)" };
        var fromOffset = new Option<long?>("--from-offset") { Description = "Replay the input from this offset of every partition" }
            .Require(v => v is null or >= 0, "--from-offset must be 0 or more");
        var to = new Option<DateTimeOffset?>("--to") { Description = "End the range before this time (default: the log end)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Compare only: say what would be written, write nothing" };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster (default kafka.bootstrapServers)" };
        var registry = new Option<string?>("--registry") { Description = "Schema registry URL for Avro input (default schemaRegistry.url)" };
        var command = new Command("replay",
            "Reprocess a range of the input with the configured topology (after a fix, or to check a range) and write to the output topics only what differs from what they hold")
            { fromTime, fromOffset, to, dryRun, bootstrap, registry };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(fromTime) is { Implicit: false }) == (result.GetResult(fromOffset) is { Implicit: false }))
                result.AddError("give where the range starts: --from-time T or --from-offset N (one of them)");
        });
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(registry, "schemaRegistry.url"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, LogLevel.Warning);
            var factory = ClusterCommands.ExistingCluster(options, loggers, "replay");
            using var schemas = options.SchemaRegistry.Url.Length > 0 ? RegistrySchemaSource.Connect(options.SchemaRegistry) : null;
            var replay = new RangeReplay(ClickstreamProcessor.TopologyOptions(options), factory, schemas);
            var request = new ReplayRequest(parse.GetValue(fromTime)?.ToUnixTimeMilliseconds(), parse.GetValue(fromOffset), parse.GetValue(to)?.ToUnixTimeMilliseconds(),
                parse.GetValue(dryRun));
            var lastShown = TimeSpan.Zero;
            var progress = new SynchronousProgress<ReplayProgress>(p =>
            {
                if (p.Elapsed - lastShown < TimeSpan.FromSeconds(2) && p.Done < p.Total) return;
                lastShown = p.Elapsed;
                var eta = p.Done == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(p.Elapsed.Ticks * (p.Total - p.Done) / p.Done);
                Console.Error.WriteLine($"replay: {p.Done:N0} of {p.Total:N0} input records ({100.0 * p.Done / Math.Max(1, p.Total):0}%), about {eta.TotalSeconds:0} s to go");
            });
            var report = replay.Run(request, progress);
            Print(report);
            return 0;
        });
        return command;
    }

    private static void Print(ReplayReport r)
    {
        var ranges = string.Join(", ", r.Range.Select(p => $"{p.Partition}: {p.From:N0}–{p.To:N0}"));
        Console.WriteLine($"range of {r.Topic}: {r.RangeRecords:N0} records (partition: offsets from–to) {ranges}; warm-up {r.WarmUpRecords:N0} records ({r.WarmUp:c} before)");
        var table = new Table().Border(TableBorder.Rounded).Title(r.DryRun ? "replay (dry run): the range's outputs against the topics" : "replay: the range's outputs against the topics");
        table.AddColumn("output");
        table.AddColumn("topic");
        foreach (var c in new[] { "recomputed", "identical", "different", "new", "written" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var o in r.Outputs)
            table.AddRow(o.Output.ToString(), Markup.Escape(o.Topic), N(o.Recomputed), N(o.Identical), N(o.Different), N(o.New), N(o.Written));
        AnsiConsole.Write(table);
        Console.WriteLine(r.DryRun
            ? $"nothing written (--dry-run); {r.Outputs.Sum(o => o.Different + o.New):N0} records would be, in {r.Elapsed.TotalSeconds:N1} s"
            : r.Written == 0
                ? $"every output of the range was right: nothing written, in {r.Elapsed.TotalSeconds:N1} s"
                : $"{r.Written:N0} records written to the output topics (the stores upsert them by id), in {r.Elapsed.TotalSeconds:N1} s");
    }

    private static string N(long n) => n.ToString("N0", Inv);
}
