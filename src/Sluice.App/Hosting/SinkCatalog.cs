using Microsoft.Extensions.Logging;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.ClickHouse;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Postgres;

namespace Sluice.App.Hosting;

/// <summary>A store as configured: its name, its <c>sinks.&lt;name&gt;.groupId</c>, the topics it reads, and how to create its sink.</summary>
public sealed record SinkDefinition(string Name, string GroupId, IReadOnlyList<string> Topics, Func<ISink> Create);

/// <summary>The stores Sluice lands outputs in, by the names <c>sink --to</c> and <c>demo --sinks</c> take: the one place a store is added.</summary>
public static class SinkCatalog
{
    /// <summary>Every store's name, in the order a list of them starts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["postgres", "duckdb", "lake", "clickhouse"];

    /// <summary>The store called <paramref name="name"/> (one of <see cref="Names"/>), configured from <paramref name="options"/>.</summary>
    /// <param name="warehouseKey">What named the DuckDB file, for its errors: <c>warehouse.path</c> or the command's option.</param>
    public static SinkDefinition Define(string name, SluiceOptions options, ILogger logger, string warehouseKey = DuckDbWarehouse.PathKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        var topics = Topics(options);
        return name switch
        {
            "postgres" => new SinkDefinition(name, options.Sinks.Postgres.GroupId, topics.All, () => CreatePostgres(options, topics, logger)),
            "duckdb" => new SinkDefinition(name, options.Sinks.DuckDb.GroupId, topics.All,
                () => new DuckDbSink(options.Warehouse.Path, topics, logger, key: warehouseKey)),
            // The lake lands the input topic too (bronze).
            "lake" => new SinkDefinition(name, options.Sinks.Lake.GroupId, [InputTopic(options), .. topics.All],
                () => new LakeSink(options.Lake.Path, topics, InputTopic(options), options.Lake.RecentIds, logger)),
            "clickhouse" => new SinkDefinition(name, options.Sinks.ClickHouse.GroupId, topics.All, () => CreateClickHouse(options, topics, logger)),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"not a store; one of {string.Join(", ", Names)}"),
        };
    }

    // What the lake lands raw in bronze: the processor's input topic, a domain file's own when it has one.
    private static string InputTopic(SluiceOptions options) =>
        ClickstreamProcessor.TopologyOptions(options).Domain.Topics?.Input ?? options.Kafka.Topics.Events;

    /// <summary>Checks what the store called <paramref name="name"/> needs of the configuration, before anything starts.</summary>
    /// <exception cref="ConfigurationException">A setting the store needs is missing, naming its key.</exception>
    public static void Check(string name, SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name == "postgres") RequireConnectionString(options);
        if (name == "clickhouse") RequireClickHouseUrl(options);
    }

    /// <summary>The output topics the processor writes, as configured: the quality topic only with <c>quality.enabled</c>, the
    /// user dimension's versions and the profile corrections only with <c>processor.userDimension</c>; for a domain file with its own event (<c>processor.domain</c>), its dead letters, late records and aggregate rows.</summary>
    public static SinkTopics Topics(SluiceOptions options)
    {
        var t = ClickstreamProcessor.TopologyOptions(options);
        if (t.Domain.Topics is { } own) return SinkTopics.OfDomain(own.DeadLetters, own.Late, own.Aggregated);
        return new SinkTopics(t.EnrichedTopic, t.DeadLetterTopic, t.LateTopic, t.BotsTopic, t.AggregatedTopic, t.SessionsTopic,
            t.Quality.Enabled ? t.Quality.Topic : null, t.JoinsUsers ? t.UserVersionsTopic : null, t.JoinsUsers ? t.CorrectionsTopic : null);
    }

    /// <summary>Where the store keeps what it holds, for logs: host:port/database, a file, a folder.</summary>
    public static string Describe(ISink sink) => sink switch
    {
        PostgresSink pg => $"at {pg.Server}",
        DuckDbSink duck => $"in {duck.Path}",
        LakeSink lake => $"with {lake.Tables.Count} Delta tables at {lake.Root}",
        ClickHouseSink clickHouse => $"at {clickHouse.Server}",
        _ => "",
    };

    private static PostgresSink CreatePostgres(SluiceOptions options, SinkTopics topics, ILogger logger)
    {
        RequireConnectionString(options);
        return new PostgresSink(options.Postgres.ConnectionString, topics, logger);
    }

    private static void RequireConnectionString(SluiceOptions options)
    {
        if (options.Postgres.ConnectionString.Length == 0)
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "must be set for the PostgreSQL sink: set SLUICE__POSTGRES__CONNECTIONSTRING, " +
                "for example 'Host=localhost;Username=sluice;Password=...;Database=sluice', or pass --connection");
    }

    private static ClickHouseSink CreateClickHouse(SluiceOptions options, SinkTopics topics, ILogger logger)
    {
        RequireClickHouseUrl(options);
        var c = options.Sinks.ClickHouse;
        return new ClickHouseSink(c.Url, c.Database, c.User, c.Password, topics, logger);
    }

    private static void RequireClickHouseUrl(SluiceOptions options)
    {
        if (options.Sinks.ClickHouse.Url.Length == 0)
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.url", "must be set for the ClickHouse sink: the server's HTTP interface, for example " +
                "--set sinks.clickhouse.url=http://localhost:8123 or SLUICE__SINKS__CLICKHOUSE__URL");
    }
}
