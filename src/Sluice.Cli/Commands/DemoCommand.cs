using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Serve;
using Sluice.Serve.Api;
using Sluice.Serve.Health;
using Sluice.Core.Diagnostics;
using Sluice.Core.Events;
using Sluice.Generate.Writers;
using Sluice.App.Demo;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice demo</c>: generator, broker, processors and a reader of the outputs in one process.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var events = new Option<long?>("--events") { Description = "Stop after producing this many click events" }
            .Require(v => v is null or > 0, "--events must be a positive whole number, for example --events 20000");
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = $"Stop producing after this long, hh:mm:ss, at most {OptionRules.MaxWallClock.TotalDays:0} days (default 00:00:30 unless --events is given)",
        }.Require(v => v is null || (v > TimeSpan.Zero && v <= OptionRules.MaxWallClock),
            $"--duration must be positive and at most {OptionRules.MaxWallClock.TotalDays:0} days, written hh:mm:ss or d.hh:mm:ss, for example --duration 00:01:00");
        var rate = new Option<int?>("--rate") { Description = "Events per second; 0 = as fast as possible (default 2000, or 0 with --events)" }
            .Require(v => v is null or >= 0, "--rate must be 0 or more events per second");
        var processors = new Option<int>("--processors") { Description = "Processor group members to run (1-16)", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 16, "--processors must be between 1 and 16");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "A Kafka cluster to use instead of the embedded broker (default kafka.bootstrapServers)" };
        var noLive = new Option<bool>("--no-live") { Description = "Print progress lines instead of the live table" };
        var format = new Option<string>("--format")
        {
            Description = "How events travel: avro (Confluent wire format; the v3 schema, or with --domain the schema generated from the file, is " +
                          "registered with schemaRegistry.url, or an embedded registry when that is empty) or json",
            DefaultValueFactory = _ => "avro",
        };
        format.AcceptOnlyFromAmong("avro", "json");
        var sinks = new Option<string?>("--sinks")
        {
            Description = "Stores to land the outputs in, comma-separated: duckdb (warehouse.path), lake (lake.path), postgres (postgres.connectionString), " +
                          "clickhouse (sinks.clickhouse.url), or none (default duckdb,lake, and postgres when postgres.connectionString is set)",
        };

        var domain = new Option<string?>("--domain")
        {
            Description = "Run a domain file that describes its own event instead of the clickstream: a name under config/domains (iot) or a " +
                          "file; its simulation generates --events readings (default 20000) and the outputs are checked against their ground truth",
        };
        var stay = new Option<bool>("--stay")
        {
            Description = "Once the run has finished and its summary is printed, keep serving the dashboard, API and metrics until Ctrl+C",
        };

        var command = new Command("demo", "Run generator, broker, processors and an output reader together and watch it live")
        {
            events, duration, rate, processors, bootstrap, noLive, format, sinks, stay, domain,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(domain) is { } domainName)
            {
                // What only the clickstream's demo has (pacing, Avro, stores, the dashboard) is refused, not ignored.
                foreach (var option in new Option[] { duration, rate, sinks, stay })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new UsageException($"{option.Name} does not apply to --domain, which produces --events readings and reads its topics back");
                return await DomainDemoView.RunAsync(parse, DomainFile(domainName), events, processors, bootstrap, format, ct).ConfigureAwait(false);
            }
            var stores = parse.GetValue(sinks) is { } named ? Stores(named) : null;
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"));
            var live = !parse.GetValue(noLive) && !Console.IsOutputRedirected;
            // While the live table owns the terminal, only warnings and errors are logged.
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, live ? LogLevel.Warning : null);
            var maxEvents = parse.GetValue(events);
            var settings = new PipelineDemoSettings
            {
                Events = maxEvents,
                Duration = parse.GetValue(duration) ?? (maxEvents is null ? TimeSpan.FromSeconds(30) : null),
                Rate = parse.GetValue(rate) ?? (maxEvents is null ? 2000 : 0),
                Processors = parse.GetValue(processors),
                Format = parse.GetValue(format) == "json" ? PayloadFormat.Json : PayloadFormat.Avro,
                Sinks = stores ?? DemoSinks.Default(options),
            };
            // Past kafka.unavailableDeadline the run stops and RunAsync throws the availability watch's one line.
            var demo = new PipelineDemo(options, settings, loggers);
            demo.AddService(new DemoViewService(demo, live, loggers.CreateLogger("Sluice.Demo")));
            // Every value is checked before anything starts, the server included.
            PipelineDemo.Validate(options, settings);
            var warehouse = WarehouseChoice.ForDemo(options, settings.Sinks);
            using var disposeWarehouse = warehouse.Reader as IDisposable;
            // The server wraps the run rather than being one of its services, so that with --stay it outlives it.
            var server = options.Observe.Enabled
                ? new ObserveServer(options.Observe, options.Dashboard, DemoReadiness(demo, options), loggers.CreateLogger("Sluice.Observe"))
                {
                    Mode = "demo",
                    Warehouse = warehouse.Reader,
                    NoWarehouse = warehouse.Reader is null ? warehouse.NoWarehouse : "",
                    OnStarted = url => Console.WriteLine($"dashboard at {url}; metrics and health at {url}metrics, {url}healthz, {url}readyz; " +
                                                         $"API at {url}api/status (all of it in {url}openapi/v1.json)"),
                }
                : null;
            try
            {
                if (server is not null) await server.StartAsync(ct).ConfigureAwait(false);
                await demo.RunAsync(ct).ConfigureAwait(false);
                var final = demo.Snapshot();
                var matches = DemoView.PrintSummary(final, options.Kafka.Topics.Events, Describe(demo, options));
                if (ct.IsCancellationRequested) return 130;
                if (parse.GetValue(stay) && server?.Url is { } url)
                {
                    Console.WriteLine($"the dashboard stays at {url} until Ctrl+C");
                    await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                }
                return matches ? 0 : 1;
            }
            finally
            {
                if (server is not null) await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });
        return command;
    }

    /// <summary>The file of a <c>--domain</c> value: a path to a file, or a name under <c>config/domains</c> (<c>iot</c>).</summary>
    internal static string DomainFile(string value)
    {
        if (File.Exists(value)) return value;
        var byName = Path.Combine("config", "domains", value + ".yaml");
        if (!value.Contains('/', StringComparison.Ordinal) && !value.Contains('\\', StringComparison.Ordinal) && File.Exists(byName)) return byName;
        throw new UsageException($"--domain: {value} is neither a file nor a domain under config/domains (such as iot, from the repository root)");
    }

    /// <summary>The stores of a <c>--sinks</c> value: a comma-separated list of <see cref="SinkCatalog.Names"/>, or <c>none</c>.</summary>
    internal static IReadOnlyList<string> Stores(string value) =>
        value.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? [] : SinkCommand.Targets([value], "--sinks");

    // The demo's /readyz: its processors own partitions, its sinks write, its lag is under observe.readyMaxLag.
    private static IReadOnlyList<IReadinessCheck> DemoReadiness(PipelineDemo demo, Sluice.Core.Configuration.SluiceOptions options) =>
    [
        new ReadinessCheck("partitions", () => demo.Ownership.Partitions > 0
            ? ReadinessResult.Pass($"{demo.Ownership.Partitions} partition(s) owned by {demo.Ownership.Members} member(s)")
            : ReadinessResult.Fail("no partition assigned yet")),
        new ReadinessCheck("sinks", ProcessorReadinessChecks.Sinks),
        new ReadinessCheck("lag", () => Sluice.Streaming.Kafka.KafkaInstruments.TotalLag is { } lag && lag > options.Observe.ReadyMaxLag
            ? ReadinessResult.Fail($"{lag} record(s) behind, over observe.readyMaxLag {options.Observe.ReadyMaxLag}")
            : ReadinessResult.Pass($"{Sluice.Streaming.Kafka.KafkaInstruments.TotalLag?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not measured"} record(s) behind")),
    ];

    // What travelled on the events topic, for the summary: the format and, for Avro, the registry and schema id.
    private static string Describe(PipelineDemo demo, Core.Configuration.SluiceOptions options) => demo.Format == PayloadFormat.Avro
        ? $"Avro in the Confluent wire format, schema id {demo.SchemaId} ({PipelineDemo.ValueSubject(options)}) from the registry at {demo.SchemaRegistryUrl}"
        : "json";
}

/// <summary>The demo's view as a hosted service of its run: the live table, or progress lines with <c>--no-live</c>, until the run stops.</summary>
internal sealed class DemoViewService(PipelineDemo demo, bool live, ILogger logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => DemoView.ShowAsync(demo, stoppingToken, live, logger);
}

/// <summary>Renders the demo: a live view while it runs, and a summary against the ground truth at the end.</summary>
internal static class DemoView
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Shows <paramref name="demo"/> until <paramref name="stop"/>, then its state once more.</summary>
    public static async Task ShowAsync(PipelineDemo demo, CancellationToken stop, bool live, ILogger? memory = null)
    {
        if (!live)
        {
            while (true)
            {
                var stopped = await PauseAsync(TimeSpan.FromSeconds(2), stop).ConfigureAwait(false);
                var s = demo.Snapshot();
                var o = s.Outputs;
                var m = ProcessMemory.Read();
                Console.WriteLine($"{s.Elapsed:mm\\:ss} produced {s.Produced:N0}  processed {s.Processed:N0}  enriched {o.Enriched:N0}  " +
                                  $"dead-lettered {o.DeadLettered:N0}  late {o.Late:N0}  bots {o.Bots:N0}  windows final {o.EventsPerMinute.Count:N0}  " +
                                  $"rss {m.ResidentBytes >> 20:N0} MB");
                // Where the memory is, at debug: --set logging.level=Debug.
                memory?.LogDebug("memory: {Memory}", m);
                if (stopped) return;
            }
        }

        await AnsiConsole.Live(new Markup("starting…")).AutoClear(false).StartAsync(async ctx =>
        {
            do ctx.UpdateTarget(Render(demo.Snapshot()));
            while (!await PauseAsync(TimeSpan.FromMilliseconds(250), stop).ConfigureAwait(false));
            ctx.UpdateTarget(Render(demo.Snapshot()));
        }).ConfigureAwait(false);
    }

    // Waits, or less when stopped; true when stopped.
    private static async Task<bool> PauseAsync(TimeSpan wait, CancellationToken stop)
    {
        try
        {
            await Task.Delay(wait, stop).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    private static Rows Render(PipelineDemoSnapshot s)
    {
        var o = s.Outputs;
        var rate = s.Elapsed.TotalSeconds > 0 ? s.Processed / s.Elapsed.TotalSeconds : 0;
        var header = new Markup(
            $"[bold]Sluice demo[/]  {s.Elapsed:mm\\:ss}  produced [green]{s.Produced:N0}[/]  processed {s.Processed:N0} ({rate:N0}/s) by {s.Members.Count} member(s)\n" +
            $"enriched {o.Enriched:N0}   dead-lettered [red]{o.DeadLettered:N0}[/]   late [yellow]{o.Late:N0}[/]   bots {o.Bots:N0}   " +
            $"aggregate rows {o.AggregateRows:N0}   sessions {o.Sessions:N0}");
        return new Rows(header, WindowTable(o.EventsPerMinute, null, maxRows: 10), ReasonTable(o.DeadLettersByReason));
    }

    /// <summary>Events per type per final 1-minute window, summed over partitions; with ground truth, mismatches are marked.</summary>
    private static Table WindowTable(IReadOnlyDictionary<long, long[]> windows, IReadOnlyDictionary<long, long[]>? expected, int maxRows)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("valid events per type in final 1-minute event-time windows (clickstream.aggregated)");
        table.AddColumn("window (UTC)");
        foreach (var t in EventTypes.All) table.AddColumn(new TableColumn(t.ToWireName()).RightAligned());
        table.AddColumn(new TableColumn("total").RightAligned());
        if (expected is not null) table.AddColumn("= truth");
        var starts = windows.Keys.Order().ToList();
        foreach (var start in starts.Skip(Math.Max(0, starts.Count - maxRows)))
        {
            var counts = windows[start];
            var row = new List<string> { DateTimeOffset.FromUnixTimeMilliseconds(start).ToString("MM-dd HH:mm", Inv) };
            row.AddRange(counts.Select(n => n.ToString("N0", Inv)));
            row.Add(counts.Sum().ToString("N0", Inv));
            if (expected is not null)
                row.Add(expected.TryGetValue(start, out var e) && e.SequenceEqual(counts) ? "[green]yes[/]" : "[red]no[/]");
            table.AddRow(row.ToArray());
        }
        if (starts.Count > maxRows) table.Caption($"{starts.Count - maxRows:N0} earlier window(s) not shown");
        return table;
    }

    private static Table ReasonTable(IReadOnlyDictionary<string, long> reasons)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("dead letters by reason code");
        table.AddColumn("reason code");
        table.AddColumn(new TableColumn("records").RightAligned());
        foreach (var (reason, n) in reasons.OrderByDescending(kv => kv.Value)) table.AddRow(reason, n.ToString("N0", Inv));
        return table;
    }

    /// <summary>Prints the final tables; true when every output matches the generator's ground truth.</summary>
    public static bool PrintSummary(PipelineDemoSnapshot s, string eventsTopic, string payloads)
    {
        var o = s.Outputs;
        var truth = s.Truth;
        AnsiConsole.Write(WindowTable(o.EventsPerMinute, truth?.Windows, maxRows: 12));
        AnsiConsole.Write(ReasonTable(o.DeadLettersByReason));

        var table = new Table().Border(TableBorder.Rounded).Title("demo summary: what the generator sent vs what the pipeline wrote");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("ground truth").RightAligned());
        table.AddColumn(new TableColumn("pipeline").RightAligned());
        table.AddColumn("match");
        var allMatch = truth is not null;
        void Row(string what, long? expected, long actual)
        {
            var ok = expected is null || expected == actual;
            allMatch &= ok;
            table.AddRow(what, expected?.ToString("N0", Inv) ?? "", actual.ToString("N0", Inv), expected is null ? "" : ok ? "[green]yes[/]" : "[red]no[/]");
        }
        var windowsMatch = truth is not null && truth.Windows.Count == o.EventsPerMinute.Count &&
                           truth.Windows.All(kv => o.EventsPerMinute.TryGetValue(kv.Key, out var c) && c.SequenceEqual(kv.Value));
        Row($"click events produced → {eventsTopic}", truth?.Records, s.Produced);
        Row("processed by the consumer group", truth?.Records, s.Processed);
        Row("input deleted by the broker before it was read", 0, s.LostInput);
        Row("valid → clickstream.enriched", truth?.Valid, o.Enriched);
        Row("malformed → clickstream.dlq", truth?.Malformed, o.DeadLettered);
        Row("late → clickstream.late", truth?.Late, o.Late);
        Row("bots → clickstream.bots", truth?.Bots, o.Bots);
        Row("duplicates dropped", truth?.Duplicates, s.Processed - o.Enriched - o.DeadLettered - o.Late - o.Bots);
        Row("final 1-minute windows", truth?.Windows.Count, o.EventsPerMinute.Count);
        allMatch &= windowsMatch;
        table.AddRow("every window's per-type counts", "", "", windowsMatch ? "[green]yes[/]" : "[red]no[/]");
        table.AddRow("sessions → clickstream.sessions", "", o.Sessions.ToString("N0", Inv), "");
        if (o.ProfileVersions > 0 || truth?.ProfileVersions > 0)
        {
            Row("profile versions → clickstream.dim_users", truth?.ProfileVersions, o.ProfileVersions);
            Row("users with a current profile", truth?.CurrentUsers, o.CurrentUsers);
            table.AddRow("events joined to their user's profile", "", o.EventsJoined.ToString("N0", Inv), "");
            table.AddRow("profile corrections → clickstream.corrections", "", o.Corrections.ToString("N0", Inv), "");
        }
        table.AddRow("elapsed", "", $"{s.Elapsed.TotalSeconds:N1} s", "");
        table.AddRow("throughput (processed)", "", $"{s.Processed / Math.Max(s.Elapsed.TotalSeconds, 1e-9):N0} events/s", "");
        AnsiConsole.Write(table);
        // Plain text: the console would wrap a markup line at its width, splitting the URL.
        Console.WriteLine($"payloads on {eventsTopic}: {payloads}");
        foreach (var (sink, written) in s.Sinks ?? new Dictionary<string, long>())
            Console.WriteLine($"sink {sink}: {written.ToString("N0", Inv)} output records stored");
        AnsiConsole.MarkupLine(allMatch ? "[green]every output matches the ground truth[/]" : "[red]the outputs do not match the ground truth[/]");
        return allMatch;
    }
}
