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
