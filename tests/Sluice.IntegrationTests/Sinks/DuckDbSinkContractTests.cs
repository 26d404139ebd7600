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
        // A test may make the store before any sink has (one an older Sluice left, say).
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
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

    protected override string TextType => "VARCHAR";

    protected override string StoreKey => "warehouse.path";

    protected override IReadOnlyList<string> UuidEraMigrations => [DuckDbSchema.Tables, DuckDbSchema.Views];

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
}
