using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>Stops the shared PostgreSQL test server for a few seconds, so nothing else may run beside it.</summary>
[CollectionDefinition(nameof(PostgresOutage), DisableParallelization = true)]
public sealed class PostgresOutage;

[Collection(nameof(PostgresOutage))]
public sealed class PostgresOutageTests(SinkPipelineFixture f) : IClassFixture<SinkPipelineFixture>
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task while_postgres_is_down_the_runner_waits_and_then_lands_everything_once()
    {
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        var group = "sink-outage-" + Guid.NewGuid().ToString("N")[..8];
        using var sink = new PostgresSink(db.ConnectionString, f.Topics);
        sink.Open();
        Task? resumed = null;
        var downAt = DateTime.MinValue;

        // 1. The first batch is stored; then the server stops, and comes back after the outage.
        using var runner = new SinkRunner(sink, f.Broker.Factory, new SinkRunnerOptions
        {
            GroupId = group, Topics = f.Topics.All, BatchSize = 300, BatchInterval = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1), BreakDuration = TimeSpan.FromSeconds(1),
            AfterWrite = _ =>
            {
                if (resumed is not null) return;
                PostgresTestServer.Pause();
                downAt = DateTime.UtcNow;
                resumed = Task.Run(async () => { await Task.Delay(Outage); PostgresTestServer.Resume(); });
            },
        });
        try
        {
            // 2. The runner retries until the server is back, then stores the rest.
            using var watcher = new PostgresSink(db.ConnectionString, f.Topics);
            await SinkRunnerTests.RunUntilStored(runner, f, () => watcher.ReadOffsets(group), TimeSpan.FromSeconds(120));
        }
        finally
        {
            if (resumed is not null) await resumed;
        }

        // 3. It waited, retried, and every row is there once.
        Assert.True(runner.Retries > 0, "the runner never had to retry: the outage did not happen while it wrote");
        Assert.True(DateTime.UtcNow - downAt >= Outage);
        Assert.Equal(f.Records.Count, runner.Written);
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        var expected = SinkTestData.ExpectedRows(f.Records, f.Topics);
        foreach (var (kind, table) in new[] { (OutputKind.Enriched, "events"), (OutputKind.Sessions, "sessions"), (OutputKind.Aggregated, "window_aggregates"), (OutputKind.DeadLetters, "dead_letters") })
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
            Assert.Equal(expected[kind], (long)(await count.ExecuteScalarAsync())!);
        }
    }
}
