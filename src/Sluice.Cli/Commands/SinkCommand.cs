using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Postgres;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sink --to postgres,lake</c>: lands the output topics in stores, exactly once, until stopped.</summary>
internal static class SinkCommand
{
    /// <summary>Stores a sink can name; those without an implementation yet are refused as such.</summary>
    private static readonly string[] Planned = ["duckdb"];

    private static readonly string[] Known = ["postgres", "lake"];

    public static Command Create()
    {
        var to = new Option<string[]>("--to")
        {
            Description = "Where the outputs go: postgres, lake (duckdb is not there yet); a list, comma-separated or repeated",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var bootstrap = new Option<string?>("--bootstrap-servers") { Description = "The cluster holding the output topics (default kafka.bootstrapServers)" };
        var connection = new Option<string?>("--connection")
        {
            Description = "Npgsql connection string of the PostgreSQL database (default postgres.connectionString; prefer SLUICE__POSTGRES__CONNECTIONSTRING, which ps does not show)",
        };
        var command = new Command("sink",
            "Consume the output topics in the sink's own group and land them in a store with their offsets, exactly once, until Ctrl+C or SIGTERM")
        {
            to, bootstrap, connection,
        };
        command.SetAction(async (parse, ct) =>
        {
            var targets = Targets(parse.GetValue(to) ?? []);
            var options = GlobalOptions.LoadOptions(parse, OptionKey.Of(bootstrap, "kafka.bootstrapServers"), OptionKey.Of(connection, "postgres.connectionString"));
            using var loggers = GlobalOptions.CreateLoggerFactory(options.Logging);
            var logger = loggers.CreateLogger("Sluice.Sinks");
            var topics = Topics(options);

            // The stores first: a wrong password, an unreachable server or an unwritable lake.path is reported before any consumer joins a group.
            var sinks = new List<(ISink Sink, SinkRunnerOptions Options)>();
            var runners = new List<SinkRunner>();
            try
            {
                foreach (var target in targets)
                {
                    if (target == "postgres")
                    {
                        var postgres = CreatePostgres(options, topics, logger);
                        sinks.Add((postgres, RunnerOptions(options, options.Sinks.Postgres.GroupId, topics.All)));
                        postgres.Open(ct);
                        logger.LogInformation("postgres: schema ready at {Server}", postgres.Server);
                    }
                    else
                    {
                        var lake = CreateLake(options, topics, logger);
                        sinks.Add((lake, RunnerOptions(options, options.Sinks.Lake.GroupId, lake.Topics)));
                        lake.Open(ct);
                        logger.LogInformation("lake: {Tables} Delta tables ready at {Root}", lake.Tables.Count, lake.Root);
                    }
                }
                var factory = ClusterCommands.ExistingCluster(options, loggers, "sink");
                foreach (var (sink, runnerOptions) in sinks) runners.Add(new SinkRunner(sink, factory, runnerOptions, logger));
                // A sink that stops for good stops the others too: the command's exit code then says so, instead of running on half-done.
                using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(ct);
                await Task.WhenAll(runners.Select(r => Task.Run(() =>
                {
                    try
                    {
                        r.Run(stopAll.Token);
                    }
                    catch
                    {
                        stopAll.Cancel();
                        throw;
                    }
                }, CancellationToken.None))).ConfigureAwait(false);
                foreach (var (runner, target) in runners.Zip(targets))
                    logger.LogInformation("{Target}: stopped after writing {Records:N0} records in {Batches:N0} batches", target, runner.Written, runner.Batches);
            }
            finally
            {
                foreach (var runner in runners) runner.Dispose();
                foreach (var (sink, _) in sinks) sink.Dispose();
            }
            return 0;
        });
        return command;
    }

    /// <summary>The stores named by --to, checked before anything starts.</summary>
    private static List<string> Targets(IEnumerable<string> values)
    {
        var targets = values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => v.ToLowerInvariant()).Distinct().ToList();
        foreach (var t in targets)
        {
            if (Planned.Contains(t)) throw new UsageException($"--to {t}: that sink is not there yet; use --to postgres");
            if (!Known.Contains(t)) throw new UsageException($"--to {t}: unknown sink; use {string.Join(" or ", Known)}");
        }
        if (targets.Count == 0) throw new UsageException("--to: name a sink, for example --to postgres");
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
