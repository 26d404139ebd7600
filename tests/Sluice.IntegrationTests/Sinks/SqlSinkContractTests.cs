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
        Assert.Equal(3, Scalar<long>("SELECT count(*) FROM sluice_migrations"));
        Assert.Equal(3, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
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
