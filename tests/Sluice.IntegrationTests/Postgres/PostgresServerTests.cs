using Npgsql;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Postgres;

public sealed class PostgresServerTests
{
    [Fact]
    public async Task test_server_is_postgresql_15_and_a_temporary_database_round_trips_rows()
    {
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        Assert.Equal(15, conn.PostgreSqlVersion.Major);

        await using (var create = new NpgsqlCommand("CREATE TABLE events (id bigint PRIMARY KEY, event_type text NOT NULL)", conn))
            await create.ExecuteNonQueryAsync();
        await using (var writer = await conn.BeginBinaryImportAsync("COPY events (id, event_type) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < 1000; i++)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync((long)i);
                await writer.WriteAsync(i % 2 == 0 ? "page_view" : "purchase");
            }
            Assert.Equal(1000UL, await writer.CompleteAsync());
        }
        await using var count = new NpgsqlCommand("SELECT count(*) FILTER (WHERE event_type = 'purchase'), sum(id) FROM events", conn);
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(500, reader.GetInt64(0));
        Assert.Equal(499_500, reader.GetDecimal(1));
    }

    [Fact]
    public void test_server_listens_on_loopback_only()
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresTestServer.ConnectionString);
        Assert.Equal("127.0.0.1", builder.Host);
    }
}
