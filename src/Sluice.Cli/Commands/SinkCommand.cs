using System.CommandLine;
using Microsoft.Extensions.Logging;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Serve;
using Sluice.Serve.Api;
using Sluice.Serve.Health;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice sink --to postgres,duckdb,lake,clickhouse</c>: lands the output topics in stores, exactly once, until stopped; each sink its own consumer group.</summary>
internal static class SinkCommand
{
    /// <summary>Stores a sink can write today.</summary>
    private static IReadOnlyList<string> Available => SinkCatalog.Names;

    public static Command Create()
    {
        var to = new Option<string[]>("--to")
        {
            Description = "Where the outputs go: postgres, duckdb (the warehouse file), lake (Delta tables of Parquet), clickhouse (sinks.clickhouse.url), or a list of them, comma-separated or repeated, each in its own consumer group",
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

            // The stores first: a wrong password, an unreachable server, a warehouse file another process holds or an
            // unwritable lake.path is reported before any consumer joins a group.
            var sinks = new List<(ISink Sink, SinkRunnerOptions Runner)>();
            try
            {
                var warehouseKey = parse.GetResult(warehouse) is { Implicit: false } ? "--warehouse" : DuckDbWarehouse.PathKey;
                foreach (var target in targets)
                {
                    var store = SinkCatalog.Define(target, options, logger, warehouseKey);
                    var sink = store.Create();
                    sinks.Add((sink, RunnerOptions(options, store.GroupId, store.Topics)));
                    sink.Open(ct);
                    logger.LogInformation("{Sink}: ready {Where}", sink.Name, SinkCatalog.Describe(sink));
                }
                var factory = ClusterCommands.ExistingCluster(options, loggers, "sink");
                await RunAll(sinks, factory, options, loggers, ct).ConfigureAwait(false);
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
    /// <remarks>With observe.listen set, /metrics, /healthz and /readyz are served from before the runners join their groups until they stop.</remarks>
    private static async Task RunAll(List<(ISink Sink, SinkRunnerOptions Runner)> sinks, Sluice.Kafka.KafkaClientFactory factory, SluiceOptions options,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("Sluice.Sinks");
        var runners = sinks.Select(s => new SinkRunner(s.Sink, factory, s.Runner, logger)).ToList();
        var warehouse = WarehouseChoice.ForSink(options, sinks.Select(s => s.Sink.Name).ToList());
        using var disposeWarehouse = warehouse.Reader as IDisposable;
        var server = options.Observe.Enabled
            ? new ObserveServer(options.Observe, options.Dashboard, SinkReadinessChecks.For(runners), loggers.CreateLogger("Sluice.Observe"))
            {
                Mode = "sink",
                Warehouse = warehouse.Reader,
                NoWarehouse = warehouse.Reader is null ? warehouse.NoWarehouse : "",
            }
            : null;
        try
        {
            if (server is not null) await server.StartAsync(ct).ConfigureAwait(false);
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
            if (server is not null)
            {
                await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await server.DisposeAsync().ConfigureAwait(false);
            }
            foreach (var runner in runners) runner.Dispose();
        }
    }

    /// <summary>The stores named by <paramref name="option"/> (comma-separated or repeated), checked before anything starts.</summary>
    internal static List<string> Targets(IEnumerable<string> values, string option = "--to")
    {
        var targets = values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => v.ToLowerInvariant()).Distinct().ToList();
        foreach (var t in targets)
            if (!Available.Contains(t)) throw new UsageException($"{option} {t}: unknown sink; use {string.Join(" or ", Available)}, or a list of them");
        if (targets.Count == 0) throw new UsageException($"{option}: name a sink, for example {option} duckdb");
        return targets;
    }

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
