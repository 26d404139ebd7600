using System.Buffers;
using System.CommandLine;
using System.Globalization;
using Sluice.Cli.Hosting;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Pipelines.Clickstream;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice bench postgres</c>: rows/s of the PostgreSQL sink's write path against raw binary COPY, alternated.</summary>
internal static class BenchPostgresCommand
{
    public static Command Create()
    {
        var connection = new Option<string?>("--connection") { Description = "Npgsql connection string of a server to benchmark on; a database is created for the run (default postgres.connectionString)" };
        var rows = new Option<int>("--rows") { Description = "Rows per pass", DefaultValueFactory = _ => 1_000_000 }
            .Require(v => v is >= 1_000 and <= 100_000_000, "--rows must be between 1000 and 100000000");
        var rounds = new Option<int>("--rounds") { Description = "Sink and raw passes each, alternated", DefaultValueFactory = _ => 2 }
            .Require(v => v is >= 1 and <= 20, "--rounds must be between 1 and 20");
        var command = new Command("postgres",
            "The PostgreSQL sink's write path (JSON parsed, binary COPY into the logged events table, or a stage and a merge when an id repeats; offsets; commit) for generated enriched events, " +
            "against raw binary COPY of the same columns into an unlogged table, alternated in one run; batches of sinks.batchSize")
        {
            connection, rows, rounds,
        };
        command.SetAction(parse =>
        {
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(connection, "postgres.connectionString"));
            if (options.Postgres.ConnectionString.Length == 0)
                ThrowHelper.ThrowConfiguration("postgres.connectionString", "must be set for `sluice bench postgres`: pass --connection or set SLUICE__POSTGRES__CONNECTIONSTRING");
            var batches = new EnrichedBatches(options.Sinks.BatchSize);
            var (passes, settings) = PostgresBenchmark.Run(options.Postgres.ConnectionString, batches.Next, parse.GetValue(rows), parse.GetValue(rounds),
                p => Console.Error.WriteLine($"  {p.Method} pass {p.Round}: {p.RowsPerSecond:N0} rows/s"));

            var table = new Table().Border(TableBorder.Rounded)
                .Title($"PostgreSQL: {parse.GetValue(rows):N0} enriched events per pass, batches of {options.Sinks.BatchSize:N0} ({settings})");
            table.AddColumn("pass");
            table.AddColumn(new TableColumn("rows/s").RightAligned());
            table.AddColumn(new TableColumn("seconds").RightAligned());
            foreach (var p in passes)
                table.AddRow($"{p.Round}. {(p.Method == "sink" ? "sink: parse, COPY into logged events (merge on a repeated id) + offsets, one commit per batch" : "raw: binary COPY into an unlogged table")}",
                    N(p.RowsPerSecond), p.Seconds.ToString("N2", CultureInfo.InvariantCulture));
            double Median(string method) => passes.Where(p => p.Method == method).Select(p => p.RowsPerSecond).Order().ElementAt(passes.Count(p => p.Method == method) / 2);
            var (sink, raw) = (Median("sink"), Median("raw"));
            table.AddRow("[bold]sink / raw (medians)[/]", $"[bold]{sink / raw:0.00}[/]", "");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Batches of enriched events as the processor writes them, every event new; untimed by the benchmark.</summary>
    internal sealed class EnrichedBatches(int size)
    {
        private readonly ClickstreamGenerator _generator = new(new GeneratorSettings
        {
            Seed = 1, MaxEvents = long.MaxValue, Cdc = false, MalformedRate = 0, LateRate = 0, DuplicateRate = 0, BotRate = 0, OutOfOrderRate = 0,
        });
        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly long _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        private long _offset;

        public SinkBatch Next()
        {
            var records = new List<SinkRecord>(size);
            while (records.Count < size && _generator.MoveNext())
            {
                if (_generator.Current.Event is not { } e) continue;
                var enriched = Enrich(e);
                _buffer.ResetWrittenCount();
                ClickstreamJson.Write(enriched, _buffer);
                records.Add(new SinkRecord(SinkTopics.Default.Topic(OutputKind.Enriched), 0, _offset++, e.Timestamp, null, _buffer.WrittenSpan.ToArray()));
            }
            return new SinkBatch("bench", records);
        }

        // Close to the topology's enrichment; the benchmark needs realistic rows, not the processor's exact rules.
        private EnrichedEvent Enrich(ClickEvent e)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp);
            return new EnrichedEvent
            {
                Event = e,
                Country = EnrichProcessor.NormalizeCountryCode(e.GeoCountry),
                SearchQuery = EnrichProcessor.NormalizeQuery(e.SearchQuery),
                RevenueCents = e.EventType == EventType.Purchase ? (e.PriceCents ?? 0) * (e.Quantity ?? 0) : 0,
                EventHour = time.Hour,
                EventDate = DateOnly.FromDateTime(time.UtcDateTime),
                IsMobile = EnrichProcessor.IsMobile(e),
                ProcessingTimeMs = _now,
                IngestLagMs = _now - e.Timestamp,
                Offset = _offset,
            };
        }
    }
}
