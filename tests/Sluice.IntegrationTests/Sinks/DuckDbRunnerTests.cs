using DuckDB.NET.Data;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The runner over the embedded broker into the DuckDB warehouse: a runner that dies after storing a batch is followed by one that writes only the rest.</summary>
public sealed class DuckDbRunnerTests(SinkPipelineFixture f) : IClassFixture<SinkPipelineFixture>, IDisposable
{
    private readonly TempDirectory _dir = new("sluice-duckdb-runner-");
    private readonly string _group = "duckdb-it-" + Guid.NewGuid().ToString("N")[..8];
    private int _batches;

    private string Path => _dir.File("sluice.duckdb");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task a_runner_that_dies_after_storing_a_batch_restarts_from_the_stored_offsets_and_lands_every_row_once()
    {
        using var sink = new DuckDbSink(Path, f.Topics);
        sink.Open();

        // 1. The first runner stores three batches and dies before committing the third's offsets to Kafka.
        long storedByFirst;
        using (var first = Runner(sink, afterWrite: b => { if (b.Count > 0 && ++_batches == 3) throw new InvalidOperationException("injected crash"); }))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => Task.Run(() => first.Run(CancellationToken.None)));
            storedByFirst = first.Written;
        }
        Assert.Equal(900, storedByFirst);
        var stored = sink.ReadOffsets(_group);
        Assert.Equal(900, stored.Values.Sum());

        // 2. A second runner in the same group starts where the rows end, not where Kafka's committed offsets say.
        using var second = Runner(sink);
        await SinkRunnerTests.RunUntilStored(second, f, ReadStoredOffsets, TimeSpan.FromSeconds(90));
        Assert.All(stored, p => Assert.Equal(p.Value, second.AssignedAt[p.Key]));
        Assert.Equal(f.Records.Count - storedByFirst, second.Written);

        // 3. Every row exactly once, and the offsets at the end of every output partition.
        Assert.Equal(f.EndOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(_group).OrderBy(p => p.Key.ToString()));
        var expected = SinkTestData.ExpectedRows(f.Records, f.Topics);
        using var connection = Query();
        foreach (var (kind, table) in new[] { (OutputKind.Enriched, "events"), (OutputKind.DeadLetters, "dead_letters"), (OutputKind.Late, "late_events"),
                     (OutputKind.Bots, "bot_events"), (OutputKind.Aggregated, "window_aggregates"), (OutputKind.Sessions, "sessions") })
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM {table}";
            Assert.Equal(expected[kind], Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    // The runner's sink is busy on its thread; a second connection in this process shares its database.
    private DuckDBConnection Query()
    {
        var connection = new DuckDBConnection($"Data Source={Path}");
        connection.Open();
        return connection;
    }

    private Dictionary<SinkPartition, long> ReadStoredOffsets()
    {
        using var connection = Query();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT topic, partition, next_offset FROM sink_offsets WHERE group_id = '{_group}'";
        using var reader = cmd.ExecuteReader();
        var offsets = new Dictionary<SinkPartition, long>();
        while (reader.Read()) offsets[new SinkPartition(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
        return offsets;
    }

    private SinkRunner Runner(ISink sink, Action<SinkBatch>? afterWrite = null) =>
        new(sink, f.Broker.Factory, new SinkRunnerOptions
        {
            GroupId = _group, Topics = f.Topics.All, BatchSize = 300, BatchInterval = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1), BreakDuration = TimeSpan.FromSeconds(1),
            AfterWrite = afterWrite,
        });
}
