using System.CommandLine;
using System.Globalization;
using Sluice.App.Bench;
using Sluice.Cli.Hosting;
using Sluice.Generate.Writers;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench e2e</c>: the demo's pipeline end to end against a plain consumer of the same input, alternated, with latency and CPU per thread.</summary>
internal static class BenchE2eCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Click records to produce per round", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v is >= 1_000 and <= 1_000_000_000, "--events must be between 1000 and 1000000000");
        var processors = new Option<int>("--processors") { Description = "Processor group members (1-16)", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 16, "--processors must be between 1 and 16");
        var rounds = new Option<int>("--rounds") { Description = "Rounds of pipeline then plain consumer, each on a fresh embedded broker", DefaultValueFactory = _ => 2 }
            .Require(v => v is >= 1 and <= 20, "--rounds must be between 1 and 20");
        var sinks = new Option<string?>("--sinks")
        {
            Description = "Stores to land the outputs in, comma-separated: duckdb, lake, postgres (needs postgres.connectionString), clickhouse (needs sinks.clickhouse.url), or none (default duckdb,lake, and postgres when postgres.connectionString is set)",
        };
        var rate = new Option<int>("--rate") { Description = "Click records per second to produce; 0 (the default) as fast as the pipeline takes them", DefaultValueFactory = _ => 0 }
            .Require(v => v is >= 0 and <= 10_000_000, "--rate must be between 0 and 10000000");
        var format = new Option<string>("--format") { Description = "Wire format of the input: avro (Confluent-framed v3) or json", DefaultValueFactory = _ => "avro" }
            .Require(v => v is "avro" or "json", "--format must be avro or json");
        var command = new Command("e2e",
            "The demo's pipeline (generator → embedded broker → processor members → stores) from the first event produced to the last output stored, " +
            "against a plain consumer of the same input on the same broker, alternated; latency produce → visible, CPU per event and per thread")
        {
            events, processors, rounds, sinks, rate, format,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse);
            var names = parse.GetValue(sinks) is { } list ? DemoCommand.Stores(list) : null;
            var settings = new E2eBenchmarkSettings(parse.GetValue(events), parse.GetValue(processors), parse.GetValue(rounds),
                parse.GetValue(format) == "json" ? PayloadFormat.Json : PayloadFormat.Avro, names, parse.GetValue(rate));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            E2eBenchmark.Validate(options, settings, loggers);
            var results = E2eBenchmark.Run(options, settings, loggers, p => Console.Error.WriteLine($"  {p}"));
            AnsiConsole.Write(Summary(results, settings, options.Kafka.Partitions));
            AnsiConsole.Write(Threads(results));
            var wrong = results.Select((r, i) => (Round: i + 1, Problem: Problem(r))).Where(x => x.Problem is not null).ToList();
            foreach (var (round, problem) in wrong) Console.Error.WriteLine($"sluice: round {round}: {problem}");
            return wrong.Count == 0 ? 0 : 1;
        });
        return command;
    }

    // A round whose outputs differ from the ground truth measured something else than the pipeline's job.
    private static string? Problem(E2eRound r)
    {
        var s = r.Snapshot;
        if (s.Truth is not { } t) return "the generator left no ground truth";
        if (s.LostInput > 0) return $"the broker deleted {s.LostInput:N0} input records before they were read";
        var o = s.Outputs;
        if (o.Enriched != t.Valid || o.DeadLettered != t.Malformed || o.Late != t.Late || o.Bots != t.Bots)
            return $"the outputs differ from the ground truth (enriched {o.Enriched:N0} of {t.Valid:N0}, dlq {o.DeadLettered:N0} of {t.Malformed:N0}, " +
                   $"late {o.Late:N0} of {t.Late:N0}, bots {o.Bots:N0} of {t.Bots:N0})";
        return null;
    }

    private static Table Summary(IReadOnlyList<E2eRound> rounds, E2eBenchmarkSettings settings, int partitions)
    {
        var stores = rounds[0].Sinks.Count == 0 ? "no stores: outputs visible when the output reader reads them" : "stores: " + string.Join(", ", rounds[0].Sinks);
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"End to end: {settings.Events:N0} click records ({settings.Format.ToWireName()}) per round, {settings.Processors} member(s), {partitions} partitions, " +
                   (settings.Rate > 0 ? $"produced at {settings.Rate:N0}/s, " : "produced as fast as taken, ") +
                   $"{Environment.ProcessorCount} cores; {stores}; rounds alternate pipeline and plain consumer");
        table.AddColumn("measure");
        for (var i = 0; i < rounds.Count; i++) table.AddColumn(new TableColumn($"round {i + 1}").RightAligned());
        if (rounds.Count > 1) table.AddColumn(new TableColumn("median").RightAligned());

        void Row(string what, Func<E2eRound, string> cell, Func<E2eRound, double>? median = null, string format = "N0")
        {
            var cells = new List<string> { what };
            cells.AddRange(rounds.Select(cell));
            if (rounds.Count > 1) cells.Add(median is null ? "" : Median(rounds.Select(median)).ToString(format, Inv));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }

        Row("click records produced", r => N(r.Produced));
        Row("valid events → enriched (read / ground truth)", r => $"{N(r.Snapshot.Outputs.Enriched)} / {N(r.Snapshot.Truth?.Valid ?? 0)}");
        Row("outputs match the ground truth", r => Problem(r) is null ? "yes" : "no");
        Row("pipeline: first produce → all outputs visible, s", r => r.Pipeline.TotalSeconds.ToString("N2", Inv), r => r.Pipeline.TotalSeconds, "N2");
        Row("pipeline events/s", r => N(r.PipelineRate), r => r.PipelineRate);
        Row("plain consumer: input records the broker held", r => N(r.BareMessages));
        Row("plain consumer records/s (same input, same broker)", r => N(r.BareRate), r => r.BareRate);
        Row("ratio pipeline / plain consumer (target ≥ 0.5)", r => r.Ratio.ToString("N2", Inv), r => r.Ratio, "N2");
        foreach (var where in rounds.SelectMany(r => r.Latency).Select(l => l.Where).Distinct())
        {
            LatencySummary? At(E2eRound r) => r.Latency.FirstOrDefault(l => l.Where == where);
            Row($"latency produce → {where}, p50 ms", r => Ms(At(r)?.P50), r => At(r)?.P50.TotalMilliseconds ?? 0, "N1");
            Row($"latency produce → {where}, p99 ms", r => Ms(At(r)?.P99), r => At(r)?.P99.TotalMilliseconds ?? 0, "N1");
            Row($"latency produce → {where}, max ms", r => Ms(At(r)?.Max), r => At(r)?.Max.TotalMilliseconds ?? 0, "N1");
            Row($"latency samples at {where} (1 event in {LatencyProbe.SampleEvery})", r => N(At(r)?.Samples ?? 0));
        }
        Row("process CPU-seconds (host start to end)", r => r.CpuSeconds.ToString("N2", Inv), r => r.CpuSeconds, "N2");
        Row("process CPU µs per click record", r => r.CpuMicrosPerEvent.ToString("N1", Inv), r => r.CpuMicrosPerEvent, "N1");
        Row("plain consumer: process CPU µs per record", r => r.BareCpuMicrosPerRecord.ToString("N2", Inv), r => r.BareCpuMicrosPerRecord, "N2");
        return table;
    }

    private static Table Threads(IReadOnlyList<E2eRound> rounds)
    {
        var groups = rounds.SelectMany(r => r.Threads).GroupBy(t => Stage(t.Name))
            .Select(g => (Stage: g.Key, Seconds: g.Sum(t => t.Seconds), Threads: g.Count()))
            .OrderByDescending(g => g.Seconds).ToList();
        var total = Math.Max(groups.Sum(g => g.Seconds), 1e-9);
        var events = Math.Max(1, rounds.Sum(r => r.Produced));
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"CPU per thread over the pipeline's runs ({rounds.Count} round(s), from /proc/self/task; shares hold under load, absolute rates do not)");
        table.AddColumn("stage (thread names)");
        table.AddColumn(new TableColumn("threads").RightAligned());
        table.AddColumn(new TableColumn("CPU-seconds").RightAligned());
        table.AddColumn(new TableColumn("share").RightAligned());
        table.AddColumn(new TableColumn("µs per click record").RightAligned());
        foreach (var g in groups)
            table.AddRow(Markup.Escape(g.Stage), N(g.Threads), g.Seconds.ToString("N2", Inv), (g.Seconds / total).ToString("P0", Inv),
                (g.Seconds * 1e6 / events).ToString("N2", Inv));
        return table;
    }

    // Sluice names its stage threads sl-… and sink-NAME; librdkafka names its own rdk:… (the mock cluster's thread among them); the runtime .NET ….
    internal static string Stage(string thread) => thread switch
    {
        "sl-generator" => "generator: generate, encode, produce calls (sl-generator)",
        _ when thread.StartsWith("sl-processor", StringComparison.Ordinal) => "processor members: consume calls, decode, topology, output produce calls (sl-processor-N)",
        "sl-reader" => "output reader (sl-reader)",
        _ when thread.StartsWith("sluice-producer", StringComparison.Ordinal) => "producers' delivery-report polling (sluice-producer-poll)",
        _ when thread.StartsWith("sink-", StringComparison.Ordinal) => $"store: its sink runner and writes ({thread})",
        _ when thread.Contains("mock", StringComparison.OrdinalIgnoreCase) => $"embedded broker: librdkafka mock cluster ({thread})",
        _ when thread.StartsWith("rdk:", StringComparison.Ordinal) => "Kafka clients' librdkafka threads, every client (rdk:main, rdk:broker…)",
        _ when thread.StartsWith(".NET", StringComparison.Ordinal) => "runtime: GC, JIT, thread pool (.NET …)",
        _ => $"other ({thread})",
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string N(double value) => value.ToString("N0", Inv);

    private static string Ms(TimeSpan? t) => t is { } v ? v.TotalMilliseconds.ToString("N1", Inv) : "";
}
