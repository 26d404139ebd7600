using System.CommandLine;
using System.Globalization;
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
using Sluice.Generate.Sinks;
using Sluice.Kafka;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice produce</c>: generate clickstream traffic into Kafka, staging files, stdout or nowhere.</summary>
public static class ProduceCommand
{
    private static readonly GeneratorSettings Defaults = new();

    // Settings errors name configuration keys; on the command line the option is what the user typed.
    private static readonly Dictionary<string, string> OptionOfKey = new(StringComparer.Ordinal)
    {
        ["generator.users"] = "--users", ["generator.products"] = "--products", ["generator.concurrentSessions"] = "--concurrency",
        ["generator.malformedRate"] = "--malformed-rate", ["generator.lateRate"] = "--late-rate",
        ["generator.outOfOrderRate"] = "--out-of-order-rate", ["generator.duplicateRate"] = "--duplicate-rate",
        ["generator.botRate"] = "--bot-rate", ["generator.cdcRate"] = "--cdc-rate", ["generator.maxEvents"] = "--events",
        ["generator.duration"] = "--duration", ["generator.anonymousShare"] = "--anonymous-share",
        ["generator.fileMaxRecords"] = "--file-max-records", ["generator.domain"] = "--domain",
    };

    /// <summary>Builds the command; the caller adds it to the root command.</summary>
    public static Command Create()
    {
        var events = new Option<long>("--events") { Description = "Click records to produce (faults included, CDC not); 0 = until --duration", DefaultValueFactory = _ => Defaults.MaxEvents };
        var duration = new Option<string?>("--duration") { Description = "Stop after this much simulated time: 90s, 30m, 24h, 1d or hh:mm:ss" };
        var users = new Option<int>("--users") { Description = "Visitors in the pool", DefaultValueFactory = _ => Defaults.Users };
        var products = new Option<int>("--products") { Description = "Products in the catalog", DefaultValueFactory = _ => Defaults.Products };
        var concurrency = new Option<int>("--concurrency") { Description = "Sessions in progress at once (simulated traffic volume); 0 = users/100", DefaultValueFactory = _ => 0 };
        var seed = new Option<long>("--seed") { Description = "Seed: the same seed and options give a byte-identical stream", DefaultValueFactory = _ => Defaults.Seed };
        var start = new Option<string?>("--start") { Description = "Event time of the first event, ISO 8601 (default 2026-01-01T00:00:00Z)" };
        var speed = new Option<string>("--speed") { Description = "max (as fast as possible), realtime, or a factor of real time such as 60x", DefaultValueFactory = _ => "max" };
        var rate = new Option<double>("--rate") { Description = "Records per wall-clock second; overrides --speed. 0 = no limit", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--output") { Description = "kafka, files, stdout or null", DefaultValueFactory = _ => "kafka" };
        output.AcceptOnlyFromAmong("kafka", "files", "stdout", "null");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka host:port list; empty starts the embedded broker for the run" };
        var partitions = new Option<int>("--partitions") { Description = "Partitions of the topics the embedded broker creates", DefaultValueFactory = _ => 6 };
        var dir = new Option<string>("--dir") { Description = "Staging directory for --output files", DefaultValueFactory = _ => "staging" };
        var format = new Option<string?>("--format") { Description = "Payload format: json (default) or avro for --output kafka; jsonl (default) or csv for --output files" };
        format.AcceptOnlyFromAmong("json", "avro", "jsonl", "csv");
        var registryUrl = new Option<string?>("--schema-registry") { Description = "Schema Registry URL for --format avro; empty starts an embedded registry for the run" };
        var fileMax = new Option<int>("--file-max-records") { Description = "Records per staging file before it rotates", DefaultValueFactory = _ => 100_000 };
        var manifest = new Option<string?>("--manifest") { Description = "Write the ground truth (totals, faults, per-window counts, late and duplicate ids) to this JSON file" };
        var domain = new Option<string?>("--domain") { Description = "Domain YAML with the journey transition table (default: built-in config/domains/ecommerce.yaml)" };
        var malformed = new Option<double>("--malformed-rate") { Description = "Share of events corrupted on purpose", DefaultValueFactory = _ => Defaults.MalformedRate };
        var late = new Option<double>("--late-rate") { Description = "Share of events delivered 4-10 minutes late", DefaultValueFactory = _ => Defaults.LateRate };
        var outOfOrder = new Option<double>("--out-of-order-rate") { Description = "Share of events delivered out of order within the bound", DefaultValueFactory = _ => Defaults.OutOfOrderRate };
        var duplicate = new Option<double>("--duplicate-rate") { Description = "Share of records that repeat an earlier event", DefaultValueFactory = _ => Defaults.DuplicateRate };
        var bot = new Option<double>("--bot-rate") { Description = "Share of records from crawlers and HTTP tools", DefaultValueFactory = _ => Defaults.BotRate };
        var anonymous = new Option<double>("--anonymous-share") { Description = "Share of visitors who never log in", DefaultValueFactory = _ => Defaults.AnonymousShare };
        var cdc = new Option<bool>("--cdc") { Description = "Emit user-profile changes to the CDC topic", DefaultValueFactory = _ => true };
        var cdcRate = new Option<double>("--cdc-rate") { Description = "Profile changes per click record", DefaultValueFactory = _ => Defaults.CdcRate };
        var topic = new Option<string>("--topic") { Description = "Topic of the click events", DefaultValueFactory = _ => Defaults.EventsTopic };
        var cdcTopic = new Option<string>("--cdc-topic") { Description = "Topic of the user-profile changes", DefaultValueFactory = _ => Defaults.CdcTopic };

        var command = new Command("produce", "Generate realistic clickstream traffic with labelled faults, CDC changes and a ground-truth manifest");
        foreach (var option in new Option[]
                 {
                     events, duration, users, products, concurrency, seed, start, speed, rate, output, bootstrap, partitions, dir, format, registryUrl,
                     fileMax, manifest, domain, malformed, late, outOfOrder, duplicate, bot, anonymous, cdc, cdcRate, topic, cdcTopic,
                 })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var outputKind = r.GetValue(output)!;
            // With records on stdout, the progress bar and the table go to stderr.
            var console = outputKind == "stdout"
                ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
                : AnsiConsole.Console;
            // Configuration first (config/sluice.yaml, SLUICE__*, --set): its errors name its keys, not options.
            GeneratorOptions configured;
            TopicOptions topics;
            SchemaRegistryOptions registryOptions;
            try
            {
                var options = GlobalOptions.LoadOptions(r);
                configured = options.Generator;
                topics = options.Kafka.Topics;
                registryOptions = options.SchemaRegistry;
            }
            catch (ConfigurationException ex)
            {
                console.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
                return 1;
            }
            try
            {
                // An option typed on the command line wins over the configuration's value.
                T Pick<T>(Option<T> option, T fromConfiguration) => r.GetResult(option) is { Implicit: false } ? r.GetValue(option)! : fromConfiguration;
                var fromFile = GeneratorSettings.From(configured, topics);
                var settings = fromFile with
                {
                    Seed = Pick(seed, fromFile.Seed),
                    Users = Pick(users, fromFile.Users),
                    Products = Pick(products, fromFile.Products),
                    ConcurrentSessions = Pick(concurrency, fromFile.ConcurrentSessions),
                    AnonymousShare = Pick(anonymous, fromFile.AnonymousShare),
                    MaxEvents = r.GetValue(events),
                    Duration = ParseDuration(r.GetValue(duration)),
                    Start = ParseStart(r.GetValue(start)) ?? Defaults.Start,
                    MalformedRate = Pick(malformed, fromFile.MalformedRate),
                    LateRate = Pick(late, fromFile.LateRate),
                    OutOfOrderRate = Pick(outOfOrder, fromFile.OutOfOrderRate),
                    DuplicateRate = Pick(duplicate, fromFile.DuplicateRate),
                    BotRate = Pick(bot, fromFile.BotRate),
                    Cdc = Pick(cdc, fromFile.Cdc),
                    CdcRate = Pick(cdcRate, fromFile.CdcRate),
                    EventsTopic = Pick(topic, fromFile.EventsTopic)!,
                    CdcTopic = Pick(cdcTopic, fromFile.CdcTopic)!,
                    Transitions = r.GetValue(domain) is { Length: > 0 } path ? TransitionTable.Load(path) : TransitionTable.Default,
                };
                settings.Validate();
                // --speed typed alone also replaces a rate from the configuration, which would otherwise win over it.
                var speedTyped = r.GetResult(speed) is { Implicit: false };
                var pacer = Pacer.Parse(Pick(speed, configured.Speed), Pick(rate, speedTyped ? 0 : configured.Rate));
                var generator = new ClickstreamGenerator(settings);
                // Always kept: it feeds the summary table, and is written out only with --manifest.
                var truth = new ManifestBuilder((long)settings.WindowSize.TotalMilliseconds);

                var formatName = r.GetValue(format);
                var payloadFormat = PayloadFormatOf(outputKind, formatName);
                truth.Format = payloadFormat;

                EmbeddedBroker? broker = null;
                EmbeddedSchemaRegistry? registry = null;
                try
                {
                    IRecordSink sink;
                    string target;
                    switch (outputKind)
                    {
                        case "kafka":
                            var servers = r.GetValue(bootstrap);
                            if (string.IsNullOrWhiteSpace(servers))
                            {
                                var parts = r.GetValue(partitions);
                                broker = EmbeddedBroker.Start(1, [new TopicSpec(settings.EventsTopic, parts), new TopicSpec(settings.CdcTopic, parts)]);
                                servers = broker.BootstrapServers;
                                target = $"embedded broker {servers} ({parts} partitions)";
                            }
                            else
                            {
                                target = $"Kafka {servers}";
                            }
                            var options = new KafkaOptions { BootstrapServers = broker is null ? servers : "" };
                            var factory = new KafkaClientFactory(options, servers);
                            factory.EnsureReachable();
                            if (payloadFormat == PayloadFormat.Avro)
                            {
                                // Registered before the producer exists, so a registry that is down leaves nothing to clean up.
                                var url = r.GetValue(registryUrl);
                                var userInfo = registryOptions.BasicAuthUserInfo;
                                if (string.IsNullOrWhiteSpace(url))
                                {
                                    registry = await EmbeddedSchemaRegistry.StartAsync(cancellationToken: ct);
                                    url = registry.Url.ToString();
                                    userInfo = "";
                                }
                                var schemaId = await RegisterAsync(url, userInfo, settings.EventsTopic, ct);
                                sink = new AvroSink(KafkaSink.Create(factory), schemaId);
                                target += $", Avro v3 as schema id {schemaId.ToString(CultureInfo.InvariantCulture)} of {settings.EventsTopic}-value at {url}";
                            }
                            else
                            {
                                sink = KafkaSink.Create(factory);
                            }
                            break;
                        case "files":
                            var fileFormat = formatName == "csv" ? FileFormat.Csv : FileFormat.Jsonl;
                            sink = new FileSink(r.GetValue(dir)!, fileFormat, r.GetValue(fileMax));
                            target = $"{Path.GetFullPath(r.GetValue(dir)!)} ({(fileFormat == FileFormat.Csv ? "csv" : "jsonl")})";
                            break;
                        case "stdout":
                            sink = new StreamSink(Console.OpenStandardOutput());
                            target = "stdout (JSON lines)";
                            break;
                        default:
                            sink = new NullSink();
                            target = "null (discarded)";
                            break;
                    }

                    RunSummary summary;
                    using (sink)
                    {
                        summary = await RunWithProgress(console, generator, sink, pacer, truth, settings, ct);
                    }
                    if (r.GetValue(manifest) is { Length: > 0 } manifestPath) truth.WriteFile(manifestPath, generator);
                    WriteSummary(console, generator, truth, summary, target, r.GetValue(manifest));
                    return summary.Cancelled ? 130 : 0;
                }
                finally
                {
                    broker?.Dispose();
                    if (registry is not null) await registry.DisposeAsync();
                }
            }
            catch (SluiceException ex)
            {
                var message = ex is ConfigurationException ce && OptionOfKey.TryGetValue(ce.Key, out var opt)
                    ? $"{opt}: {ex.Message}"
                    : ex.Message;
                console.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");
                return 1;
            }
        });
        return command;
    }

    private static async Task<RunSummary> RunWithProgress(IAnsiConsole console, ClickstreamGenerator generator, IRecordSink sink, Pacer pacer,
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
                summary = await Task.Run(() => GeneratorRunner.Run(generator, sink, pacer, truth, p =>
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

    // json/avro describe Kafka payloads, jsonl/csv staging files; a format that does not fit the output is an error.
    private static PayloadFormat PayloadFormatOf(string output, string? format) => (output, format) switch
    {
        (_, null) => PayloadFormat.Json,
        ("kafka", "avro") => PayloadFormat.Avro,
        ("kafka", "json") or ("files", "jsonl" or "csv") or ("stdout" or "null", "json") => PayloadFormat.Json,
        _ => ThrowHelper.ThrowConfiguration<PayloadFormat>("--format",
            $"'{format}' does not apply to --output {output}; use json or avro with kafka, jsonl or csv with files"),
    };

    // TopicNameStrategy: the value schema of topic T is subject T-value. Registering an identical schema again
    // returns the existing id, so every run may register.
    private static async Task<int> RegisterAsync(string url, string? basicAuthUserInfo, string topic, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
            return ThrowHelper.ThrowConfiguration<int>("--schema-registry", $"'{url}' is not an http(s) URL such as http://localhost:8081");
        using var client = SchemaRegistryClients.Create(baseUrl.ToString(), basicAuthUserInfo);
        return await client.RegisterAvroAsync(url, topic + "-value", EventSchemas.V3Json).WaitAsync(ct);
    }

    private static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        var unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (unit)
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero) return span;
        return ThrowHelper.ThrowConfiguration<TimeSpan?>("--duration", $"'{text}' is not a duration; write for example 90s, 30m, 24h, 1d or 01:30:00");
    }

    private static DateTimeOffset? ParseStart(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start)) return start;
        return ThrowHelper.ThrowConfiguration<DateTimeOffset?>("--start", $"'{text}' is not an ISO 8601 time such as 2026-01-01T00:00:00Z");
    }
}
