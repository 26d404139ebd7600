using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Sluice.App.DeadLetters;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Schemas.Registry;
using Sluice.Verification;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice dlq list | show | replay</c>: the dead letters by reason and time, one by one, and back through the pipeline.</summary>
internal static class DlqCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var command = new Command("dlq", "Browse the dead-letter topic by reason and time, and replay chosen dead letters after fixing a rule or a schema");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Replay());
        return command;
    }

    private sealed record Selection(Option<string[]> Reasons, Option<DateTimeOffset?> Since, Option<DateTimeOffset?> Until, Option<string[]> Letters, Option<string?> Bootstrap)
    {
        public IEnumerable<Option> All => [Reasons, Since, Until, Letters, Bootstrap];

        public static Selection Create() => new(
            new Option<string[]>("--reason") { Description = "Only letters with this reason code (repeatable)", AllowMultipleArgumentsPerToken = true },
            new Option<DateTimeOffset?>("--since") { Description = "Only letters that failed at or after this time (ISO 8601, UTC unless an offset is given)" },
            new Option<DateTimeOffset?>("--until") { Description = "Only letters that failed before this time" },
            new Option<string[]>("--letter") { Description = "Only this letter, PARTITION:OFFSET on the dead-letter topic (repeatable)", AllowMultipleArgumentsPerToken = true }
                .Require(v => v.All(IsLetterId), "--letter takes PARTITION:OFFSET, such as --letter 0:1234"),
            new Option<string?>("--bootstrap-servers") { Description = "The cluster (default kafka.bootstrapServers)" });

        public DeadLetterFilter Filter(ParseResult parse) => new(
            (parse.GetValue(Reasons) ?? []).ToHashSet(StringComparer.Ordinal),
            parse.GetValue(Since)?.ToUnixTimeMilliseconds(), parse.GetValue(Until)?.ToUnixTimeMilliseconds(),
            (parse.GetValue(Letters) ?? []).ToHashSet(StringComparer.Ordinal));

        private static bool IsLetterId(string v) =>
            v.Split(':') is [var p, var o] && int.TryParse(p, NumberStyles.None, Inv, out _) && long.TryParse(o, NumberStyles.None, Inv, out _);
    }

    private static Command List()
    {
        var s = Selection.Create();
        var command = new Command("list", "Count the dead letters by reason: how many, when the first and last failed, how many were replayed and what they became");
        foreach (var o in s.All) command.Options.Add(o);
        command.SetAction(parse => WithLog(parse, s, (options, factory, log, letters) =>
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"dead letters on {Markup.Escape(log.Topic)} ({letters.Count:N0})");
            table.AddColumn("reason code");
            table.AddColumn(new TableColumn("letters").RightAligned());
            table.AddColumn("first failed");
            table.AddColumn("last failed");
            table.AddColumn(new TableColumn("replayed").RightAligned());
            table.AddColumn("became (replayed)");
            foreach (var g in letters.GroupBy(l => l.ReasonCode).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
            {
                var marks = g.Select(l => log.Marks.GetValueOrDefault(l.Id)).OfType<ReplayMark>().ToList();
                var became = string.Join(", ", marks.GroupBy(m => m.Became).OrderByDescending(b => b.Count()).Select(b => $"{b.Key} {b.Count():N0}"));
                table.AddRow(Markup.Escape(g.Key), g.Count().ToString("N0", Inv), Time(g.Min(l => l.FailedAtMs)), Time(g.Max(l => l.FailedAtMs)),
                    marks.Count.ToString("N0", Inv), Markup.Escape(became));
            }
            AnsiConsole.Write(table);
            Footnotes(log);
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var s = Selection.Create();
        var limit = new Option<int>("--limit") { Description = "Show at most this many letters, oldest first", DefaultValueFactory = _ => 20 }
            .Require(v => v > 0, "--limit must be a positive whole number");
        var command = new Command("show", "Show dead letters one by one: where each came from, why it failed, its payload, and its replay") { limit };
        foreach (var o in s.All) command.Options.Add(o);
        command.SetAction(parse => WithLog(parse, s, (options, factory, log, letters) =>
        {
            var shown = letters.OrderBy(l => l.FailedAtMs).ThenBy(l => l.Partition).ThenBy(l => l.Offset).Take(parse.GetValue(limit)).ToList();
            // One block per letter: details and payloads are too long for a table's columns.
            Console.WriteLine($"{shown.Count:N0} of {letters.Count:N0} dead letters on {log.Topic}, oldest first");
            foreach (var l in shown)
            {
                var mark = log.Marks.GetValueOrDefault(l.Id);
                Console.WriteLine();
                Console.WriteLine($"letter {l.Id}  failed {Time(l.FailedAtMs)}  {l.ReasonCode}");
                Console.WriteLine($"  detail    {l.Detail}");
                Console.WriteLine($"  source    {l.SourceTopic}/{l.SourcePartition}/{l.SourceOffset}, entered the log {Time(l.LogTimestampMs)}");
                Console.WriteLine($"  payload   {Preview(l)}");
                if (mark is not null)
                    Console.WriteLine($"  replayed  {Time(mark.ReplayedAtMs)} → {mark.Became}{(mark.Detail.Length > 0 ? $" ({mark.Detail})" : "")}, written to {mark.Topic}/{mark.Partition}/{mark.Offset}");
            }
            Footnotes(log);
            return 0;
        }));
        return command;
    }

    private static Command Replay()
    {
        var s = Selection.Create();
        var dryRun = new Option<bool>("--dry-run") { Description = "Judge the chosen letters by today's rules and say what each would become; write nothing" };
        var again = new Option<bool>("--again") { Description = "Replay letters that were replayed before, once more" };
        var registry = new Option<string?>("--registry") { Description = "Schema registry URL, to judge Avro payloads (default schemaRegistry.url)" };
        var command = new Command("replay",
            "Write chosen dead letters' payloads back to the topic they came from, so the processor judges them again, and mark each with when and what it became")
            { dryRun, again, registry };
        foreach (var o in s.All) command.Options.Add(o);
        command.SetAction(parse => WithLog(parse, s, (options, factory, log, letters) =>
        {
            using var schemas = options.SchemaRegistry.Url.Length > 0 ? RegistrySchemaSource.Connect(options.SchemaRegistry) : null;
            var judge = RecordJudge.For(ClickstreamProcessor.TopologyOptions(options), schemas);
            var chosen = letters.OrderBy(l => l.Partition).ThenBy(l => l.Offset).ToList();
            var progress = new Progress<int>(done =>
            {
                if (done % 1_000 == 0) Console.Error.WriteLine($"replayed {done:N0} of {chosen.Count:N0} letters");
            });
            var outcomes = new DeadLetterReplay(factory, judge, log.Topic).Replay(chosen, log.Marks, parse.GetValue(dryRun), parse.GetValue(again), progress);
            Summary(outcomes, parse.GetValue(dryRun), log.Topic);
            return 0;
        }, registry));
        return command;
    }

    private static void Summary(IReadOnlyList<ReplayOutcome> outcomes, bool dryRun, string topic)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(dryRun ? $"dry run: what the chosen letters of {Markup.Escape(topic)} would become" : $"replayed from {Markup.Escape(topic)}");
        table.AddColumn("outcome");
        table.AddColumn(new TableColumn("letters").RightAligned());
        var replayed = outcomes.Where(o => o.Mark is not null).ToList();
        foreach (var g in replayed.GroupBy(o => o.Mark!.Became).OrderByDescending(g => g.Count()))
            table.AddRow(Markup.Escape(g.Key == "valid" ? "valid: passes decoding and every rule" : $"a dead letter again: {g.Key}"), g.Count().ToString("N0", Inv));
        foreach (var g in outcomes.Where(o => o.Skipped is not null).GroupBy(o => o.Skipped!.Split(',')[0]))
            table.AddRow(Markup.Escape($"not replayed: {g.Key}"), g.Count().ToString("N0", Inv));
        table.AddRow("[bold]chosen[/]", outcomes.Count.ToString("N0", Inv));
        AnsiConsole.Write(table);
        Console.WriteLine(dryRun
            ? "nothing was written (--dry-run)"
            : $"{replayed.Count:N0} payloads written back to their source topics and marked in {PipelineTopics.ReplayLog(topic)}; the processor judges them again");
    }

    // Reads the configured dead-letter topic and its replay log, then runs the subcommand on the chosen letters.
    private static int WithLog(ParseResult parse, Selection s, Func<SluiceOptions, Kafka.KafkaClientFactory, DeadLetterLog, List<DeadLetter>, int> action, Option<string?>? registry = null)
    {
        var options = registry is null
            ? GlobalOptions.LoadOptions(parse, OptionKey.Of(s.Bootstrap, "kafka.bootstrapServers"))
            : GlobalOptions.LoadOptions(parse, OptionKey.Of(s.Bootstrap, "kafka.bootstrapServers"), OptionKey.Of(registry, "schemaRegistry.url"));
        using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging, LogLevel.Warning);
        var factory = ClusterCommands.ExistingCluster(options, loggers, "dlq");
        using var reader = new TopicReader(factory, ReadTimeout);
        var log = DeadLetterLog.Read(reader, PipelineTopics.DeadLetters(options));
        var filter = s.Filter(parse);
        return action(options, factory, log, [.. log.Letters.Where(filter.Matches)]);
    }

    private static void Footnotes(DeadLetterLog log)
    {
        if (log.Deleted > 0) Console.WriteLine($"{log.Deleted:N0} older letters were deleted by the broker (retention) and are not shown");
        if (log.Unreadable > 0) Console.WriteLine($"{log.Unreadable:N0} records of {log.Topic} are not dead letters and are not shown");
    }

    private static string Time(long ms) => ms <= 0 ? "" : DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", Inv);

    // The payload as text when it is UTF-8 (JSON), else its first bytes in hex (an Avro frame, a binary mistake).
    private static string Preview(DeadLetter l)
    {
        const int Max = 160;
        var bytes = l.Payload;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            if (text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))) throw new DecoderFallbackException();
            text = text.ReplaceLineEndings(" ");
        }
        catch (DecoderFallbackException)
        {
            text = "0x" + Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, Max / 2)));
        }
        var cut = text.Length > Max ? text[..Max] + "…" : text;
        return l.Truncated ? cut + $" (cut; {l.Payload.Length:N0} bytes kept)" : cut;
    }
}
