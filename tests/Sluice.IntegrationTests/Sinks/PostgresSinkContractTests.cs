using System.Data.Common;
using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.Postgres;
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
}
