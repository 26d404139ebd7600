using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Demo;

/// <summary><c>sluice demo</c> with <c>postgres.connectionString</c> set lands its outputs in PostgreSQL through a sink service.</summary>
public sealed partial class DemoSinkTests
{
    [Fact]
    public async Task demo_with_a_postgres_connection_string_stores_every_enriched_event_before_it_exits()
    {
        // 1. A database of its own, and a demo of 3,000 events pointed at it.
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        var r = await SluiceProcess.RunAsync(["demo", "--events", "3000", "--no-live"], TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString });

        // 2. The demo still matches the ground truth and says what the sink stored.
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("every output matches the ground truth", r.StdOut, StringComparison.Ordinal);
        var stored = StoredLine().Match(r.StdOut);
        Assert.True(stored.Success, r.StdOut);
        var enriched = EnrichedRow().Match(r.StdOut);
        Assert.True(enriched.Success, r.StdOut);
        var enrichedCount = long.Parse(enriched.Groups["pipeline"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

        // 3. The database holds one row per enriched event, and the offsets of a group of the demo's own.
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(enrichedCount, await ScalarAsync(connection, "SELECT count(*) FROM events"));
        Assert.True(await ScalarAsync(connection, "SELECT count(*) FROM sink_offsets WHERE group_id LIKE 'sluice-sink-postgres-demo-%'") > 0);
        Assert.Equal(0, await ScalarAsync(connection, "SELECT count(*) FROM sink_offsets WHERE group_id = 'sluice-sink-postgres'"));
    }

    [Fact]
    public async Task demo_leaves_every_enriched_event_in_the_duckdb_warehouse_and_the_lake_by_default()
    {
        // 1. A demo of 3,000 events in a working directory of the test's own, with no store named.
        using var dir = new TempDirectory("sluice-demo-stores");
        var r = await SluiceProcess.RunAsync(["demo", "--events", "3000", "--no-live"], TimeSpan.FromMinutes(3), workingDirectory: dir.Path);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.Contains("sink duckdb:", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("sink lake:", r.StdOut, StringComparison.Ordinal);
        var enriched = long.Parse(EnrichedRow().Match(r.StdOut).Groups["pipeline"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.True(enriched > 0, r.StdOut);

        // 2. The warehouse file at ./data/sluice.duckdb holds one row per enriched event, read by sluice sql after the demo.
        var warehouse = Path.Combine(dir.Path, "data", "sluice.duckdb");
        Assert.Equal(enriched, await CountAsync(["sql", "SELECT count(*) FROM events", "--warehouse", warehouse, "--format", "csv"]));

        // 3. The lake at ./data/lake: silver/events holds the same rows, bronze every input record (the enriched ones among them).
        var lake = Path.Combine(dir.Path, "data", "lake");
        Assert.Equal(enriched, await CountAsync(["sql", $"SELECT count(*) FROM read_parquet('{lake}/silver/events/*/*.parquet', hive_partitioning = true)", "--format", "csv"]));
        Assert.True(await CountAsync(["sql", $"SELECT count(*) FROM read_parquet('{lake}/bronze/events/*/*.parquet', hive_partitioning = true)", "--format", "csv"]) > enriched);
        Assert.True(Directory.Exists(Path.Combine(lake, "silver", "events", "_delta_log")));
    }

    [Fact]
    public async Task demo_with_sinks_none_writes_no_store()
    {
        using var dir = new TempDirectory("sluice-demo-none");
        var r = await SluiceProcess.RunAsync(["demo", "--events", "2000", "--no-live", "--sinks", "none"], TimeSpan.FromMinutes(3), workingDirectory: dir.Path);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
        Assert.DoesNotContain("sink ", r.StdOut, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "data", "lake")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "data", "sluice.duckdb")));
    }

    [Fact]
    public async Task demo_with_an_unknown_store_is_a_usage_error()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", "2000", "--no-live", "--sinks", "duckdb,mysql"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--sinks mysql", r.StdErr, StringComparison.Ordinal);
    }

    private static async Task<long> CountAsync(string[] args)
    {
        var r = await SluiceProcess.RunAsync(args, TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, $"sluice {string.Join(' ', args)}: exit {r.ExitCode}\n{r.StdErr}");
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return long.Parse(lines[^1], CultureInfo.InvariantCulture);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"sink postgres: (?<n>[\d,]+) output records stored")]
    private static partial Regex StoredLine();

    [GeneratedRegex(@"valid → clickstream\.enriched\W+(?<truth>[\d,]+)\W+(?<pipeline>[\d,]+)")]
    private static partial Regex EnrichedRow();
}
