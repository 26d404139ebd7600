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
        Enum.GetValues<OutputKind>().ToDictionary(k => k, k => Scalar<long>($"SELECT count(*) FROM {OutputTables.Of(k).Name}"));

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
        Assert.Equal(4, Scalar<long>("SELECT count(*) FROM sluice_migrations"));
        Assert.Equal(4, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
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

        // 2. Opening it applies migrations 3 and 4: every event_id column is text, the uuids their lower-case text.
        using var sink = Opened();
        Assert.Equal(4, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
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
