using System.CommandLine;
using System.Globalization;
using Sluice.App.Bench;
using Sluice.Cli.Hosting;
using Sluice.Core.Errors;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
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
        var iterations = new Option<int?>("--iterations")
            {
                Description = "Timed passes after one untimed warm-up pass; the table shows the median pass (default 3; with --checkpoint-interval, pairs of passes, default 4)",
            }
            .Require(v => v is null or >= 1 and <= 100, "--iterations must be between 1 and 100");
        var checkpointInterval = new Option<TimeSpan?>("--checkpoint-interval")
        {
            Description = "Also measure checkpoints: pairs of passes without and with a snapshot of every task at this interval of processing " +
                          "(10s, 500ms or hh:mm:ss) into a directory store in a temporary folder, alternated; reports the CPU ratio and the snapshots",
            CustomParser = ParseInterval,
        };
        var users = new Option<int?>("--users") { Description = "Users in the generated traffic (generator default 10,000)" }
            .Require(v => v is null or >= 1 and <= 50_000_000, "--users must be between 1 and 50000000");
        var sessions = new Option<int?>("--concurrent-sessions")
            {
                Description = "Sessions in progress at once in the generated traffic (default users / 100); many leave many sessions open in the state",
            }
            .Require(v => v is null or >= 1 and <= 1_000_000, "--concurrent-sessions must be between 1 and 1000000");
        var serialize = new Option<bool>("--serialize")
        {
            Description = "Also write every output record as the processor sends it to Kafka (JSON into reused buffers), without sending it",
        };
        var metrics = new Option<bool>("--metrics")
        {
            Description = "Measure what metrics cost: pairs of passes without and with the instruments attached and collected every 100 ms, alternated; reports the CPU ratio",
        };
        var command = new Command("engine", "Run decode → validate → dedupe → bots → enrich → every aggregate in process and report throughput, CPU and allocation")
        {
            input, events, partitions, format, iterations, serialize, checkpointInterval, users, sessions, metrics,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(input);
            // The topology as configured: processor.domain's rules, quality on or off, the processor's limits.
            var topologyOptions = ClickstreamProcessor.TopologyOptions(GlobalOptions.LoadOptions(parse));
            var interval = parse.GetValue(checkpointInterval);
            int n = parse.GetValue(events), parts = parse.GetValue(partitions), passes = parse.GetValue(iterations) ?? (interval is null ? 3 : 4);
            if (file is not null && !file.Exists)
                throw new SluiceException($"input file {file.FullName} does not exist; pass a JSON-lines file of events or leave out --input", isTransient: false);

            var wire = file is not null ? PayloadFormat.Json : parse.GetValue(format) == "json" ? PayloadFormat.Json : PayloadFormat.Avro;
            EngineBenchmarkInput? data = null;
            EngineBenchmarkResult? result = null;
            CheckpointCostResult? cost = null;
            MetricsCostResult? metricsCost = null;
            AnsiConsole.Progress().Start(ctx =>
            {
                var load = ctx.AddTask(file is null ? "generate" : "read", maxValue: file is null ? n : 1);
                if (file is null)
                {
                    data = EngineBenchmark.Generate(n, parts, wire, done => load.Value = done, parse.GetValue(users), parse.GetValue(sessions));
                }
                else
                {
                    data = new EngineBenchmarkInput(EngineBenchmark.Split(EngineBenchmark.LoadJsonLines(file.FullName), parts), Schemas: null);
                    load.Value = 1;
                }
                if (data.Events == 0) return;
                if (interval is { } every)
                {
                    var pairs = ctx.AddTask($"process (warm-up + {passes} pairs without and with checkpoints)", maxValue: 2 * passes + 1);
                    cost = EngineBenchmark.RunCheckpointComparison(data.Partitions, every, passes, data.Schemas, progress: done => pairs.Value = done);
                    result = cost.On;
                    return;
                }
                if (parse.GetValue(metrics))
                {
                    var pairs = ctx.AddTask($"process (warm-up + {passes} pairs without and with metrics)", maxValue: 2 * passes + 1);
                    metricsCost = EngineBenchmark.RunMetricsComparison(data.Partitions, passes, data.Schemas, progress: done => pairs.Value = done);
                    result = metricsCost.On;
                    return;
                }
                var run = ctx.AddTask($"process (warm-up + {passes} timed)", maxValue: passes + 1);
                result = EngineBenchmark.RunPartitioned(data.Partitions, topologyOptions, schemas: data.Schemas, iterations: passes, progress: done => run.Value = done,
                    serialize: parse.GetValue(serialize));
            });
            if (result is null)
                throw new SluiceException($"{file?.FullName} holds no events; it needs one JSON event per line", isTransient: false);

            var source = file is null ? $"generated traffic ({wire.ToWireName()})" : $"{file.Name} (json)";
            if (metricsCost is not null)
            {
                AnsiConsole.Write(MetricsTable(metricsCost, source));
                return 0;
            }
            if (cost is not null)
            {
                AnsiConsole.Write(CheckpointTable(cost, source));
                return 0;
            }
            AnsiConsole.Write(Table(result, parse.GetValue(serialize) ? source + ", outputs serialised" : source));
            return 0;
        });
        return command;
    }

    // 10s, 500ms, 2m or a TimeSpan (00:00:10).
    private static TimeSpan? ParseInterval(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        TimeSpan? span = null;
        foreach (var (suffix, unit) in new[] { ("ms", 0.001), ("s", 1.0), ("m", 60.0) })
        {
            if (text.Length > suffix.Length && text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
            {
                span = TimeSpan.FromSeconds(n * unit);
                break;
            }
        }
        if (span is null && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed)) span = parsed;
        if (span is not { } value || value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
        {
            result.AddError($"--checkpoint-interval '{text}' is not a positive interval of at most an hour; write for example 10s, 500ms or 00:00:10");
            return null;
        }
        return value;
    }

    private static Table MetricsTable(MetricsCostResult m, string source)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"Metrics cost over {source}: {m.On.Partitions} partition(s), {Environment.ProcessorCount} cores; " +
                   $"{m.CpuRatios.Count} pairs of passes without and with metrics (collected every {m.CollectInterval.TotalMilliseconds:0} ms), alternated");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("events per pass", m.On.Events.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("CPU per event, metrics off (median pass)", $"{m.Off.CpuMicrosPerEvent.ToString("F2", CultureInfo.InvariantCulture)} us");
        table.AddRow("CPU per event, metrics on (median pass)", $"{m.On.CpuMicrosPerEvent.ToString("F2", CultureInfo.InvariantCulture)} us");
        table.AddRow("CPU ratio on/off per pair", string.Join(" ", m.CpuRatios.Select(r => r.ToString("F3", CultureInfo.InvariantCulture))));
        table.AddRow("CPU ratio on/off (median pair)", m.MedianRatio.ToString("F3", CultureInfo.InvariantCulture));
        table.AddRow("events/s off / on (median)", $"{m.Off.EventsPerSecond.ToString("N0", CultureInfo.InvariantCulture)} / {m.On.EventsPerSecond.ToString("N0", CultureInfo.InvariantCulture)}");
        table.AddRow("collections in the median on pass", m.Collections.ToString(CultureInfo.InvariantCulture));
        return table;
    }

    private static Table CheckpointTable(CheckpointCostResult c, string source)
    {
        var s = c.Snapshots;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"Checkpoint cost over {source}: {c.On.Partitions} partition(s), {Environment.ProcessorCount} cores; " +
                   $"{c.CpuRatios.Count} pairs of passes without and with a checkpoint of every task every {c.Interval.TotalSeconds:0.###} s, alternated");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("events per pass", $"{c.On.Events:N0}");
        table.AddRow("CPU µs/event without checkpoints (median pass)", $"{c.Off.CpuMicrosPerEvent:N3}");
        table.AddRow("CPU µs/event with checkpoints (median pass)", $"{c.On.CpuMicrosPerEvent:N3}");
        table.AddRow("CPU ratio with/without, per pair", string.Join("  ", c.CpuRatios.Select(r => r.ToString("N3", CultureInfo.InvariantCulture))));
        table.AddRow("CPU ratio, median of the pairs", $"{c.MedianCpuRatio:N3}");
        table.AddRow("events/s without / with (median passes)", $"{c.Off.EventsPerSecond:N0} / {c.On.EventsPerSecond:N0}");
        table.AddRow("checkpoints in the median pass (all tasks)", $"{s.Count:N0}");
        if (s.Count > 0)
        {
            table.AddRow("state per checkpoint, mean / largest", $"{s.Bytes / s.Count:N0} / {s.MaxBytes:N0} bytes");
            table.AddRow("snapshot (serialise) per checkpoint, mean", $"{s.SnapshotTime.TotalMilliseconds / s.Count:N1} ms");
            table.AddRow("persist (write, fsync, rename) per checkpoint, mean", $"{s.PersistTime.TotalMilliseconds / s.Count:N1} ms");
        }
        table.AddRow("state of all tasks at the end of the input", $"{s.FinalBytes:N0} bytes, serialised in {s.FinalSnapshotTime.TotalMilliseconds:N0} ms");
        return table;
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
