using System.Data.Common;
using DuckDB.NET.Data;
using Sluice.Core.Errors;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Tables;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The sink contract against a DuckDB warehouse file, a fresh file in a fresh directory per test.</summary>
public sealed class DuckDbSinkContractTests : SqlSinkContractTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-duckdb-sink-").FullName;

    private string Path => System.IO.Path.Combine(_dir, "warehouse", "sluice.duckdb");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    protected override ISink CreateSink(Action? beforeCommit = null) => new DuckDbSink(Path, SinkTopics.Default, beforeCommit: beforeCommit);

    // Within one process every connection to the file shares one database, so this reads while a sink has it open.
    protected override DbConnection OpenQuery()
    {
        var connection = new DuckDBConnection($"Data Source={Path}");
        connection.Open();
        return connection;
    }

    protected override string EpochMs(string column) => DuckDbTables.EpochMs(column);

    protected override string DataType(ColumnType type) => type switch
    {
        ColumnType.Timestamp => "TIMESTAMP WITH TIME ZONE",
        ColumnType.Json => "JSON",
        _ => DuckDbTables.SqlType(type),
    };

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
        string.Join(";", OutputTables.All.Select(t => t.Name).Append("sink_offsets").Select(t =>
            $"{t}:" + Scalar<string>($"SELECT coalesce(md5(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR)), 'empty') FROM {t} x")));

    [Fact]
    public void migrations_are_recorded_once_each()
    {
        using (var sink = CreateSink()) sink.Open();
        using (var sink = CreateSink()) sink.Open();
        Assert.Equal(2, Scalar<long>("SELECT count(*) FROM sluice_migrations"));
        Assert.Equal(2, Scalar<int>("SELECT max(version) FROM sluice_migrations"));
    }

    [Fact]
    public void a_file_migrated_by_a_newer_sluice_is_refused_with_its_version()
    {
        using (var sink = CreateSink()) sink.Open();
        Scalar<int>("INSERT INTO sluice_migrations (version, name) VALUES (99, 'from the future') RETURNING version");
        using var newer = CreateSink();
        var ex = Assert.Throws<SluiceException>(() => newer.Open());
        Assert.Contains("schema version 99", ex.Message);
        Assert.Contains("warehouse.path", ex.Message);
    }

    [Fact]
    public void a_directory_that_cannot_be_written_is_named_with_the_key()
    {
        var blocked = System.IO.Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(blocked, "a file where the directory should be");
        using var sink = new DuckDbSink(System.IO.Path.Combine(blocked, "w.duckdb"), SinkTopics.Default);
        var ex = Assert.Throws<ConfigurationException>(() => sink.Open());
        Assert.Equal("warehouse.path", ex.Key);
        Assert.Contains(blocked, ex.Message);
    }

    private T Scalar<T>(string sql)
    {
        using var connection = OpenQuery();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return (T)Convert.ChangeType(cmd.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
