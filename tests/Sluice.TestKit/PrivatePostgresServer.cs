using System.Diagnostics;

namespace Sluice.TestKit;

/// <summary>
/// A PostgreSQL server of its own for one test (eng/pg-test-server.sh start), so the test can stop it for as long as
/// it likes without taking the shared test server from the tests running beside it.
/// </summary>
public sealed class PrivatePostgresServer : IDisposable
{
    private PrivatePostgresServer(string connectionString, string directory)
    {
        ConnectionString = connectionString;
        Directory = directory;
    }

    /// <summary>The trusted role's connection string to the <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server's directory (data, log, port).</summary>
    public string Directory { get; }

    public static PrivatePostgresServer Start()
    {
        var output = Script("start");
        string? cs = null, dir = null;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("export SLUICE_TEST_POSTGRES='", StringComparison.Ordinal)) cs = Unquote(line);
            else if (line.StartsWith("export SLUICE_TEST_POSTGRES_DIR='", StringComparison.Ordinal)) dir = Unquote(line);
        }
        return new PrivatePostgresServer(cs ?? throw new InvalidOperationException($"pg-test-server.sh start printed no connection string: {output}"),
            dir ?? throw new InvalidOperationException($"pg-test-server.sh start printed no directory: {output}"));
    }

    /// <summary>Stops the server (pg_ctl stop -m fast), keeping its data: an outage.</summary>
    public void Stop() => Script("pause", Directory);

    /// <summary>Starts it again on the same port; returns once it accepts connections (pg_ctl start -w).</summary>
    public void Restart() => Script("resume", Directory);

    public void Dispose()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        Script("stop", Directory);
    }

    private static string Unquote(string line)
    {
        var start = line.IndexOf('\'', StringComparison.Ordinal) + 1;
        return line[start..line.LastIndexOf('\'')];
    }

    private static string Script(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(RepoRoot.Path, "eng", "pg-test-server.sh"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pg-test-server.sh {args[0]} failed ({process.ExitCode}): {error.Result}");
        return output;
    }
}
