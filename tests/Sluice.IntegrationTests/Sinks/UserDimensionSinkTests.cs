using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using DuckDB.NET.Data;
using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.ClickHouse;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Postgres;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The user dimension's outputs and the joined events, hand-written to topics of the embedded broker, through a sink runner into each store, twice.</summary>
public sealed class UserDimensionSinkTests(BrokerFixture broker) : IClassFixture<BrokerFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly TempDirectory _dir = new("sluice-user-sinks-");
    private readonly SinkTopics _topics = Topics(broker);
    private readonly string _group = "users-it-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("postgres")]
    [InlineData("duckdb")]
    [InlineData("clickhouse")]
    public async Task versions_corrections_and_joined_profiles_land_once_each_and_events_with_profile_takes_the_newer_correction(string store)
    {
        await using var pg = store == "postgres" ? await PostgresTestServer.CreateDatabaseAsync() : null;
        using var ch = store == "clickhouse" ? ClickHouseTestServer.CreateDatabase() : null;
        var path = _dir.File("warehouse.duckdb");
        ISink Create() => store switch
        {
            "postgres" => new PostgresSink(pg!.ConnectionString, _topics),
            "duckdb" => new DuckDbSink(path, _topics),
            _ => new ClickHouseSink(ClickHouseTestServer.Url, ch!.Name, "default", "", _topics),
        };
        // Rows read back through the shared definitions; the view through SQL, its flag as 0 or 1.
        List<OutputRow> Read(OutputKind kind)
        {
            if (store == "clickhouse")
            {
                using var reader = (ClickHouseSink)Create();
                return [.. reader.ReadStored(kind).OrderBy(r => r.Id, StringComparer.Ordinal)];
            }
            using var connection = Connect(store, pg, path);
            return [.. StoredRows.Read(connection, kind, store == "postgres" ? PostgresSink.EpochMs : DuckDbTables.EpochMs).OrderBy(r => r.Id, StringComparer.Ordinal)];
        }
        List<string> View()
        {
            const string sql = "SELECT event_id, profile_version, profile_position, profile_segment, signup_date, " +
                "CASE WHEN profile_corrected THEN 1 ELSE 0 END FROM events_with_profile ORDER BY event_id";
            if (store == "clickhouse")
                return [.. ClickHouseTestServer.Query(sql, ch!.Name).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Replace("\\N", "null", StringComparison.Ordinal))];
            using var connection = Connect(store, pg, path);
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            using var reader = cmd.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
                rows.Add(string.Join("\t", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i) switch
                {
                    DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    DateTime t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    var v => Convert.ToString(v, CultureInfo.InvariantCulture),
                })));
            return rows;
        }
        string Everything() => string.Join("\n", new[] { OutputKind.Enriched, OutputKind.UserVersions, OutputKind.Corrections }
            .SelectMany(k => Read(k).Select(r => string.Join(",", RowComparison.Values((dynamic)OutputTables.Of(k), (dynamic)r) is object?[] v ? v.Select(x => x?.ToString()) : []))))
            + "\n" + string.Join("\n", View());

        // 1. The records once: one row per version (the closed version updated in place), per corrected event, per event.
        await ProduceAll();
        await Run(Create, UserDimensionRecords.UserVersions.Length + UserDimensionRecords.Corrections.Length + UserDimensionRecords.Enriched.Length);
        AssertRows(Read);
        Assert.Equal(
        [
            "e-1\t2\t20\tvip\t2026-01-01\t1",  // the correction is newer than the event's version 1
            "e-2\t2\t20\tvip\t2026-01-01\t0",  // the correction is no newer than the event's own version 2
            "e-3\tnull\tnull\tnull\tnull\t0",  // an anonymous visitor's event, from a processor that joins no users
        ], View());
        var before = Everything();

        // 2. The same records again, as a processor replay writes them (new offsets, same ids): nothing changes.
        await ProduceAll();
        await Run(Create, UserDimensionRecords.UserVersions.Length + UserDimensionRecords.Corrections.Length + UserDimensionRecords.Enriched.Length);
        Assert.Equal(before, Everything());

        // 3. e-2 again, joined by a processor replay that knew a newer version (3 at position 30): PostgreSQL and DuckDB
        //    keep the event's first copy but take the newer profile; ClickHouse keeps the first copy whole.
        var (key, json) = UserDimensionRecords.Enriched[1];
        var rejoined = json.Replace("\"profile_version\":2,\"profile_position\":20,\"profile_segment\":\"vip\"",
            "\"profile_version\":3,\"profile_position\":30,\"profile_segment\":\"gold\"", StringComparison.Ordinal);
        Assert.NotEqual(json, rejoined);
        using (var producer = broker.Factory.CreateProducer("users-it"))
        {
            await producer.ProduceAsync(new TopicPartition(_topics.Enriched!, 0), new Message<string, byte[]> { Key = key, Value = Encoding.UTF8.GetBytes(rejoined) });
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        await Run(Create, 1);
        Assert.Equal(store == "clickhouse" ? "e-2\t2\t20\tvip\t2026-01-01\t0" : "e-2\t3\t30\tgold\t2026-01-01\t0", View()[1]);
    }

    [Fact]
    public async Task the_lake_appends_each_state_of_a_version_once_and_each_correction_once_even_when_written_twice()
    {
        var root = _dir.File("lake");
        // DuckDB shows the lake's UTC timestamps in UTC.
        LakeSink Create() => new(root, _topics, "clickstream.events", recentIds: 1000);
        using var duck = new DuckDBConnection("Data Source=:memory:");
        duck.Open();
        using (var tz = duck.CreateCommand()) { tz.CommandText = "SET TimeZone = 'UTC'"; tz.ExecuteNonQuery(); }
        List<string> Query(string table, string sql)
        {
            using var lake = Create();
            lake.Open();
            var t = lake.Tables.Single(x => x.Name == table);
            t.Log.CatchUp(t.Snapshot);
            var files = string.Join(", ", t.Snapshot.Files.Keys.Select(p => $"'{Path.Combine(t.Log.TableRoot, Uri.UnescapeDataString(p))}'"));
            using var cmd = duck.CreateCommand();
            cmd.CommandText = sql.Replace("{t}", $"read_parquet([{files}], union_by_name = true)", StringComparison.Ordinal);
            using var reader = cmd.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read()) rows.Add(string.Join("\t", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
            return rows;
        }
        // The latest state of each version: its row with the highest output offset.
        const string Latest = "SELECT user_id, source_position, version, is_current, CAST(valid_to AS VARCHAR), CAST(deleted_at AS VARCHAR), CAST(signup_date AS VARCHAR) FROM {t} " +
            "QUALIFY row_number() OVER (PARTITION BY user_id, source_position ORDER BY output_offset DESC) = 1 ORDER BY ALL";

        for (var round = 0; round < 2; round++)
        {
            await ProduceAll();
            await Run(Create, UserDimensionRecords.UserVersions.Length + UserDimensionRecords.Corrections.Length + UserDimensionRecords.Enriched.Length);

            Assert.Equal(["5"], Query("silver/dim_users", "SELECT count(*) FROM {t}"));
            Assert.Equal(
            [
                "u-1\t10\t1\tFalse\t2026-01-01 01:00:00+00\tnull\t2026-01-01",
                "u-1\t20\t2\tTrue\tnull\tnull\t2026-01-01",
                "u-2\t5\t1\tFalse\t2026-01-01 02:00:00+00\t2026-01-01 02:00:00+00\tnull",
            ], Query("silver/dim_users", Latest));
            Assert.Equal(["e-1\tgold", "e-1\tvip", "e-2\tvip"], Query("silver/profile_corrections", "SELECT event_id, profile_segment FROM {t} ORDER BY event_id, output_offset"));
            Assert.Equal(["e-1\t1\t10\tnew\t2026-01-01", "e-2\t2\t20\tvip\t2026-01-01", "e-3\tnull\tnull\tnull\tnull"],
                Query("silver/events", "SELECT event_id, profile_version, profile_position, profile_segment, CAST(signup_date AS VARCHAR) FROM {t} ORDER BY event_id"));
        }
    }

    private static void AssertRows(Func<OutputKind, List<OutputRow>> read)
    {
        var versions = read(OutputKind.UserVersions).Cast<UserVersionRow>().ToList();
        Assert.Equal(["u-1|10", "u-1|20", "u-2|5"], versions.Select(v => v.Id));
        var closed = versions[0];
        Assert.Equal((1, false, (long?)UserDimensionRecords.T1, (long?)null, "new"), (closed.Version, closed.IsCurrent, closed.ValidTo, closed.DeletedAt, closed.Segment));
        Assert.Equal((new DateOnly(2026, 1, 1), (long?)UserDimensionRecords.T0), (closed.SignupDate!.Value, closed.CreatedAt));
        Assert.Equal((2, true, (long?)null, "u", "vip"), (versions[1].Version, versions[1].IsCurrent, versions[1].ValidTo, versions[1].Op, versions[1].Segment));
        var deleted = versions[2];
        Assert.Equal((false, (long?)UserDimensionRecords.T2, (long?)UserDimensionRecords.T2), (deleted.IsCurrent, deleted.ValidTo, deleted.DeletedAt));
        Assert.Null(deleted.SignupDate);
        Assert.Equal(("clickstream.cdc.users", 0, 1L), (deleted.SourceTopic, deleted.SourcePartition, deleted.SourceOffset));

        var corrections = read(OutputKind.Corrections).Cast<CorrectionRow>().ToList();
        Assert.Equal(["e-1", "e-2"], corrections.Select(c => c.Id));
        Assert.Equal(("vip", UserDimensionRecords.T1 + 30), (corrections[0].ProfileSegment, corrections[0].CorrectedAt));
        Assert.Equal(((int?)1, (long?)10, (int?)2, (long?)20), (corrections[0].OldVersion, corrections[0].OldPosition, corrections[0].NewVersion, corrections[0].NewPosition));

        var events = read(OutputKind.Enriched).Cast<EventRow>().ToList();
        Assert.Equal(["e-1", "e-2", "e-3"], events.Select(e => e.Id));
        Assert.Equal(((int?)1, (long?)10, "new", "DE", (DateOnly?)new DateOnly(2026, 1, 1)),
            (events[0].ProfileVersion, events[0].ProfilePosition, events[0].ProfileSegment, events[0].ProfileCountry, events[0].SignupDate));
        Assert.Equal(((int?)null, (long?)null, (string?)null, (string?)null, (DateOnly?)null),
            (events[2].ProfileVersion, events[2].ProfilePosition, events[2].ProfileSegment, events[2].ProfileCountry, events[2].SignupDate));
    }

    private static DbConnection Connect(string store, TemporaryDatabase? pg, string path)
    {
        DbConnection connection = store == "postgres" ? new NpgsqlConnection(pg!.ConnectionString) : new DuckDBConnection($"Data Source={path}");
        connection.Open();
        return connection;
    }

    private static SinkTopics Topics(BrokerFixture broker)
    {
        // One partition each: a user's records keep their order, as the processor's keyed records do on their partition.
        string Topic(string name) => broker.CreateTopic(1, "users-it." + name);
        return new SinkTopics(Topic("enriched"), Topic("dlq"), Topic("late"), Topic("bots"), Topic("aggregated"), Topic("sessions"), null,
            Topic("dim_users"), Topic("corrections"));
    }

    private async Task ProduceAll()
    {
        using var producer = broker.Factory.CreateProducer("users-it");
        foreach (var (topic, records) in new[]
                 {
                     (_topics.UserVersions!, UserDimensionRecords.UserVersions), (_topics.Enriched!, UserDimensionRecords.Enriched),
                     (_topics.Corrections!, UserDimensionRecords.Corrections),
                 })
            foreach (var (key, json) in records)
                await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<string, byte[]> { Key = key, Value = Encoding.UTF8.GetBytes(json) });
        producer.Flush(TimeSpan.FromSeconds(10));
    }

    // Runs a runner of the test's group over a new sink until it has written `records` records, then stops it.
    private async Task Run(Func<ISink> create, int records)
    {
        using var sink = create();
        sink.Open();
        using var runner = new SinkRunner(sink, broker.Factory, new SinkRunnerOptions
        {
            GroupId = _group, Topics = _topics.All, BatchSize = 100, BatchInterval = TimeSpan.FromMilliseconds(200),
            RetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1), BreakDuration = TimeSpan.FromSeconds(1),
        });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => runner.Run(stop.Token));
        var clock = Stopwatch.StartNew();
        while (!run.IsCompleted && runner.Written < records && clock.Elapsed < Timeout) await Task.Delay(100);
        stop.Cancel();
        await run;
        Assert.True(runner.Written == records, $"the runner wrote {runner.Written} of {records} records within {Timeout}");
    }
}
