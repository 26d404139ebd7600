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

    /// <summary>The role eng/pg-test-server.sh makes give a password (every other role is trusted), and its password.</summary>
    public const string PasswordRole = "sluice_password";
    public const string RolePassword = "right-password";

    /// <summary>Creates <see cref="PasswordRole"/> if missing; returns a connection string for it with <paramref name="password"/>.</summary>
    public static async Task<string> PasswordRoleConnectionStringAsync(string password)
    {
        await using (var admin = new NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                $"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PasswordRole}') THEN " +
                $"CREATE ROLE {PasswordRole} LOGIN PASSWORD '{RolePassword}'; END IF; END $$", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Username = PasswordRole, Password = password }.ConnectionString;
    }

    /// <summary>Stops the server, keeping its data (an outage); <see cref="Resume"/> starts it again on the same port.</summary>
    public static void Pause() => Script("pause");

    public static void Resume() => Script("resume");

    private static void Script(string verb)
    {
        var dir = Environment.GetEnvironmentVariable("SLUICE_TEST_POSTGRES_DIR") is { Length: > 0 } d
            ? d
            : throw new InvalidOperationException("SLUICE_TEST_POSTGRES_DIR is not set: start the server with eng/pg-test-server.sh, which sets it");
        var info = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { System.IO.Path.Combine(RepoRoot.Path, "eng", "pg-test-server.sh"), verb, dir }) info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg-test-server.sh {verb} failed ({process.ExitCode}): {error}");
    }

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
