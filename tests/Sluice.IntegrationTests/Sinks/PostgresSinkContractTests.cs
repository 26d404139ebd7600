using System.Data.Common;
using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The sink contract against PostgreSQL, a fresh database per test.</summary>
public sealed class PostgresSinkContractTests : SqlSinkContractTests, IAsyncLifetime
{
    private TemporaryDatabase _db = null!;

    public async Task InitializeAsync() => _db = await PostgresTestServer.CreateDatabaseAsync();

    public async Task DisposeAsync() => await _db.DisposeAsync();

    protected override ISink CreateSink(Action? beforeCommit = null) => new PostgresSink(_db.ConnectionString, SinkTopics.Default, beforeCommit: beforeCommit);

    protected override DbConnection OpenQuery()
    {
        var connection = new NpgsqlConnection(_db.ConnectionString);
        connection.Open();
        return connection;
    }

    protected override string EpochMs(string column) => PostgresTables.EpochMs(column);

    protected override string DataType(ColumnType type) => type == ColumnType.Timestamp ? "timestamp with time zone" : PostgresTables.SqlType(type);

    protected override string TextType => "text";

    protected override string StoreKey => "postgres.connectionString";

    protected override IReadOnlyList<string> UuidEraMigrations => [PostgresSchema.Tables, PostgresSchema.Views];

    [Fact]
    public void events_with_distinct_ids_some_stored_already_land_once_and_their_offsets_advance()
    {
        // Enriched events with distinct ids: the sink COPYs such a batch into events itself, and the stored half makes
        // the second batch's COPY meet its primary key, so that batch is rolled back and merged instead.
        var events = Records.Where(r => r.Topic == SinkTopics.Default.Enriched)
            .DistinctBy(r => ParsedBatch.Parse(Batch([r]), SinkTopics.Default).Events.Single().EventId).ToList();
        Assert.True(events.Count > 100, $"only {events.Count} distinct enriched events in the test data");
        using var sink = Opened();
        sink.Write(Batch(events.Take(events.Count / 2)));
        Assert.Equal(events.Count / 2, CountRows()[OutputKind.Enriched]);
        using (var copy = OpenQuery())
        using (var cmd = copy.CreateCommand())
        {
            cmd.CommandText = "CREATE TABLE first_half AS SELECT * FROM events";
            cmd.ExecuteNonQuery();
        }

        var all = Batch(events);
        sink.Write(all);

        Assert.Equal(events.Count, CountRows()[OutputKind.Enriched]);
        Assert.Equal(0L, Scalar<long>("SELECT count(*) FROM (SELECT * FROM first_half EXCEPT SELECT * FROM events) AS lost"));
        Assert.Equal(all.NextOffsets.OrderBy(p => p.Key.ToString()), sink.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
    }
}
