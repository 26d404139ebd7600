using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Events;
using Sluice.Pipelines.Slice;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice demo</c>: the whole slice in one process, against the embedded broker unless told otherwise.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var events = new Option<long?>("--events") { Description = "Stop after producing this many events" }
            .Require(v => v is null or > 0, "--events must be a positive whole number, for example --events 20000");
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Stop producing after this long, hh:mm:ss (default 00:00:30 unless --events is given)",
        }.Require(v => v is null || v > TimeSpan.Zero, "--duration must be positive, for example --duration 00:01:00");
        var rate = new Option<int?>("--rate") { Description = "Events per second; 0 = as fast as possible (default 2000, or 0 with --events)" }
            .Require(v => v is null or >= 0, "--rate must be 0 or more events per second");
        var processors = new Option<int>("--processors") { Description = "Processor group members to run (1-16)", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 16, "--processors must be between 1 and 16");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "A Kafka cluster to use instead of the embedded broker" };
        var noLive = new Option<bool>("--no-live") { Description = "Print progress lines instead of the live table" };

        var command = new Command("demo", "Run generator, broker and processor together and watch the counts live")
        {
            events, duration, rate, processors, bootstrap, noLive,
        };
        command.SetAction(async (parse, ct) =>
        {
            var extra = parse.GetValue(bootstrap) is { } bs ? new[] { $"kafka.bootstrapServers={bs}" } : [];
            var options = GlobalOptions.LoadOptions(parse, extra);
            var live = !parse.GetValue(noLive) && !Console.IsOutputRedirected;
            // While the live table owns the terminal, only warnings and errors are logged.
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, live ? LogLevel.Warning : null);
            using var connection = KafkaConnection.Open(options, loggers);

            var maxEvents = parse.GetValue(events);
            var settings = new SliceDemoSettings
            {
                Events = maxEvents,
                Duration = parse.GetValue(duration) ?? (maxEvents is null ? TimeSpan.FromSeconds(30) : null),
                Rate = parse.GetValue(rate) ?? (maxEvents is null ? 2000 : 0),
                Processors = parse.GetValue(processors),
            };
            var demo = new SliceDemo(options, connection.Factory, settings, loggers);
            var run = demo.RunAsync(ct);
            await DemoView.ShowAsync(demo, run, live, options.Kafka.Topics.Events, options.Kafka.Topics.Dlq).ConfigureAwait(false);
            var final = demo.Snapshot();
            DemoView.PrintSummary(final, options.Kafka.Topics.Dlq);
            return final.Consumed == final.Produced ? 0 : ct.IsCancellationRequested ? 130 : 1;
        });
        return command;
    }
}

/// <summary>Renders the demo: a live table while it runs, and a summary at the end.</summary>
internal static class DemoView
{
    public static async Task ShowAsync(SliceDemo demo, Task run, bool live, string eventsTopic, string dlqTopic)
    {
        if (!live)
        {
            while (!run.IsCompleted)
            {
                await Task.WhenAny(run, Task.Delay(2000)).ConfigureAwait(false);
                var s = demo.Snapshot();
                Console.WriteLine($"{s.Elapsed:mm\\:ss} produced {s.Produced:N0}  consumed {s.Consumed:N0}  valid {s.Valid:N0}  dead-lettered {s.DeadLettered:N0}  windows closed {s.ClosedRows.Select(r => r.Start).Distinct().Count()}");
            }
            await run.ConfigureAwait(false);
            return;
        }

        await AnsiConsole.Live(new Markup("starting…")).AutoClear(false).StartAsync(async ctx =>
        {
            while (!run.IsCompleted)
            {
                ctx.UpdateTarget(Render(demo.Snapshot(), eventsTopic, dlqTopic, final: false));
                await Task.WhenAny(run, Task.Delay(250)).ConfigureAwait(false);
            }
            ctx.UpdateTarget(Render(demo.Snapshot(), eventsTopic, dlqTopic, final: true));
        }).ConfigureAwait(false);
        await run.ConfigureAwait(false);
    }

    private static Rows Render(SliceDemoSnapshot s, string eventsTopic, string dlqTopic, bool final)
    {
        var rate = s.Elapsed.TotalSeconds > 0 ? s.Consumed / s.Elapsed.TotalSeconds : 0;
        var header = new Markup(
            $"[bold]Sluice demo[/]  {s.Elapsed:mm\\:ss}  produced [green]{s.Produced:N0}[/] → [blue]{eventsTopic}[/]  " +
            $"consumed {s.Consumed:N0} ({rate:N0}/s)  valid {s.Valid:N0}  dead-lettered [red]{s.DeadLettered:N0}[/] → [blue]{dlqTopic}[/]  late {s.Late:N0}\n" +
            string.Join("   ", s.Members.Select(m => $"{m.Name}: partitions [{string.Join(",", m.Partitions)}]")));
        return new Rows(header, WindowTable(s, maxRows: final ? 12 : 10));
    }

    /// <summary>Valid events per type per 1-minute event-time window; partial rows summed over partitions and members.</summary>
    public static Table WindowTable(SliceDemoSnapshot s, int maxRows)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("valid events per type, event-time windows");
        table.AddColumn("window UTC");
        foreach (var t in EventTypes.All) table.AddColumn(new TableColumn(t.ToWireName()).RightAligned());
        table.AddColumn(new TableColumn("total").RightAligned());

        var closed = s.ClosedRows.GroupBy(r => r.Start).ToDictionary(g => g.Key, g => Sum(g));
        var open = s.OpenRows.GroupBy(r => r.Start).ToDictionary(g => g.Key, g => Sum(g));
        var starts = closed.Keys.Union(open.Keys).Order().ToList();
        foreach (var start in starts.Skip(Math.Max(0, starts.Count - maxRows)))
        {
            var counts = new long[EventTypes.All.Count];
            var isOpen = open.TryGetValue(start, out var o);
            if (closed.TryGetValue(start, out var c)) Add(counts, c);
            if (isOpen) Add(counts, o!);
            var row = new List<string> { isOpen ? $"[yellow]{start:HH:mm} open[/]" : $"{start:HH:mm} final" };
            row.AddRange(counts.Select(n => n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
            row.Add(counts.Sum().ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow(row.ToArray());
        }
        if (starts.Count > maxRows) table.Caption($"{starts.Count - maxRows} older window(s) not shown");
        return table;
    }

    public static void PrintSummary(SliceDemoSnapshot s, string dlqTopic)
    {
        var seconds = Math.Max(s.Elapsed.TotalSeconds, 1e-9);
        var table = new Table().Border(TableBorder.Rounded).Title("demo summary");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        void Row(string k, string v) => table.AddRow(k, v);
        Row("events produced", s.Produced.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("  of which malformed on purpose", s.ProducedInvalid.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("events consumed", s.Consumed.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("valid, counted in windows", s.Valid.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row($"dead-lettered → {dlqTopic}", s.DeadLettered.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("late (window already final)", s.Late.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        Row("windows", s.ClosedRows.Select(r => r.Start).Distinct().Count().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Row("elapsed", $"{s.Elapsed.TotalSeconds:N1} s");
        Row("throughput (consumed)", $"{s.Consumed / seconds:N0} events/s");
        Row("all produced events accounted for", s.Consumed == s.Produced && s.Valid + s.DeadLettered == s.Consumed ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(WindowTable(s, maxRows: 15));
        AnsiConsole.Write(table);
    }

    private static long[] Sum(IEnumerable<WindowCountRow> rows)
    {
        var sum = new long[EventTypes.All.Count];
        foreach (var r in rows) Add(sum, r.ByType);
        return sum;
    }

    private static void Add(long[] into, long[] from)
    {
        for (var i = 0; i < into.Length; i++) into[i] += from[i];
    }
}
