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

    protected override Dictionary<OutputKind, long> CountRows() => new()
    {
        [OutputKind.Enriched] = Scalar<long>("SELECT count(*) FROM events"),
        [OutputKind.DeadLetters] = Scalar<long>("SELECT count(*) FROM dead_letters"),
        [OutputKind.Late] = Scalar<long>("SELECT count(*) FROM late_events"),
        [OutputKind.Bots] = Scalar<long>("SELECT count(*) FROM bot_events"),
        [OutputKind.Aggregated] = Scalar<long>("SELECT count(*) FROM window_aggregates"),
        [OutputKind.Sessions] = Scalar<long>("SELECT count(*) FROM sessions"),
    };

    protected override string Fingerprint() =>
        string.Join(";", PostgresTables.Names.Append("sink_offsets").Select(t =>
            $"{t}:" + Scalar<string>($"SELECT coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), 'empty') FROM {t} x")));

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

    [Fact]
    public void migrations_are_recorded_once_each()
    {
        using (var sink = CreateSink()) sink.Open();
        using (var sink = CreateSink()) sink.Open();
        Assert.Equal(2, Scalar<long>("SELECT count(*) FROM sluice_migrations"));
        Assert.Equal(2, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
    }

    [Fact]
    public void a_database_migrated_by_a_newer_sluice_is_refused_with_its_version()
    {
        using (var sink = CreateSink()) sink.Open();
        Scalar<int>("INSERT INTO sluice_migrations (version, name) VALUES (99, 'from the future') RETURNING version");
        using var newer = CreateSink();
        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => newer.Open());
        Assert.Contains("schema version 99", ex.Message);
        Assert.Contains("postgres.connectionString", ex.Message);
    }

    private T Scalar<T>(string sql)
    {
        using var connection = new NpgsqlConnection(_db.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        return (T)cmd.ExecuteScalar()!;
    }
}
