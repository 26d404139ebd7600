using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Pipelines.Hosting;
using Sluice.Schemas.Registry;
using Sluice.Verification;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice verify</c>: every output topic against a batch recomputation of the input; exit 0 only when they are equal.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster holding the run's topics (default kafka.bootstrapServers)" };
        var manifest = new Option<string?>("--manifest")
        {
            Description = "The manifest `sluice produce --manifest` wrote: the input is regenerated from it when the broker no longer holds all of it",
        };
        var regenerate = new Option<bool>("--regenerate")
        {
            Description = "Regenerate the input from --manifest even when the topic still holds all of it (the records it holds are checked against it)",
        };
        var registry = new Option<string?>("--registry") { Description = "Schema registry URL for Avro input (default schemaRegistry.url)" };
        var examples = new Option<int>("--examples") { Description = "Differences shown per kind and output", DefaultValueFactory = _ => 5 };
        var outputsFrom = new Option<string?>("--outputs-from")
        {
            Description = "Read the outputs from the directory `sluice record --dir` wrote instead of the topics (for runs larger than the broker keeps)",
        }.Require(v => v is null || Directory.Exists(v), "--outputs-from names no directory; pass the one `sluice record --dir` wrote");
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for a topic read to make progress", DefaultValueFactory = _ => 120 };
        var command = new Command("verify",
            "Recompute every output from the input in batch and compare with the output topics by stable id: missing, extra, different, duplicated")
        {
            bootstrap, manifest, regenerate, registry, examples, timeout, outputsFrom,
        };
        var (store, warehouse, lake) = VerifyStores.AddOptions(command);
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(registry, "schemaRegistry.url"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            using var stores = VerifyStores.Open(parse, options, store, warehouse, lake);
            var factory = ClusterCommands.ExistingCluster(options, loggers, "verify");
            var topology = ClickstreamProcessor.TopologyOptions(options);
            using var reader = new TopicReader(factory, TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))));

            var input = Verifier.ReadInput(reader, topology.InputTopic, parse.GetValue(manifest), parse.GetValue(regenerate));
            string? recordedOrigin = null;
            var outputs = parse.GetValue(outputsFrom) is { } recording
                ? Verifier.ReadRecordedOutputs(Path.GetFullPath(recording), reader, topology, out recordedOrigin)
                : Verifier.ReadOutputs(reader, topology);
            if (recordedOrigin is not null) AnsiConsole.MarkupLine(Markup.Escape(recordedOrigin));
            // Decoded as the processor decodes: Avro frames too when it has a registry (schemaRegistry.url), JSON only when not.
            using var schemas = options.SchemaRegistry.Url.Length > 0 ? RegistrySchemaSource.Connect(options.SchemaRegistry) : null;
            // The user dimension is recomputed when the processor joins users and the broker still holds every change.
            var changes = Verifier.ReadChanges(reader, topology) ?? input.Changes;
            if (topology.JoinsUsers && changes is null)
                AnsiConsole.MarkupLine(Markup.Escape($"the broker no longer holds all of {topology.UserChangesTopic}: dim_users and the events' profiles are not checked"));
            var result = Verifier.Compare(input, outputs, topology, schemas, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Math.Max(0, parse.GetValue(examples)),
                changes);

            Write(result);
            var storesEqual = stores.CompareAndWrite(input, () => new BatchRecomputation(topology, schemas, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Run(input),
                Math.Max(0, parse.GetValue(examples)));
            return result.IsEqual && storesEqual ? 0 : 1;
        });
        return command;
    }

    private static void Write(VerificationResult result)
    {
        AnsiConsole.MarkupLine(Markup.Escape(result.InputOrigin));
        var table = new Table().Border(TableBorder.Rounded).Title("outputs against their batch recomputation");
        table.AddColumn(new TableColumn("output").NoWrap());
        foreach (var c in new[] { "expected", "pending", "actual", "missing", "extra", "different", "dups", "conflicts" })
            table.AddColumn(new TableColumn(c).RightAligned());
        table.AddColumn("result");
        foreach (var r in result.Outputs)
        {
            table.AddRow(Markup.Escape(r.Topic), N(r.Expected), N(r.Pending), N(r.Actual), Bad(r.Missing), Bad(r.Extra), Bad(r.Different),
                N(r.IdenticalDuplicates), Bad(r.ConflictingDuplicates), r.IsEqual ? "[green]equal[/]" : "[red]DIFFERS[/]");
        }
        table.Caption("pending: windows and sessions the input's watermark has not closed (a processor emits them only at an end of input; " +
            "either is right). dups: repeats identical to the expected record (allowed); conflicts: repeats with other content.");
        AnsiConsole.Write(table);
        foreach (var r in result.Outputs.Where(r => r.Examples.Count > 0))
        {
            AnsiConsole.MarkupLine($"{Markup.Escape(r.Topic)} (by {Markup.Escape(r.Output.IdDescription())}):");
            foreach (var d in r.Examples)
                AnsiConsole.MarkupLine($"  {Kind(d.Kind)} {Markup.Escape(d.Id)}: {Markup.Escape(d.Detail)}");
        }
        var ignored = result.Outputs.Where(r => OutputComparison.IgnoredFields(r.Output).Count > 0)
            .Select(r => $"{r.Topic}: {string.Join(", ", OutputComparison.IgnoredFields(r.Output))}");
        AnsiConsole.MarkupLine(Markup.Escape($"processing-time fields not compared: {string.Join("; ", ignored)}"));
        AnsiConsole.MarkupLine(result.IsEqual
            ? "[green]verify: every output equals its recomputation[/]"
            : $"[red]verify: {result.Outputs.Count(r => !r.IsEqual)} of {result.Outputs.Count} outputs differ from their recomputation[/]");
    }

    private static string Kind(DifferenceKind kind) => kind switch
    {
        DifferenceKind.Missing => "missing",
        DifferenceKind.Extra => "extra",
        DifferenceKind.Different => "different",
        DifferenceKind.IdenticalDuplicate => "duplicate",
        _ => "conflicting duplicate",
    };

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bad(long value) => value == 0 ? "0" : $"[red]{N(value)}[/]";
}
