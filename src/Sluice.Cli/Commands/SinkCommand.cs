using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Postgres;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sink --to postgres,duckdb,lake</c>: lands the output topics in stores, exactly once, until stopped; each sink its own consumer group.</summary>
internal static class SinkCommand
{
    /// <summary>Stores a sink can write today.</summary>
    private static readonly string[] Available = ["postgres", "duckdb", "lake"];

    public static Command Create()
    {
        var to = new Option<string[]>("--to")
        {
            Description = "Where the outputs go: postgres, duckdb (the warehouse file), lake (Delta tables of Parquet), or a list of them, comma-separated or repeated, each in its own consumer group",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster holding the output topics (default kafka.bootstrapServers)" };
        var connection = new Option<string?>("--connection")
        {
            Description = "Npgsql connection string of the PostgreSQL database (default postgres.connectionString; prefer SLUICE__POSTGRES__CONNECTIONSTRING, which ps does not show)",
        };
        var warehouse = new Option<string?>("--warehouse") { Description = "The DuckDB file of the duckdb sink (default warehouse.path)" };
        var command = new Command("sink",
            "Consume the output topics in the sink's own group and land them in a store with their offsets, exactly once, until Ctrl+C or SIGTERM")
        {
            to, bootstrap, connection, warehouse,
        };
        command.SetAction(async (parse, ct) =>
        {
            var targets = Targets(parse.GetValue(to) ?? []);
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(connection, "postgres.connectionString"),
                OptionKey.Of(warehouse, "warehouse.path"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Sinks");
            var topics = Topics(options);

            // The stores first: a wrong password, an unreachable server, a warehouse file another process holds or an
            // unwritable lake.path is reported before any consumer joins a group.
            var sinks = new List<(ISink Sink, SinkRunnerOptions Runner)>();
            try
            {
                foreach (var target in targets)
                {
                    ISink sink = target switch
                    {
                        "duckdb" => CreateDuckDb(options, topics, logger, parse.GetResult(warehouse) is { Implicit: false } ? "--warehouse" : DuckDbWarehouse.PathKey),
                        "lake" => CreateLake(options, topics, logger),
                        _ => CreatePostgres(options, topics, logger),
                    };
                    sinks.Add((sink, RunnerOptions(options, sink switch
                    {
                        DuckDbSink => options.Sinks.DuckDb.GroupId,
                        LakeSink => options.Sinks.Lake.GroupId,
                        _ => options.Sinks.Postgres.GroupId,
                    }, sink is LakeSink l ? l.Topics : topics.All)));
                    sink.Open(ct);
                    logger.LogInformation("{Sink}: ready {Where}", sink.Name, sink switch
                    {
                        PostgresSink pg => $"at {pg.Server}",
                        DuckDbSink duck => $"in {duck.Path}",
                        LakeSink lake => $"with {lake.Tables.Count} Delta tables at {lake.Root}",
                        _ => "",
                    });
                }
                var factory = ClusterCommands.ExistingCluster(options, loggers, "sink");
                await RunAll(sinks, factory, logger, ct).ConfigureAwait(false);
            }
            finally
            {
                foreach (var (sink, _) in sinks) sink.Dispose();
            }
            return 0;
        });
        return command;
    }

    /// <summary>One runner per sink, each in its own consumer group, side by side; the first that fails stops the others.</summary>
    private static async Task RunAll(List<(ISink Sink, SinkRunnerOptions Runner)> sinks, Sluice.Kafka.KafkaClientFactory factory, ILogger logger,
        CancellationToken ct)
    {
        var runners = sinks.Select(s => new SinkRunner(s.Sink, factory, s.Runner, logger)).ToList();
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var runs = runners.Select(runner => Task.Run(() =>
            {
                try
                {
                    runner.Run(stop.Token);
                }
                catch
                {
                    // One store failing for good ends the command; the others write what they hold and leave their groups.
                    stop.Cancel();
                    throw;
                }
            }, CancellationToken.None)).ToList();
            try
            {
                await Task.WhenAll(runs).ConfigureAwait(false);
            }
            catch
            {
                // WhenAll rethrows the first failure in task order; the first that happened is more telling, but every one is logged.
                foreach (var failed in runs.Where(r => r.IsFaulted).Skip(1))
                    logger.LogError("{Error}", failed.Exception!.InnerException!.Message);
                throw;
            }
            for (var i = 0; i < runners.Count; i++)
                logger.LogInformation("{Sink}: stopped after writing {Records:N0} records in {Batches:N0} batches", sinks[i].Sink.Name,
                    runners[i].Written, runners[i].Batches);
        }
        finally
        {
            foreach (var runner in runners) runner.Dispose();
        }
    }

    /// <summary>The stores named by --to, checked before anything starts.</summary>
    private static List<string> Targets(IEnumerable<string> values)
    {
        var targets = values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => v.ToLowerInvariant()).Distinct().ToList();
        foreach (var t in targets)
        {
            if (!Available.Contains(t)) throw new UsageException($"--to {t}: unknown sink; use {string.Join(" or ", Available)}, or a list of them");
        }
        if (targets.Count == 0) throw new UsageException("--to: name a sink, for example --to duckdb");
        return targets;
    }

    /// <summary>The output topics the processor writes, as configured.</summary>
    public static SinkTopics Topics(SluiceOptions options)
    {
        var t = ClickstreamProcessor.TopologyOptions(options);
        return new SinkTopics(t.EnrichedTopic, t.DeadLetterTopic, t.LateTopic, t.BotsTopic, t.AggregatedTopic, t.SessionsTopic);
    }

    /// <summary>The PostgreSQL sink of <c>postgres.connectionString</c>, which must be set.</summary>
    public static PostgresSink CreatePostgres(SluiceOptions options, SinkTopics topics, ILogger logger)
    {
        if (options.Postgres.ConnectionString.Length == 0)
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "must be set for the PostgreSQL sink: set SLUICE__POSTGRES__CONNECTIONSTRING, " +
                "for example 'Host=localhost;Username=sluice;Password=...;Database=sluice', or pass --connection");
        return new PostgresSink(options.Postgres.ConnectionString, topics, logger);
    }

    /// <summary>The DuckDB warehouse sink of <c>warehouse.path</c>; <paramref name="key"/> is what named the file, for errors.</summary>
    public static DuckDbSink CreateDuckDb(SluiceOptions options, SinkTopics topics, ILogger logger, string key = DuckDbWarehouse.PathKey) =>
        new(options.Warehouse.Path, topics, logger, key: key);

    /// <summary>The lake sink at <c>lake.path</c>: it lands the input topic (bronze) and the outputs (silver, gold).</summary>
    public static LakeSink CreateLake(SluiceOptions options, SinkTopics topics, ILogger logger) =>
        new(options.Lake.Path, topics, options.Kafka.Topics.Events, options.Lake.RecentIds, logger);

    private static SinkRunnerOptions RunnerOptions(SluiceOptions options, string groupId, IReadOnlyList<string> topics) => new()
    {
        GroupId = groupId,
        Topics = topics,
        BatchSize = options.Sinks.BatchSize,
        BatchInterval = options.Sinks.BatchInterval,
        MaxRetryDelay = options.Sinks.MaxRetryDelay,
        // System.CommandLine ends the process two seconds after Ctrl+C or SIGTERM: the last batch must be written before.
        ShutdownTimeout = TimeSpan.FromSeconds(1.5),
    };
}
