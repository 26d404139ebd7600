using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Sluice.App.Ingest;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Cdc;
using Sluice.Generate.Faults;
using Sluice.Generate.Journeys;
using Sluice.Generate.Manifests;
using Sluice.Generate.Pacing;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice produce</c>: generate clickstream traffic into Kafka, staging files, stdout or nowhere.</summary>
public static class ProduceCommand
{
    private static readonly GeneratorSettings Defaults = new();

    /// <summary>Simulated time a run may cover at most; the event clock must stay within what a timestamp can hold.</summary>
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(36_500);

    /// <summary>Builds the command; the caller adds it to the root command.</summary>
    public static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Click records to produce (faults included, CDC not); 0 = until --duration", DefaultValueFactory = _ => Defaults.MaxEvents }
            .Require(v => v >= 0, "--events must be 0 (no limit, with --duration) or a positive whole number, for example --events 100000");
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Stop after this much simulated time: 90s, 30m, 24h, 1d or hh:mm:ss, at most 36500d",
            CustomParser = ParseDuration,
        };
        var users = new Option<int>("--users") { Description = "Visitors in the pool (default generator.users)" };
        var products = new Option<int>("--products") { Description = "Products in the catalog (default generator.products)" };
        var concurrency = new Option<int>("--concurrency") { Description = "Sessions in progress at once (simulated traffic volume); 0 = users/100 (default generator.concurrentSessions)" };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed and options give a byte-identical stream (default generator.seed)" };
        var start = new Option<DateTimeOffset?>("--start")
        {
            Description = "Event time of the first event, ISO 8601, from 1970 to 9000 (default 2026-01-01T00:00:00Z)",
            CustomParser = ParseStart,
        };
        var speed = new Option<string>("--speed") { Description = "max (as fast as possible), realtime, or a factor of real time such as 60x (default generator.speed)" };
        var rate = new Option<double>("--rate") { Description = "Records per wall-clock second; overrides --speed. 0 = no limit (default generator.rate)" };
        var output = new Option<string>("--output") { Description = "kafka, files, stdout or null", DefaultValueFactory = _ => "kafka" };
        output.AcceptOnlyFromAmong("kafka", "files", "stdout", "null");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka host:port list; empty starts the embedded broker for the run (default kafka.bootstrapServers)" };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the topics the embedded broker creates (default kafka.partitions)" };
        var dir = new Option<string>("--dir") { Description = "Staging directory for --output files", DefaultValueFactory = _ => "staging" };
        var format = new Option<string?>("--format") { Description = "Payload format: json (default) or avro for --output kafka; jsonl (default) or csv for --output files" };
        format.AcceptOnlyFromAmong("json", "avro", "jsonl", "csv");
        var registryUrl = new Option<string?>("--schema-registry") { Description = "Schema Registry URL for --format avro; empty starts an embedded registry for the run (default schemaRegistry.url)" };
        var fileMax = new Option<int>("--file-max-records") { Description = "Records per staging file before it rotates", DefaultValueFactory = _ => 100_000 }
            .Require(v => v >= 1, "--file-max-records must be at least 1");
        var manifest = new Option<string?>("--manifest") { Description = "Write the ground truth (totals, faults, per-window counts, late and duplicate ids) to this JSON file" };
        var domain = new Option<string?>("--domain") { Description = "Domain YAML with the journey transition table (default: built-in config/domains/ecommerce.yaml)" };
        var malformed = new Option<double>("--malformed-rate") { Description = "Share of events corrupted on purpose (default generator.invalidRate)" };
        var late = new Option<double>("--late-rate") { Description = "Share of events delivered 4-10 minutes late (default generator.lateRate)" };
        var outOfOrder = new Option<double>("--out-of-order-rate") { Description = "Share of events delivered out of order within the bound (default generator.outOfOrderRate)" };
        var duplicate = new Option<double>("--duplicate-rate") { Description = "Share of records that repeat an earlier event (default generator.duplicateRate)" };
        var bot = new Option<double>("--bot-rate") { Description = "Share of records from crawlers and HTTP tools (default generator.botRate)" };
        var anonymous = new Option<double>("--anonymous-share") { Description = "Share of visitors who never log in (default generator.anonymousShare)" };
        var cdc = new Option<bool>("--cdc") { Description = "Emit user-profile changes to the CDC topic (default generator.cdc)" };
        var cdcRate = new Option<double>("--cdc-rate") { Description = "Profile changes per click record (default generator.cdcRate)" };
        var topic = new Option<string>("--topic") { Description = "Topic of the click events (default kafka.topics.events)" };
        var cdcTopic = new Option<string>("--cdc-topic") { Description = "Topic of the user-profile changes (default kafka.topics.cdcUsers)" };
        var input = new Option<FileInfo?>("--input")
        {
            Description = "Send this file's events (JSON lines, or CSV by its .csv extension) to Kafka once, as fast as the broker takes them, instead of generating; bad rows go to kafka.topics.dlq with their line",
        };

        // Options that stand for configuration keys: typed, they win over config/sluice.yaml, SLUICE__* and --set.
        OptionKey[] keys =
        [
            OptionKey.Of(users, "generator.users"), OptionKey.Of(products, "generator.products"), OptionKey.Of(concurrency, "generator.concurrentSessions"),
            OptionKey.Of(seed, "generator.seed"), OptionKey.Of(anonymous, "generator.anonymousShare"), OptionKey.Of(malformed, "generator.invalidRate"),
            OptionKey.Of(late, "generator.lateRate"), OptionKey.Of(outOfOrder, "generator.outOfOrderRate"), OptionKey.Of(duplicate, "generator.duplicateRate"),
            OptionKey.Of(bot, "generator.botRate"), OptionKey.Of(cdc, "generator.cdc"), OptionKey.Of(cdcRate, "generator.cdcRate"),
            OptionKey.Of(speed, "generator.speed"),
            // --speed typed alone also clears a configured rate, which would otherwise win over it; a typed --rate comes after and wins.
            new(speed, "generator.rate", p => p.GetResult(speed) is { Implicit: false } ? "0" : null),
            OptionKey.Of(rate, "generator.rate"),
            OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(partitions, "kafka.partitions"),
            OptionKey.Of(topic, "kafka.topics.events"), OptionKey.Of(cdcTopic, "kafka.topics.cdcUsers"),
            OptionKey.Of(registryUrl, "schemaRegistry.url"),
        ];

        var command = new Command("produce", "Generate realistic clickstream traffic with labelled faults, CDC changes and a ground-truth manifest");
        foreach (var option in new Option[]
                 {
                     events, duration, users, products, concurrency, seed, start, speed, rate, output, bootstrap, partitions, dir, format, registryUrl,
                     fileMax, manifest, domain, malformed, late, outOfOrder, duplicate, bot, anonymous, cdc, cdcRate, topic, cdcTopic, input,
                 })
        {
            command.Options.Add(option);
        }
        command.Validators.Add(r =>
        {
            // Defaults are not filled in yet when command validators run: an option not typed has its default.
            if (r.GetResult(duration) is null && r.GetResult(events) is { Implicit: false } && Parsed(r, events) == 0)
                r.AddError("--events 0 (no limit) needs --duration, or the run never ends");
            var outputKind = r.GetResult(output) is { Implicit: false } ? r.GetValue(output) : "kafka";
            if (r.GetResult(input) is { Implicit: false })
            {
                if (outputKind != "kafka") r.AddError($"--input sends a file to Kafka; it does not apply to --output {outputKind}");
                if (r.GetResult(manifest) is not null) r.AddError("--input sends a file as it is: there is no ground truth for --manifest to write");
                if (r.GetValue(format) is "jsonl" or "csv") r.AddError("--input takes the file's format from its extension; --format says the payload: json or avro");
            }
            if (outputKind is "kafka" or "files" or "stdout" or "null" && r.GetValue(format) is null or "json" or "avro" or "jsonl" or "csv"
                && PayloadFormatOf(outputKind, r.GetValue(format)) is null)
                r.AddError($"--format {r.GetValue(format)} does not apply to --output {outputKind}; use json or avro with kafka, jsonl or csv with files");
        });

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            // Everything is checked before anything starts: options, configuration, the domain file, where the manifest goes.
            var options = GlobalOptions.LoadOptions(r, keys);
            if (r.GetValue(input) is { } file) return await ProduceFileAsync(file, options, r.GetValue(format) == "avro", ct);
            var settings = GeneratorSettings.From(options.Generator, options.Kafka.Topics) with
            {
                MaxEvents = r.GetValue(events),
                Duration = r.GetValue(duration),
                Start = r.GetValue(start) ?? Defaults.Start,
                Transitions = r.GetValue(domain) is { Length: > 0 } path ? TransitionTable.Load(path) : TransitionTable.Default,
            };
            settings.Validate();
            var pacer = Pacer.Parse(options.Generator.Speed, options.Generator.Rate);
            var manifestPath = r.GetValue(manifest) is { Length: > 0 } m ? m : null;
            if (manifestPath is not null) OptionRules.EnsureWritable(manifestPath, "--manifest");
            var outputKind = r.GetValue(output)!;
            var formatName = r.GetValue(format);
            var payloadFormat = PayloadFormatOf(outputKind, formatName)!.Value;

            // With records on stdout, the progress bar and the table go to stderr.
            var console = outputKind == "stdout"
                ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                : AnsiConsole.Console;
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var generator = new ClickstreamGenerator(settings);
            // Always kept: it feeds the summary table, and is written out only with --manifest.
            var truth = new ManifestBuilder((long)settings.WindowSize.TotalMilliseconds) { Format = payloadFormat };

            KafkaConnection? connection = null;
            EmbeddedSchemaRegistry? registry = null;
            try
            {
                ITrafficWriter writer;
                string target;
                switch (outputKind)
                {
                    case "kafka":
                        connection = KafkaConnection.Open(options, loggers);
                        connection.WatchAvailability(options, loggers);
                        target = connection.Embedded is { } broker
                            ? $"embedded broker {broker.BootstrapServers} ({options.Kafka.Partitions} partitions)"
                            : $"Kafka {options.Kafka.BootstrapServers}";
                        if (payloadFormat == PayloadFormat.Avro)
                        {
                            // Registered before the producer exists, so a registry that is down leaves nothing to clean up.
                            var (schemaId, url, embedded) = await RegisterEventSchemaAsync(options, settings.EventsTopic, ct);
                            registry = embedded;
                            truth.AvroSchemaId = schemaId;
                            writer = new AvroTrafficWriter(KafkaTrafficWriter.Create(connection.Factory), schemaId);
                            target += $", Avro v3 as schema id {schemaId.ToString(CultureInfo.InvariantCulture)} of {settings.EventsTopic}-value at {url}";
                        }
                        else
                        {
                            writer = KafkaTrafficWriter.Create(connection.Factory);
                        }
                        break;
                    case "files":
                        var fileFormat = formatName == "csv" ? FileFormat.Csv : FileFormat.Jsonl;
                        writer = new FileTrafficWriter(r.GetValue(dir)!, fileFormat, r.GetValue(fileMax));
                        target = $"{Path.GetFullPath(r.GetValue(dir)!)} ({(fileFormat == FileFormat.Csv ? "csv" : "jsonl")})";
                        break;
                    case "stdout":
                        writer = new StreamTrafficWriter(Console.OpenStandardOutput());
                        target = "stdout (JSON lines)";
                        break;
                    default:
                        writer = new NullTrafficWriter();
                        target = "null (discarded)";
                        break;
                }

                RunSummary summary;
                // Past kafka.unavailableDeadline the run stops, and the producer stops waiting to flush.
                using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, connection?.Availability?.Expired ?? CancellationToken.None);
                try
                {
                    using (writer)
                    {
                        summary = await RunWithProgress(console, generator, writer, pacer, truth, settings, run.Token);
                    }
                }
                catch (OperationCanceledException) when (connection?.Unavailable is { } unavailable)
                {
                    throw unavailable;
                }
                if (connection?.Unavailable is { } gaveUp) throw gaveUp;
                if (manifestPath is not null) truth.WriteFile(manifestPath, generator);
                WriteSummary(console, generator, truth, summary, target, manifestPath);
                return summary.Cancelled ? 130 : 0;
            }
            finally
            {
                connection?.Dispose();
                if (registry is not null) await registry.DisposeAsync();
            }
        });
        return command;
    }

    // --input: the file source's reader over one file, without a staging directory or manifest.
    private static async Task<int> ProduceFileAsync(FileInfo file, SluiceOptions options, bool avro, CancellationToken ct)
    {
        if (RowDecoder.KindOf(file.Name) is null) throw new UsageException($"--input {file.Name}: name a .jsonl or .csv file");
        if (!file.Exists) ThrowHelper.Throw($"--input {file.FullName} does not exist; name an existing .jsonl or .csv file");
        var check = StagedFileCheck.Of(file.FullName);
        if (check.NotText is { } notText) ThrowHelper.Throw($"--input {file.FullName} is not UTF-8 text: {notText}");
        using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
        var logger = loggers.CreateLogger("Sluice.Produce");
        await using var sending = await KafkaSending.OpenAsync(options, avro, loggers, ct);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, sending.Connection.Availability?.Expired ?? CancellationToken.None);
        var reader = new StagedFileReader(sending.Output, options.Ingest.Columns) { Progress = (name, t) => IngestCommand.LogProgress(logger, name, t) };
        FileTally tally;
        try
        {
            tally = await Task.Run(() => reader.Read(file.FullName, 0, run.Token), CancellationToken.None);
        }
        catch (OperationCanceledException) when (sending.Connection.Unavailable is { } unavailable)
        {
            throw unavailable;
        }
        if (sending.Connection.Unavailable is { } gaveUp) throw gaveUp;
        if (tally.Failure is { } failure) ThrowHelper.Throw($"--input {file.FullName}: {failure}");
        var totals = new IngestTotals
        {
            Files = tally.Stopped ? 0 : 1, Rows = tally.RowsNow, Events = tally.Events, Changes = tally.Changes, DeadLetters = tally.DeadLetters,
            Bytes = tally.BytesRead, Busy = tally.Elapsed,
        };
        IngestCommand.WriteSummary(AnsiConsole.Console, "produced", sending.Target, totals, null);
        return tally.Stopped ? 130 : 0;
    }

    private static async Task<RunSummary> RunWithProgress(IAnsiConsole console, ClickstreamGenerator generator, ITrafficWriter writer, Pacer pacer,
        ManifestBuilder truth, GeneratorSettings settings, CancellationToken ct)
    {
        RunSummary? summary = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var byEvents = settings.MaxEvents > 0;
                var startMs = settings.Start.ToUnixTimeMilliseconds();
                var task = ctx.AddTask("events", maxValue: byEvents ? settings.MaxEvents : settings.Duration!.Value.TotalMilliseconds);
                summary = await Task.Run(() => GeneratorRunner.Run(generator, writer, pacer, truth, p =>
                {
                    task.Value = byEvents ? p.ClickRecords : Math.Max(0, p.EventClock - startMs);
                    var rate = p.Elapsed.TotalSeconds > 0 ? p.Records / p.Elapsed.TotalSeconds : 0;
                    task.Description = $"{p.ClickRecords:N0} events  {rate:N0}/s";
                }, ct), CancellationToken.None);
                task.Value = task.MaxValue;
            });
        return summary!;
    }

    private static void WriteSummary(IAnsiConsole console, ClickstreamGenerator generator, ManifestBuilder truth, RunSummary summary, string target, string? manifestPath)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("produced").AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        void Row(string what, string value) => table.AddRow(Markup.Escape(what), Markup.Escape(value));
        var inv = CultureInfo.InvariantCulture;
        Row("output", target);
        Row("records", summary.Records.ToString("N0", inv));
        Row("click events", summary.ClickRecords.ToString("N0", inv));
        Row("cdc changes (r/c/u/d)", $"{generator.ChangeCount(ChangeOp.Read):N0} / {generator.ChangeCount(ChangeOp.Create):N0} / {generator.ChangeCount(ChangeOp.Update):N0} / {generator.ChangeCount(ChangeOp.Delete):N0}");
        long counted = 0;
        foreach (var type in EventTypes.All) counted += truth.ValidCount(type);
        Row("counted events (valid, on time, human, first seen)", counted.ToString("N0", inv));
        for (var k = 1; k < FaultKinds.Count; k++) Row($"fault {((FaultKind)k).ToLabel()}", truth.FaultCount((FaultKind)k).ToString("N0", inv));
        Row("elapsed", $"{summary.Elapsed.TotalSeconds.ToString("F2", inv)} s");
        Row("rate", $"{summary.RecordsPerSecond.ToString("N0", inv)} records/s");
        Row("event time covered", $"{DateTimeOffset.FromUnixTimeMilliseconds(generator.Settings.Start.ToUnixTimeMilliseconds()):u} .. {DateTimeOffset.FromUnixTimeMilliseconds(generator.Clock):u}");
        var stats = generator.Stats;
        Row("sessions (ended)", stats.SessionsEnded.ToString("N0", inv));
        Row("conversion rate", stats.ConversionRate.ToString("P2", inv));
        Row("cart abandonment", stats.CartAbandonmentRate.ToString("P2", inv));
        if (manifestPath is not null) Row("manifest", manifestPath);
        if (summary.Cancelled) Row("stopped", "cancelled before the limit");
        console.Write(table);
    }

    // A value that did not parse has its own error already; null then, so a rule across options stays quiet.
    private static long? Parsed(CommandResult r, Option<long> option)
    {
        try
        {
            return r.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    // json/avro describe Kafka payloads, jsonl/csv staging files; null when the format does not fit the output.
    private static PayloadFormat? PayloadFormatOf(string output, string? format) => (output, format) switch
    {
        (_, null) => PayloadFormat.Json,
        ("kafka", "avro") => PayloadFormat.Avro,
        ("kafka", "json") or ("files", "jsonl" or "csv") or ("stdout" or "null", "json") => PayloadFormat.Json,
        _ => null,
    };

    /// <summary>Registers the v3 event schema for <paramref name="topic"/> at <c>schemaRegistry.url</c>, or at an embedded
    /// registry started for the run when the URL is empty (the caller disposes it).</summary>
    /// <remarks>TopicNameStrategy: the value schema of topic T is subject T-value. Registering an identical schema again
    /// returns the existing id, so every run may register.</remarks>
    internal static async Task<(int SchemaId, string Url, EmbeddedSchemaRegistry? Embedded)> RegisterEventSchemaAsync(SluiceOptions options, string topic, CancellationToken ct)
    {
        var url = options.SchemaRegistry.Url;
        var userInfo = options.SchemaRegistry.BasicAuthUserInfo;
        EmbeddedSchemaRegistry? embedded = null;
        if (url.Length == 0)
        {
            embedded = await EmbeddedSchemaRegistry.StartAsync(cancellationToken: ct);
            url = embedded.Url.ToString();
            userInfo = "";
        }
        try
        {
            using var client = SchemaRegistryClients.Create(url, userInfo);
            return (await client.RegisterAvroAsync(url, topic + "-value", EventSchemas.V3Json).WaitAsync(ct), url, embedded);
        }
        catch
        {
            if (embedded is not null) await embedded.DisposeAsync();
            throw;
        }
    }

    // 90s, 30m, 24h, 1d or a TimeSpan; positive and at most MaxDuration, checked before it can overflow.
    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        TimeSpan? span = null;
        if (text.Length > 1 && "smhd".Contains(text[^1], StringComparison.Ordinal)
            && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
        {
            var days = n * text[^1] switch { 's' => 1.0 / 86_400, 'm' => 1.0 / 1_440, 'h' => 1.0 / 24, _ => 1.0 };
            span = days > MaxDuration.TotalDays ? TimeSpan.MaxValue : TimeSpan.FromDays(days);
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var parsed))
        {
            span = parsed;
        }
        if (span is null)
            result.AddError($"--duration '{text}' is not a duration; write for example 90s, 30m, 24h, 1d or 01:30:00");
        else if (span <= TimeSpan.Zero || span > MaxDuration)
            result.AddError($"--duration {text} must be positive and at most {MaxDuration.TotalDays:0}d (100 years of simulated time); write for example 90s, 30m, 24h, 1d or 01:30:00");
        return span;
    }

    // Event times are epoch milliseconds, positive, and must stay within what a timestamp can hold.
    private static DateTimeOffset? ParseStart(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
            result.AddError($"--start '{text}' is not an ISO 8601 time such as 2026-01-01T00:00:00Z");
        else if (start.Year is < 1970 or >= 9000)
            result.AddError($"--start {text} must be from 1970 to 9000, for example 2026-01-01T00:00:00Z");
        return start;
    }
}
