using System.Globalization;
using Sluice.Core.Errors;
using Sluice.Sinks;
using Sluice.Sinks.ClickHouse;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The sink contract against ClickHouse (the server eng/clickhouse-test-server.sh starts), a fresh database per test; readers' view is <c>FINAL</c>.</summary>
public sealed class ClickHouseSinkContractTests : SinkContractTests, IDisposable
{
    private readonly TemporaryClickHouseDatabase _db = ClickHouseTestServer.CreateDatabase();

    public void Dispose() => _db.Dispose();

    protected override ISink CreateSink(Action? beforeCommit = null) => Sink(beforeCommit);

    private ClickHouseSink Sink(Action? beforeCommit = null) =>
        new(ClickHouseTestServer.Url, _db.Name, "default", "", SinkTopics.Default, beforeCommit: beforeCommit);

    protected override Dictionary<OutputKind, long> CountRows() =>
        SinkTopics.Default.Kinds.ToDictionary(k => k, k => Long($"SELECT count() FROM {OutputTables.Of(k).Name} FINAL"));

    // Every table's rows as readers see them (FINAL), each row as its column values, sorted; then the offsets. The
    // version is left out: a replay writes the same rows under a newer one.
    protected override string Fingerprint()
    {
        using var sink = Sink();
        var tables = new[]
        {
            Rows(sink, ClickHouseTables.Events), Rows(sink, ClickHouseTables.Bots), Rows(sink, ClickHouseTables.DeadLetters),
            Rows(sink, ClickHouseTables.Late), Rows(sink, ClickHouseTables.Aggregates), Rows(sink, ClickHouseTables.Sessions),
            Rows(sink, ClickHouseTables.Quality),
        };
        var offsets = ClickHouseTestServer.Query("SELECT group_id, topic, partition, next_offset FROM sink_offsets FINAL ORDER BY group_id, topic, partition", _db.Name);
        return string.Join("\n#\n", tables.Append(offsets));
    }

    private static string Rows<T>(ClickHouseSink sink, ClickHouseTable<T> table) where T : OutputRow, new() =>
        string.Join("\n", sink.ReadRows(table).Select(r => string.Join("|", RowComparison.Values(table.Table, r).Select(Show))).Order(StringComparer.Ordinal));

    private static string Show(object? value) => value switch
    {
        null => "∅",
        byte[] b => Convert.ToHexString(b),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private long Long(string sql) => long.Parse(_db.Scalar(sql), CultureInfo.InvariantCulture);

    [Fact]
    public void migrations_are_recorded_once_each()
    {
        using (var sink = CreateSink()) sink.Open();
        using (var sink = CreateSink()) sink.Open();
        Assert.Equal(ClickHouseMigrations.Latest, Long("SELECT count() FROM sluice_migrations FINAL"));
        Assert.Equal(ClickHouseMigrations.Latest, Long("SELECT max(version) FROM sluice_migrations"));
    }

    [Fact]
    public void a_database_migrated_by_a_newer_sluice_is_refused_with_its_version_and_the_key()
    {
        using (var sink = CreateSink()) sink.Open();
        ClickHouseTestServer.Query("INSERT INTO sluice_migrations (version, name) VALUES (99, 'from the future')", _db.Name);
        using var newer = CreateSink();
        var ex = Assert.Throws<ConfigurationException>(() => newer.Open());
        Assert.Contains("schema version 99", ex.Message);
        Assert.Equal("sinks.clickhouse.database", ex.Key);
    }

    [Fact]
    public void every_table_has_the_columns_of_the_shared_definition_in_order_then_the_version()
    {
        using (var sink = Opened()) { }
        foreach (var (table, nullable) in new (IOutputTable, IReadOnlyList<bool>)[]
                 {
                     (OutputTables.Events, ClickHouseTables.Events.Nullable), (OutputTables.Bots, ClickHouseTables.Bots.Nullable),
                     (OutputTables.DeadLetters, ClickHouseTables.DeadLetters.Nullable), (OutputTables.Late, ClickHouseTables.Late.Nullable),
                     (OutputTables.Aggregates, ClickHouseTables.Aggregates.Nullable), (OutputTables.Sessions, ClickHouseTables.Sessions.Nullable),
                     (OutputTables.Quality, ClickHouseTables.Quality.Nullable), (OutputTables.UserVersions, ClickHouseTables.UserVersions.Nullable),
                     (OutputTables.Corrections, ClickHouseTables.Corrections.Nullable),
                 })
        {
            var actual = ClickHouseTestServer.Query($"SELECT name, type FROM system.columns WHERE database = '{_db.Name}' AND table = '{table.Name}'", _db.Name)
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Select(p => (p[0], p[1])).ToList();
            var expected = table.ColumnTypes.Select((c, i) => (c.Name, ClickHouseTables.SqlType(c.Type, nullable[i]))).Append(("_version", "UInt64"));
            Assert.Equal(expected, actual);
            Assert.Equal("ReplacingMergeTree", _db.Scalar($"SELECT engine FROM system.tables WHERE database = '{_db.Name}' AND name = '{table.Name}'"));
        }
    }

    [Fact]
    public void rows_read_back_with_final_equal_the_latest_record_of_each_id_column_by_column()
    {
        using var sink = Sink();
        sink.Open();
        foreach (var records in new[] { Records, MixedIdRecords })
        {
            var batch = Batch(records);
            sink.Write(batch);
            sink.Write(batch);
            var parsed = ParsedBatch.Parse(batch, SinkTopics.Default);
            AssertRows(sink, ClickHouseTables.Events, parsed.Events);
            AssertRows(sink, ClickHouseTables.Bots, parsed.Bots);
            AssertRows(sink, ClickHouseTables.DeadLetters, parsed.DeadLetters);
            AssertRows(sink, ClickHouseTables.Late, parsed.Late);
            AssertRows(sink, ClickHouseTables.Aggregates, parsed.Aggregates);
            AssertRows(sink, ClickHouseTables.Sessions, parsed.Sessions);
            AssertRows(sink, ClickHouseTables.Quality, parsed.Quality);
            ClickHouseTestServer.Query($"DROP DATABASE {_db.Name}");
            sink.Open();
        }
    }

    [Fact]
    public void a_batch_written_twice_is_stored_twice_and_final_and_a_merge_keep_one_row_per_id()
    {
        using var sink = Opened();
        var batch = Batch(Records);
        sink.Write(batch);
        var (rows, contents) = (CountRows(), Fingerprint());

        sink.Write(batch);

        // 1. The second write landed (twice the rows before any merge): FINAL is what keeps one per id.
        Assert.True(Long("SELECT count() FROM events") > rows[OutputKind.Enriched], "the replayed batch should be stored again until a merge");
        Assert.Equal(rows, CountRows());
        Assert.Equal(contents, Fingerprint());

        // 2. After the merge ClickHouse would make in its own time, plain queries agree with FINAL.
        foreach (var table in OutputTables.All) ClickHouseTestServer.Query($"OPTIMIZE TABLE {table.Name} FINAL", _db.Name);
        Assert.Equal(rows[OutputKind.Enriched], Long("SELECT count() FROM events"));
        Assert.Equal(rows[OutputKind.Aggregated], Long("SELECT count() FROM window_aggregates"));
        Assert.Equal(contents, Fingerprint());
    }

    [Fact]
    public void the_views_count_each_id_once_before_any_merge_and_sum_the_partials_over_partitions()
    {
        using var sink = Opened();
        var batch = Batch(Records);
        sink.Write(batch);
        sink.Write(batch);
        var parsed = ParsedBatch.Parse(batch, SinkTopics.Default);
        static List<T> Latest<T>(List<T> rows) where T : OutputRow => [.. rows.GroupBy(r => r.Id).Select(g => g.MaxBy(r => r.Sequence)!)];
        var aggregates = Latest(parsed.Aggregates);
        var events = Latest(parsed.Events);
        var sessions = Latest(parsed.Sessions);

        // 1. window_totals: each partial counted once however often it was written, summed over partitions.
        var sums = aggregates.Where(a => !a.Metric.StartsWith("conversion_rate_", StringComparison.Ordinal))
            .GroupBy(a => $"{a.Aggregate}|{a.WindowStart}|{a.Dimension}|{a.DimensionValue}|{a.Metric}")
            .ToDictionary(g => g.Key, g => (Value: g.Sum(a => a.Value), Partitions: g.Count()));
        var totals = Tsv("SELECT aggregate, window_start, dimension, dimension_value, metric, value, partitions FROM window_totals")
            .ToDictionary(r => string.Join("|", r[..5]), r => (Value: double.Parse(r[5], CultureInfo.InvariantCulture), Partitions: int.Parse(r[6], CultureInfo.InvariantCulture)));
        Assert.True(sums.Count > 100, $"only {sums.Count} window totals in the test data");
        foreach (var (key, want) in sums)
        {
            Assert.True(totals.TryGetValue(key, out var got), $"window_totals lacks {key}");
            Assert.Equal(want.Partitions, got.Partitions);
            Assert.Equal(want.Value, got.Value, 9);
        }

        // 2. Conversion rates recomputed from the summed counts.
        var rates = totals.Where(t => t.Key.EndsWith("|conversion_rate_sessions", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rates);
        foreach (var (key, got) in rates)
        {
            var prefix = key[..^"conversion_rate_sessions".Length];
            var sessionsSum = sums[prefix + "sessions"].Value;
            var converted = sums.TryGetValue(prefix + "converted_sessions", out var c) ? c.Value : 0;
            Assert.Equal(sessionsSum > 0 ? converted / sessionsSum : 0, got.Value, 9);
        }

        // 3. The other views: one row per id.
        Assert.Equal(events.Count, Long("SELECT sum(events) FROM hourly_summary"));
        Assert.Equal(events.Sum(e => e.RevenueCents ?? 0), Long("SELECT sum(revenue_cents) FROM hourly_summary"));
        Assert.Equal(sessions.Count, Long("SELECT sum(sessions) FROM funnel"));
        Assert.Equal(sessions.Count(x => x.Converted), Long("SELECT sum(converted) FROM funnel"));
        Assert.Equal(Latest(parsed.DeadLetters).Count, Long("SELECT sum(dead_letters) FROM dead_letters_by_reason"));
    }

    private List<string[]> Tsv(string sql) =>
        [.. ClickHouseTestServer.Query(sql, _db.Name).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))];

    [Fact]
    public void an_event_keeps_its_first_row_and_a_session_takes_its_latest()
    {
        var enriched = Records.First(r => r.Topic == SinkTopics.Default.Enriched);
        var session = Records.First(r => r.Topic == SinkTopics.Default.Sessions);
        using var sink = Opened();
        sink.Write(Batch([enriched, session]));

        // The processor wrote both again after a crash: the event with a later processing time, the session extended.
        sink.Write(Batch([With(enriched, "processing_time", 4_102_444_800_000) with { Offset = enriched.Offset + 1 },
            With(session, "events", 999) with { Offset = session.Offset + 1 }]));

        var eventRow = ParsedBatch.Parse(Batch([enriched]), SinkTopics.Default).Events.Single();
        Assert.Equal(eventRow.ProcessingTime?.ToString(CultureInfo.InvariantCulture), _db.Scalar("SELECT processing_time FROM events FINAL"));
        Assert.Equal("999", _db.Scalar("SELECT events FROM sessions FINAL"));
        Assert.Equal("1", _db.Scalar("SELECT count() FROM events FINAL"));
        Assert.Equal("1", _db.Scalar("SELECT count() FROM sessions FINAL"));
    }

    [Fact]
    public void a_table_changed_by_hand_stops_the_write_with_the_table_and_what_to_do()
    {
        using var sink = Opened();
        ClickHouseTestServer.Query("ALTER TABLE events DROP COLUMN geo_country", _db.Name);
        var ex = Assert.Throws<SluiceException>(() => sink.Write(Batch(Records.Take(200))));
        Assert.False(ex.IsTransient);
        Assert.Contains("events", ex.Message);
        Assert.Contains("geo_country", ex.Message);
        Assert.Contains("sinks.clickhouse.database", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Empty(sink.ReadOffsets(Group));
    }

    [Fact]
    public void a_wrong_password_names_the_user_and_the_keys()
    {
        using var sink = new ClickHouseSink(ClickHouseTestServer.Url, _db.Name, ClickHouseTestServer.PasswordUser, "not-the-password", SinkTopics.Default);
        var ex = Assert.Throws<SluiceException>(() => sink.Open());
        Assert.Contains($"refused user '{ClickHouseTestServer.PasswordUser}'", ex.Message);
        Assert.Contains("sinks.clickhouse.password", ex.Message);
        Assert.DoesNotContain("not-the-password", ex.Message);

        using var right = new ClickHouseSink(ClickHouseTestServer.Url, _db.Name, ClickHouseTestServer.PasswordUser, ClickHouseTestServer.UserPassword, SinkTopics.Default);
        right.Open();
        right.Write(Batch(Records.Take(100)));
        Assert.NotEmpty(right.ReadOffsets(Group));
    }

    [Fact]
    public void a_server_that_does_not_answer_names_the_url_key_and_a_write_to_it_is_transient()
    {
        using var sink = new ClickHouseSink("http://127.0.0.1:1", _db.Name, "default", "", SinkTopics.Default);
        var ex = Assert.Throws<SluiceException>(() => sink.Open());
        Assert.StartsWith("no ClickHouse server answered at http://127.0.0.1:1", ex.Message);
        Assert.Contains("sinks.clickhouse.url", ex.Message);
        Assert.True(Assert.Throws<SluiceException>(() => sink.Write(Batch(Records.Take(10)))).IsTransient);
    }

    private static SinkRecord With(SinkRecord record, string field, long value)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(record.Value)!.AsObject();
        json[field] = value;
        return record with { Value = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()) };
    }

    // Every row FINAL shows equals the latest record of its id in the batch (for ids that mean one content, all are equal).
    private static void AssertRows<T>(ClickHouseSink sink, ClickHouseTable<T> table, List<T> written) where T : OutputRow, new()
    {
        var expected = written.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Sequence)!);
        var stored = sink.ReadRows(table);
        Assert.Equal(expected.Count, stored.Count);
        foreach (var row in stored)
        {
            Assert.True(expected.TryGetValue(row.Id, out var want), $"{table.Name}: {row.Id} was not written");
            var differences = table.Table.Differences(want!, row, []);
            Assert.True(differences.Count == 0, $"{table.Name} {row.Id}: {string.Join("; ", differences)}");
        }
    }
}
