using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sluice.App.Hosting;
using Sluice.App.Ingest;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Schemas.Registry;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice ingest</c>: the file source. Watches a staging directory and produces the rows of every complete CSV and JSON-lines file.</summary>
public static class IngestCommand
{
    /// <summary>Builds the command; the caller adds it to the root command.</summary>
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Staging directory to watch (default ingest.directory)" };
        var once = new Option<bool>("--once") { Description = "Read the complete files there are (waiting for young ones to settle), then exit" };
        var format = new Option<string>("--format") { Description = "Payload format of the events: json or avro (Confluent-framed v3 through the schema registry)", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "avro");
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "Kafka host:port list; empty starts the embedded broker for the run (default kafka.bootstrapServers)" };
        var registryUrl = new Option<string?>("--schema-registry") { Description = "Schema Registry URL for --format avro; empty starts an embedded registry for the run (default schemaRegistry.url)" };
        var topic = new Option<string>("--topic") { Description = "Topic of the click events (default kafka.topics.events)" };

        OptionKey[] keys =
        [
            OptionKey.Of(dir, "ingest.directory"), OptionKey.Of(bootstrap, "kafka.bootstrapServers"),
            OptionKey.Of(registryUrl, "schemaRegistry.url"), OptionKey.Of(topic, "kafka.topics.events"),
        ];
        var command = new Command("ingest",
            "Produce the rows of the CSV and JSON-lines files put in a staging directory, each file once; finished files move to processed/ or failed/");
        foreach (var option in new Option[] { dir, once, format, bootstrap, registryUrl, topic }) command.Options.Add(option);

        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var options = GlobalOptions.LoadOptions(r, keys);
            var directory = options.Ingest.Directory;
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SluiceException($"cannot create the staging directory {directory}: {ex.Message}; choose a writable --dir (ingest.directory)", ex);
            }
            // An unreadable manifest stops the run before anything is sent.
            IngestManifest.Load(directory);
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Ingest");
            await using var sending = await KafkaSending.OpenAsync(options, r.GetValue(format) == "avro", loggers, ct);
            var runner = new IngestRunner(directory, options.Ingest, sending.Output, logger) { Progress = (file, t) => LogProgress(logger, file, t) };
            var isOnce = r.GetValue(once);
            logger.LogInformation("ingest: {Mode} {Directory} to {Target}", isOnce ? "reading" : "watching", Path.GetFullPath(directory), sending.Target);
            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, sending.Connection.Availability?.Expired ?? CancellationToken.None);
            try
            {
                await runner.RunAsync(isOnce, run.Token);
            }
            catch (OperationCanceledException) when (sending.Connection.Unavailable is { } unavailable)
            {
                // Past kafka.unavailableDeadline the producer stops waiting; the manifest keeps the last checkpoint.
                throw unavailable;
            }
            if (sending.Connection.Unavailable is { } gaveUp) throw gaveUp;
            WriteSummary(AnsiConsole.Console, "ingested", sending.Target, runner.Totals, Path.GetFullPath(directory));
            // A failed file is an outcome, reported and kept in failed/, not an error of the run.
            return isOnce && ct.IsCancellationRequested ? 130 : 0;
        });
        return command;
    }

    internal static void LogProgress(ILogger logger, string file, FileTally t)
    {
        var rate = t.Elapsed.TotalSeconds > 0 ? t.RowsNow / t.Elapsed.TotalSeconds : 0;
        logger.LogInformation("{File}: {Percent:F0}% ({Rows:N0} rows, {Rate:N0} rows/s)", file, t.Size > 0 ? 100.0 * t.BytesRead / t.Size : 100, t.Rows, rate);
    }

    internal static void WriteSummary(IAnsiConsole console, string title, string target, IngestTotals totals, string? directory)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(title).AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
        void Row(string what, string value) => table.AddRow(Markup.Escape(what), Markup.Escape(value));
        var inv = CultureInfo.InvariantCulture;
        Row("output", target);
        if (directory is not null) Row("directory", directory);
        Row("files read", totals.Files.ToString("N0", inv));
        if (totals.Resumed > 0) Row("files resumed after an earlier run", totals.Resumed.ToString("N0", inv));
        Row("files failed (in failed/)", totals.Failed.ToString("N0", inv));
        Row("files skipped as already read (same SHA-256)", totals.Duplicates.ToString("N0", inv));
        Row("rows", totals.Rows.ToString("N0", inv));
        Row("events produced", totals.Events.ToString("N0", inv));
        if (totals.Changes > 0) Row("profile changes produced", totals.Changes.ToString("N0", inv));
        Row("dead letters (file and line)", totals.DeadLetters.ToString("N0", inv));
        Row("MiB read", (totals.Bytes / 1048576.0).ToString("N1", inv));
        Row("reading time", $"{totals.Busy.TotalSeconds.ToString("F2", inv)} s");
        Row("rate", $"{(totals.Busy.TotalSeconds > 0 ? totals.Rows / totals.Busy.TotalSeconds : 0).ToString("N0", inv)} rows/s");
        foreach (var (name, reason) in totals.Failures) Row($"failed: {name}", reason);
        console.Write(table);
    }
}

/// <summary>The Kafka side of <c>ingest</c> and <c>produce --input</c>: the connection, the schema registered for Avro, and the output.</summary>
internal sealed class KafkaSending : IAsyncDisposable
{
    private EmbeddedSchemaRegistry? _registry;

    private KafkaSending(KafkaConnection connection) => Connection = connection;

    public KafkaConnection Connection { get; }
    public KafkaIngestOutput Output { get; private set; } = null!;
    public string Target { get; private set; } = "";

    public static async Task<KafkaSending> OpenAsync(SluiceOptions options, bool avro, ILoggerFactory loggers, CancellationToken ct)
    {
        var sending = new KafkaSending(KafkaConnection.Open(options, loggers));
        try
        {
            sending.Connection.WatchAvailability(options, loggers);
            var topics = options.Kafka.Topics;
            sending.Target = sending.Connection.Embedded is { } broker
                ? $"embedded broker {broker.BootstrapServers}, {topics.Events}"
                : $"Kafka {options.Kafka.BootstrapServers}, {topics.Events}";
            int? schemaId = null;
            if (avro)
            {
                var (id, url, embedded) = await ProduceCommand.RegisterEventSchemaAsync(options, topics.Events, ct);
                sending._registry = embedded;
                schemaId = id;
                sending.Target += $", Avro v3 as schema id {id.ToString(CultureInfo.InvariantCulture)} of {topics.Events}-value at {url}";
            }
            else
            {
                sending.Target += ", JSON";
            }
            sending.Output = new KafkaIngestOutput(sending.Connection.Factory, topics.Events, topics.CdcUsers, topics.Dlq, schemaId);
            return sending;
        }
        catch
        {
            await sending.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Output?.Dispose();
        Connection.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
