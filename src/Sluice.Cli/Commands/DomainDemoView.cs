using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sluice.App.Demo;
using Sluice.Cli.Hosting;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice demo --domain FILE</c>: a domain's simulation through its own topology, and a summary against the ground truth.</summary>
internal static class DomainDemoView
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the demo of <paramref name="file"/> and prints its summary; 0 when every output matches the ground truth, 1 otherwise.</summary>
    public static async Task<int> RunAsync(ParseResult parse, string file, Option<long?> events, Option<int> processors, Option<string?> bootstrap, Option<string> format, CancellationToken ct)
    {
        var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"));
        options.Processor.Domain = file;
        using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, LogLevel.Warning);
        var count = parse.GetValue(events) ?? 20_000;
        if (count > int.MaxValue) throw new UsageException($"--events: a domain demo generates at most {int.MaxValue:N0} readings");
        DomainDemo.Compile(options);
        var settings = new DomainDemoSettings
        {
            Events = (int)count, Seed = options.Generator.Seed, Processors = parse.GetValue(processors),
            Format = parse.GetValue(format) == "json" ? Generate.Writers.PayloadFormat.Json : Generate.Writers.PayloadFormat.Avro,
        };
        Console.WriteLine($"demo of {file}: {settings.Events:N0} readings from seed {settings.Seed}, {settings.Processors} processor member(s), {(settings.Format == Generate.Writers.PayloadFormat.Json ? "JSON" : "Avro")}");
        var result = await new DomainDemo(options, settings, loggers).RunAsync(ct).ConfigureAwait(false);
        return PrintSummary(result) ? 0 : 1;
    }

    /// <summary>Prints what the generator sent, the ground truth and what the pipeline wrote; true when all of it matches.</summary>
    public static bool PrintSummary(DomainDemoResult r)
    {
        var truth = r.Truth;
        var o = r.Outputs;
        var table = new Table().Border(TableBorder.Rounded).Title($"demo summary ({r.Domain}): the ground truth vs what the pipeline wrote");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("expected").RightAligned());
        table.AddColumn(new TableColumn("actual").RightAligned());
        table.AddColumn("equal");
        void Row(string what, long expected, long actual, bool? equal = null)
        {
            var ok = equal ?? expected == actual;
            table.AddRow(Markup.Escape(what), expected.ToString("N0", Inv), actual.ToString("N0", Inv), ok ? "[green]yes[/]" : "[red]no[/]");
        }
        Row($"readings produced → {r.InputTopic}", truth.Records, r.Produced);
        Row("readings processed", truth.Records, r.Processed);
        Row("valid (on time, first seen)", truth.Valid, o.Valid);
        foreach (var code in truth.DeadLetters.Keys.Union(o.DeadLetters.Keys).Order(StringComparer.Ordinal))
            Row($"dead letters: {code}", truth.DeadLetters.GetValueOrDefault(code), o.DeadLetters.GetValueOrDefault(code));
        Row("duplicates dropped", truth.Duplicates, r.DuplicatesDropped);
        Row("late", truth.Late, o.Late);
        foreach (var aggregate in r.Aggregates)
            Row($"{aggregate} rows", truth.RowCount(aggregate), o.Rows.Keys.Count(k => k.Aggregate == aggregate), r.AggregateMatches(aggregate));
        AnsiConsole.Write(table);
        var t = r.Traffic;
        Console.WriteLine($"faults sent: {t.Count(Generate.Domains.ReadingFault.OutOfRange):N0} out of range, {t.Count(Generate.Domains.ReadingFault.Duplicate):N0} duplicates, " +
                          $"{t.Count(Generate.Domains.ReadingFault.Late):N0} late, {t.Count(Generate.Domains.ReadingFault.Disorder):N0} out of order within the bound, " +
                          $"{t.Silences:N0} silences, {t.DriftingDevices:N0} of {t.Devices:N0} devices drifting");
        Console.WriteLine($"{r.Partitions} partitions, {r.Elapsed.TotalSeconds:N1} s from the first reading produced to the outputs read");
        Console.WriteLine(r.Schema is { } s
            ? $"readings travelled as Avro in the Confluent wire format: schema id {s.Id} ({s.Subject}, generated from the domain file) from the registry at {s.Registry}"
            : "readings travelled as JSON");
        var matches = r.Matches;
        Console.WriteLine(matches ? "every output matches the ground truth" : "the outputs do not match the ground truth");
        return matches;
    }
}
