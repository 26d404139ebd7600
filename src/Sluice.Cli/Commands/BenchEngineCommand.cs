using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Core.Errors;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench engine</c>: the whole clickstream chain in process, over generated traffic or a JSON-lines file.</summary>
internal static class BenchEngineCommand
{
    internal static Command Create()
    {
        var input = new Option<FileInfo?>("--input") { Description = "JSON lines of v3 events (missing fields are null); default: generated traffic" };
        var events = new Option<int>("--events") { Description = "Events to generate (ignored with --input)", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v >= 1, "--events must be a positive whole number");
        var partitions = new Option<int>("--partitions") { Description = "Partitions, one task and thread each", DefaultValueFactory = _ => 2 }
            .Require(v => v is >= 1 and <= 256, "--partitions must be between 1 and 256");
        var format = new Option<string>("--format")
            {
                Description = "Wire format of generated traffic: avro (Confluent-framed v3, what the pipeline carries) or json",
                DefaultValueFactory = _ => "avro",
            }
            .Require(v => v is "avro" or "json", "--format must be avro or json");
        var iterations = new Option<int>("--iterations")
            {
                Description = "Timed passes after one untimed warm-up pass; the table shows the median pass",
                DefaultValueFactory = _ => 3,
            }
            .Require(v => v is >= 1 and <= 100, "--iterations must be between 1 and 100");
        var serialize = new Option<bool>("--serialize")
        {
            Description = "Also write every output record as the processor sends it to Kafka (JSON into reused buffers), without sending it",
        };
        var command = new Command("engine", "Run decode → validate → dedupe → bots → enrich → every aggregate in process and report throughput, CPU and allocation")
        {
            input, events, partitions, format, iterations, serialize,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(input);
            int n = parse.GetValue(events), parts = parse.GetValue(partitions), passes = parse.GetValue(iterations);
            if (file is not null && !file.Exists)
                throw new SluiceException($"input file {file.FullName} does not exist; pass a JSON-lines file of events or leave out --input", isTransient: false);

            var wire = file is not null ? PayloadFormat.Json : parse.GetValue(format) == "json" ? PayloadFormat.Json : PayloadFormat.Avro;
            EngineBenchmarkInput? data = null;
            EngineBenchmarkResult? result = null;
            AnsiConsole.Progress().Start(ctx =>
            {
                var load = ctx.AddTask(file is null ? "generate" : "read", maxValue: file is null ? n : 1);
                if (file is null)
                {
                    data = EngineBenchmark.Generate(n, parts, wire, done => load.Value = done);
                }
                else
                {
                    data = new EngineBenchmarkInput(EngineBenchmark.Split(EngineBenchmark.LoadJsonLines(file.FullName), parts), Schemas: null);
                    load.Value = 1;
                }
                if (data.Events == 0) return;
                var run = ctx.AddTask($"process (warm-up + {passes} timed)", maxValue: passes + 1);
                result = EngineBenchmark.RunPartitioned(data.Partitions, schemas: data.Schemas, iterations: passes, progress: done => run.Value = done,
                    serialize: parse.GetValue(serialize));
            });
            if (result is null)
                throw new SluiceException($"{file?.FullName} holds no events; it needs one JSON event per line", isTransient: false);

            var source = file is null ? $"generated traffic ({wire.ToWireName()})" : $"{file.Name} (json)";
            AnsiConsole.Write(Table(result, parse.GetValue(serialize) ? source + ", outputs serialised" : source));
            return 0;
        });
        return command;
    }

    private static Table Table(EngineBenchmarkResult r, string source)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"Clickstream engine over {source}: {r.Partitions} partition(s), {Environment.ProcessorCount} cores" +
                   (r.Runs.Count > 1 ? $"; the median of {r.Runs.Count} timed passes" : ""));
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("events", $"{r.Events:N0}");
        table.AddRow("seconds", $"{r.Elapsed.TotalSeconds:N3}");
        table.AddRow("events/s", $"{r.EventsPerSecond:N0}");
        if (r.Runs.Count > 1) table.AddRow("events/s per pass", string.Join("  ", r.Runs.Select(v => v.ToString("N0", CultureInfo.InvariantCulture))));
        table.AddRow("CPU-seconds", $"{r.CpuMicrosPerEvent * r.Events / 1e6:N3}");
        table.AddRow("CPU µs/event", $"{r.CpuMicrosPerEvent:N3}");
        table.AddRow("allocated bytes/event", $"{r.AllocatedBytesPerEvent:N0}");
        table.AddRow("GC gen0/gen1/gen2", $"{r.Gen0Collections}/{r.Gen1Collections}/{r.Gen2Collections}");
        table.AddRow("GC pauses", $"{r.GcPause.TotalMilliseconds:N0} ms ({r.GcPause / r.Elapsed:P0} of the run)");
        if (r.OutputBytes > 0) table.AddRow("output bytes/event", $"{(double)r.OutputBytes / r.Events:N0}");
        var topics = new ClickstreamOptions();
        foreach (var (name, topic) in new[]
                 {
                     ("enriched", topics.EnrichedTopic), ("dlq", topics.DeadLetterTopic), ("late", topics.LateTopic), ("bots", topics.BotsTopic),
                     ("aggregated", topics.AggregatedTopic), ("sessions", topics.SessionsTopic),
                 })
        {
            table.AddRow($"output {name}", $"{r.Outputs.GetValueOrDefault(topic):N0}");
        }
        return table;
    }
}
