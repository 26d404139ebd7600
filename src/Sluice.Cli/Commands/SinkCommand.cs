using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sink --to postgres</c>: lands the output topics in a store, exactly once, until stopped.</summary>
internal static class SinkCommand
{
    /// <summary>Stores a sink can name; those without an implementation yet are refused as such.</summary>
    private static readonly string[] Planned = ["duckdb", "lake"];

    public static Command Create()
    {
        var to = new Option<string[]>("--to")
        {
            Description = "Where the outputs go: postgres (duckdb and lake are not there yet); a list, comma-separated or repeated",
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

            // The store first: a wrong password or an unreachable server is reported before any consumer joins the group.
            using var sink = CreatePostgres(options, topics, logger);
            sink.Open(ct);
            logger.LogInformation("postgres: schema ready at {Server}", sink.Server);
            var factory = ClusterCommands.ExistingCluster(options, loggers, "sink");

            using var runner = new SinkRunner(sink, factory, RunnerOptions(options, options.Sinks.Postgres.GroupId, topics), logger);
            await Task.Run(() => runner.Run(ct), CancellationToken.None).ConfigureAwait(false);
            logger.LogInformation("{Targets}: stopped after writing {Records:N0} records in {Batches:N0} batches", string.Join(", ", targets),
                runner.Written, runner.Batches);
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
            if (t != "postgres") throw new UsageException($"--to {t}: unknown sink; use postgres");
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

    private static SinkRunnerOptions RunnerOptions(SluiceOptions options, string groupId, SinkTopics topics) => new()
    {
        GroupId = groupId,
        Topics = topics.All,
        BatchSize = options.Sinks.BatchSize,
        BatchInterval = options.Sinks.BatchInterval,
        MaxRetryDelay = options.Sinks.MaxRetryDelay,
        // System.CommandLine ends the process two seconds after Ctrl+C or SIGTERM: the last batch must be written before.
        ShutdownTimeout = TimeSpan.FromSeconds(1.5),
    };
}
