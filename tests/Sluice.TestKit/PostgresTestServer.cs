using Npgsql;

namespace Sluice.TestKit;

/// <summary>The PostgreSQL server the tests use: <c>./build.sh test</c> starts one and sets SLUICE_TEST_POSTGRES.</summary>
public static class PostgresTestServer
{
    public const string Variable = "SLUICE_TEST_POSTGRES";

    /// <summary>The connection string; fails the test (never skips it) with how to start a server.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the tests with ./build.sh test, which starts a PostgreSQL server, " +
                $"or start one yourself (eval \"$(bash eng/pg-test-server.sh start)\") and export {Variable}");

    /// <summary>A fresh database for one test class, dropped on dispose.</summary>
    public static async Task<TemporaryDatabase> CreateDatabaseAsync()
    {
        var name = $"sluice_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name };
        return new TemporaryDatabase(name, builder.ConnectionString);
    }
}

/// <summary>A database that exists for the life of this object.</summary>
public sealed class TemporaryDatabase(string name, string connectionString) : IAsyncDisposable
{
    public string Name { get; } = name;
    public string ConnectionString { get; } = connectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(PostgresTestServer.ConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }
}
