using System.Data.Common;
using Sluice.Sinks;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The sink contract plus what the SQL stores (PostgreSQL, DuckDB) promise beyond it: the shared table definitions, column by column.</summary>
public abstract class SqlSinkContractTests : SinkContractTests
{
    /// <summary>A connection for reading the store, usable while a sink of this test has it open.</summary>
    protected abstract DbConnection OpenQuery();

    /// <summary>The store's SQL for a timestamp column as epoch milliseconds.</summary>
    protected abstract string EpochMs(string column);

    /// <summary>What the store's information_schema.columns.data_type says for a column of <paramref name="type"/>.</summary>
    protected abstract string DataType(ColumnType type);

    /// <summary>The store's name for the text type a row is cast to for fingerprints: text, VARCHAR.</summary>
    protected abstract string TextType { get; }

    /// <summary>The setting that names the store, which its errors name.</summary>
    protected abstract string StoreKey { get; }

    /// <summary>The SQL of the store's migrations 1 and 2, whose event_id columns are uuids: a store an older Sluice made.</summary>
    protected abstract IReadOnlyList<string> UuidEraMigrations { get; }

    protected override Dictionary<OutputKind, long> CountRows() =>
        SinkTopics.Default.Kinds.ToDictionary(k => k, k => Scalar<long>($"SELECT count(*) FROM {OutputTables.Of(k).Name}"));

    protected override string Fingerprint() =>
        string.Join(";", OutputTables.All.Select(t => t.Name).Append("sink_offsets").Select(t =>
            $"{t}:" + Scalar<string>($"SELECT coalesce(md5(string_agg(x::{TextType}, '|' ORDER BY x::{TextType})), 'empty') FROM {t} x")));

    /// <summary>The first column of the first row of <paramref name="sql"/>, read on a connection of its own.</summary>
    protected T Scalar<T>(string sql)
    {
        using var connection = OpenQuery();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (T)Convert.ChangeType(cmd.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void migrations_are_recorded_once_each()
    {
        using (var sink = CreateSink()) sink.Open();
        using (var sink = CreateSink()) sink.Open();
        Assert.Equal(6, Scalar<long>("SELECT count(*) FROM sluice_migrations"));
        Assert.Equal(6, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
    }

    [Fact]
    public void quality_totals_sums_the_partitions_and_recomputes_rates_score_and_grade_from_the_sums()
    {
        using var sink = Opened();
        // One window, two partitions. Partition 0: 100 records, all valid, new and complete: score 100. Partition 1: 900
        // records, 90 invalid, 18 duplicates, 9 bots, 3 late, 5 % of the required fields null: score 93.9. Averaging the
        // rows would give an invalid rate of 0.05 and a score of 96.95, EXCELLENT.
        sink.Write(Batch(
        [
            QualityRecord(partition: 0, recordsIn: 100, invalid: 0, duplicates: 0, bots: 0, late: 0, lagSum: 1_000, lagMax: 20, completeness: 1, score: 100),
            QualityRecord(partition: 1, recordsIn: 900, invalid: 90, duplicates: 18, bots: 9, late: 3, lagSum: 15_600, lagMax: 90, completeness: 0.95, score: 93.9),
        ]));

        using var connection = OpenQuery();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT partitions, records_in, valid, invalid, duplicates, bots, late, accepted, ingest_lag_ms_sum, ingest_lag_ms_max, " +
            "ingest_lag_ms_mean, invalid_rate, duplicate_rate, late_rate, bot_rate, completeness, score, grade FROM quality_totals";
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        long Long(int i) => Convert.ToInt64(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([2L, 1_000, 910, 90, 18, 9, 3, 880, 16_600, 90], Enumerable.Range(0, 10).Select(Long));
        Assert.Equal(16_600 / 880.0, reader.GetDouble(10));
        Assert.Equal(0.09, reader.GetDouble(11));
        Assert.Equal(0.018, reader.GetDouble(12));
        Assert.Equal(0.003, reader.GetDouble(13));
        Assert.Equal(0.009, reader.GetDouble(14));
        // 1 − (nulls of the required fields) / (required fields × valid) = 1 − 0.05 × 810 / 910.
        Assert.Equal(1 - 40.5 / 910, reader.GetDouble(15), 12);
        // 100 × (0.4 × 0.91 + 0.3 × 0.955494… + 0.3 × 0.982) = 94.5248…
        Assert.Equal(94.52, reader.GetDouble(16));
        Assert.Equal("ACCEPTABLE", reader.GetString(17));
        Assert.False(reader.Read());
    }

    // A quality row as the processor writes it, for the window at 2026-01-01T00:00Z; valid and accepted follow from the counts.
    private static SinkRecord QualityRecord(int partition, long recordsIn, long invalid, long duplicates, long bots, long late, long lagSum, long lagMax,
        double completeness, double score)
    {
        const long Start = 1_767_225_600_000;
        var valid = recordsIn - invalid;
        var accepted = valid - duplicates - bots - late;
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var json = string.Create(c, $$"""
            {"window_start":{{Start}},"window_end":{{Start + 60_000}},"partition":{{partition}},"records_in":{{recordsIn}},"valid":{{valid}},
             "invalid":{{invalid}},"duplicates":{{duplicates}},"bots":{{bots}},"late":{{late}},"accepted":{{accepted}},
             "invalid_by_reason":{"invalid_json":{{invalid}}},"null_counts":{"user_id":0,"page_url":0},
             "ingest_lag_ms_sum":{{lagSum}},"ingest_lag_ms_max":{{lagMax}},"ingest_lag_ms_mean":{{(double)lagSum / accepted}},
             "volume_baseline":null,"volume_ratio":null,"invalid_rate":{{(double)invalid / recordsIn}},"duplicate_rate":{{(double)duplicates / recordsIn}},
             "late_rate":{{(double)late / recordsIn}},"bot_rate":{{(double)bots / recordsIn}},"completeness":{{completeness}},"score":{{score}},
             "grade":"{{(score >= 95 ? "EXCELLENT" : score >= 90 ? "ACCEPTABLE" : "POOR")}}"}
            """);
        return new SinkRecord(SinkTopics.Default.Quality!, partition, 0, Start, System.Text.Encoding.UTF8.GetBytes($"{Start}|{partition}"),
            System.Text.Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void a_store_migrated_by_a_newer_sluice_is_refused_with_its_version()
    {
        using (var sink = CreateSink()) sink.Open();
        Scalar<int>("INSERT INTO sluice_migrations (version, name) VALUES (99, 'from the future') RETURNING version");
        using var newer = CreateSink();
        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => newer.Open());
        Assert.Contains("schema version 99", ex.Message);
        Assert.Contains(StoreKey, ex.Message);
    }

    [Fact]
    public void every_table_has_the_columns_of_the_shared_definition_in_order()
    {
        using (var sink = Opened()) { }
        using var connection = OpenQuery();
        foreach (var table in OutputTables.All)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table.Name}' ORDER BY ordinal_position";
            using var reader = cmd.ExecuteReader();
            var actual = new List<(string, string)>();
            while (reader.Read()) actual.Add((reader.GetString(0), reader.GetString(1).ToLowerInvariant()));
            Assert.Equal(table.ColumnTypes.Select(c => (c.Name, DataType(c.Type).ToLowerInvariant())), actual);
        }
    }

    [Fact]
    public void rows_read_back_equal_the_rows_written_column_by_column()
    {
        using var sink = Opened();
        var batch = Batch(Records);
        sink.Write(batch);
        AssertStoredRowsAre(batch);
    }

    [Fact]
    public void rows_with_ids_that_are_not_uuids_read_back_equal_the_rows_written()
    {
        using var sink = Opened();
        var batch = Batch(MixedIdRecords);
        sink.Write(batch);
        AssertStoredRowsAre(batch);
    }

    [Fact]
    public void a_store_whose_event_ids_are_uuids_is_migrated_to_text_at_open_and_keeps_its_rows()
    {
        // 1. A store as an older Sluice left it: migrations 1 and 2, event_id uuid, one event and one bot event in it.
        const string Upper = "3F2504E0-4F89-41D3-9A0C-0305E82C3301";
        const string Lower = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
        Execute("CREATE TABLE sluice_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var sql in UuidEraMigrations) Execute(sql);
        Execute("INSERT INTO sluice_migrations (version, name) VALUES (1, 'tables'), (2, 'views')");
        Execute($"INSERT INTO events (event_id, event_type, event_time, session_id, schema_version) VALUES ('{Upper}', 'page_view', now(), 's-old', 3)");
        Execute($"INSERT INTO bot_events (event_id, event_type, event_time, session_id, schema_version) VALUES ('{Lower}', 'page_view', now(), 's-old', 3)");
        Assert.NotEqual(DataType(ColumnType.Text).ToLowerInvariant(), EventIdType("events"));

        // 2. Opening it applies migrations 3 to 6, 4 among them: every event_id column is text, the uuids their lower-case text;
        //    6 adds the profile columns to the events already there, null in them.
        using var sink = Opened();
        Assert.Equal(6, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
        Assert.Equal(1, Scalar<long>("SELECT count(*) FROM events WHERE profile_version IS NULL AND signup_date IS NULL"));
        foreach (var table in new[] { "events", "bot_events", "late_events" })
            Assert.Equal(DataType(ColumnType.Text).ToLowerInvariant(), EventIdType(table));
        Assert.Equal(Lower, Scalar<string>("SELECT event_id FROM events"));
        Assert.Equal(Lower, Scalar<string>("SELECT event_id FROM bot_events"));

        // 3. The old row's id sent again (as the processor writes a UUID, in lower case) is the same row, kept as it was;
        //    an id that is no UUID lands beside it.
        var enriched = MixedIdRecords.Where(r => r.Topic == SinkTopics.Default.Enriched).Take(2).ToList();
        sink.Write(Batch([WithEventId(enriched[0], Lower), WithEventId(enriched[1], "e1")]));
        Assert.Equal(2L, Scalar<long>("SELECT count(*) FROM events"));
        Assert.Equal("s-old", Scalar<string>($"SELECT session_id FROM events WHERE event_id = '{Lower}'"));
        Assert.Equal(1L, Scalar<long>("SELECT count(*) FROM events WHERE event_id = 'e1'"));
        // The views over the rebuilt tables still answer.
        Assert.Equal(2L, Scalar<long>("SELECT CAST(sum(events) AS BIGINT) FROM hourly_summary"));
        Assert.Equal(Scalar<long>("SELECT count(*) FROM (SELECT DISTINCT product_id, product_category FROM events WHERE product_id IS NOT NULL) p"),
            Scalar<long>("SELECT count(*) FROM top_products"));
    }

    private string EventIdType(string table) =>
        Scalar<string>($"SELECT data_type FROM information_schema.columns WHERE table_name = '{table}' AND column_name = 'event_id'").ToLowerInvariant();

    private void Execute(string sql)
    {
        using var connection = OpenQuery();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    // The record with its event_id replaced: enriched records begin {"event_id":"<id>",.
    private static SinkRecord WithEventId(SinkRecord record, string id)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(record.Value)!.AsObject();
        json["event_id"] = id;
        return record with { Value = System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()) };
    }

    // Every row the store holds equals the latest record of its id in the batch, column by column.
    private void AssertStoredRowsAre(SinkBatch batch)
    {
        var parsed = ParsedBatch.Parse(batch, SinkTopics.Default);

        using var connection = OpenQuery();
        foreach (var kind in Enum.GetValues<OutputKind>())
        {
            var table = OutputTables.Of(kind);
            // The latest record of each id is what a sink holds (for ids that mean one content, all records are equal).
            var expected = parsed.Rows(kind).GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.MaxBy(r => r.Sequence)!);
            var stored = StoredRows.Read(connection, kind, EpochMs);
            Assert.Equal(expected.Count, stored.Count);
            foreach (var row in stored)
            {
                Assert.True(expected.TryGetValue(row.Id, out var want), $"{table.Name}: {row.Id} was not written");
                var differences = table.Differences(want!, row, []);
                Assert.True(differences.Count == 0, $"{table.Name} {row.Id}: {string.Join("; ", differences)}");
            }
        }
    }
}
