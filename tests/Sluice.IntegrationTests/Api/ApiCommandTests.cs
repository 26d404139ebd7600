using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.IntegrationTests.Sinks;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Postgres;
using Sluice.TestKit;
using Xunit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Api;

/// <summary>The API as <c>sluice demo</c> and <c>sluice process</c> serve it, each a real child process, with the warehouse each chooses.</summary>
public sealed partial class ApiCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task demo_serves_status_throughput_and_its_duckdb_warehouse_while_it_runs()
    {
        // 1. A demo of 30,000 events at 3,000 a second in a directory of its own: its DuckDB warehouse is ./data/sluice.duckdb there.
        using var dir = new TempDirectory("sluice-api-demo");
        using var run = SluiceChild.Start(["demo", "--events", "30000", "--rate", "3000", "--no-live"], workingDirectory: dir.Path);
        var logged = await run.WaitForLineAsync(l => l.Contains("observe: serving", StringComparison.Ordinal), Long, "the observe URL");
        output.WriteLine(logged);
        Assert.Contains("/api/", logged, StringComparison.Ordinal);
        Assert.Contains("(warehouse: duckdb)", logged, StringComparison.Ordinal);
        var url = ServedUrl().Match(logged).Groups[1].Value;
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        // The printed URL line, on standard output, names the API and its OpenAPI document.
        await PollAsync(http, "/healthz", _ => run.StdOut.Contains($"API at {url}api/status (all of it in {url}openapi/v1.json)", StringComparison.Ordinal), run);

        // 2. Status from the instruments: records counted as they are processed, and the warehouse named.
        var status = await PollAsync(http, "/api/status", s => s.GetProperty("recordsIn").GetInt64() > 0, run);
        Assert.Equal("demo", status.GetProperty("mode").GetString());
        Assert.Equal("duckdb", status.GetProperty("warehouse").GetString());
        Assert.Equal(["partitions", "sinks", "lag"], status.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()));

        // 3. The history shows records flowing, and the warehouse answers from the sink's file in the same process.
        await PollAsync(http, "/api/throughput?minutes=1",
            t => t.GetProperty("points").EnumerateArray().Any(p => p.GetProperty("recordsPerSecond").GetDouble() > 0), run);
        var categories = await PollAsync(http, "/api/categories", c => c.GetProperty("categories").GetArrayLength() > 0, run);
        Assert.All(categories.GetProperty("categories").EnumerateArray(), c => Assert.True(c.GetProperty("views").GetInt64() >= 0));
        status = await PollAsync(http, "/api/status", s => s.GetProperty("sinks").EnumerateArray().Any(k => k.GetProperty("name").GetString() == "duckdb"), run);
        Assert.All(status.GetProperty("sinks").EnumerateArray(), k => Assert.Equal("closed", k.GetProperty("circuit").GetString()));

        // 4. Once the input is processed the status counts every record produced, once (the sinks keep the run up while they catch up).
        status = await PollAsync(http, "/api/status", s => s.GetProperty("recordsIn").GetInt64() >= 30_000, run);
        Assert.Equal(30_000, status.GetProperty("recordsIn").GetInt64());
        Assert.True(status.GetProperty("outputs").GetProperty("clickstream.enriched").GetInt64() > 0);

        // 5. The demo still ends with every output matching the ground truth.
        Assert.Equal(0, await run.WaitForExitAsync(Long));
        Assert.Contains("every output matches the ground truth", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task process_reads_postgres_when_configured_a_duckdb_file_when_it_exists_and_else_answers_503()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-api-process");
        var records = SinkTestData.Outputs(1_500, seed: 11);

        // 1. No postgres.connectionString and no DuckDB file: the views answer 503 naming both.
        var absent = dir.File("absent.duckdb");
        await WithProcessAsync(broker, dir, new() { ["SLUICE__WAREHOUSE__PATH"] = absent }, async http =>
        {
            using var response = await http.GetAsync(new Uri("/api/funnel", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
            Assert.StartsWith("no warehouse in this process: postgres.connectionString is empty", error, StringComparison.Ordinal);
            Assert.Contains(absent, error, StringComparison.Ordinal);
            var status = await GetAsync(http, "/api/status");
            Assert.Equal("process", status.GetProperty("mode").GetString());
            Assert.Equal(JsonValueKind.Null, status.GetProperty("warehouse").ValueKind);
        });

        // 2. A DuckDB file no process writes: read-only, and the funnel is its sessions.
        var file = dir.File("warehouse.duckdb");
        using (var sink = new DuckDbSink(file, SinkTopics.Default))
        {
            sink.Open();
            sink.Write(new SinkBatch("b", records));
        }
        long duckSessions;
        using (var query = DuckDbWarehouse.OpenReadOnly(file))
        using (var cmd = query.CreateCommand())
        {
            cmd.CommandText = "SELECT count(*) FROM sessions";
            duckSessions = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.True(duckSessions > 0);
        await WithProcessAsync(broker, dir, new() { ["SLUICE__WAREHOUSE__PATH"] = file }, async http =>
        {
            Assert.Equal("duckdb", (await GetAsync(http, "/api/status")).GetProperty("warehouse").GetString());
            Assert.Equal(duckSessions, (await GetAsync(http, "/api/funnel")).GetProperty("sessions").GetInt64());
        });

        // 3. postgres.connectionString set: PostgreSQL, even with the DuckDB file there.
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        using (var sink = new PostgresSink(db.ConnectionString, SinkTopics.Default))
        {
            sink.Open();
            sink.Write(new SinkBatch("b", records.Where(r => r.Topic != SinkTopics.Default.Sessions || r.Offset % 2 == 0).ToList()));
        }
        await using var pg = new NpgsqlConnection(db.ConnectionString);
        await pg.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM sessions", pg);
        var pgSessions = (long)(await count.ExecuteScalarAsync())!;
        Assert.NotEqual(duckSessions, pgSessions);
        await WithProcessAsync(broker, dir, new() { ["SLUICE__WAREHOUSE__PATH"] = file, ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString }, async http =>
        {
            Assert.Equal("postgres", (await GetAsync(http, "/api/status")).GetProperty("warehouse").GetString());
            Assert.Equal(pgSessions, (await GetAsync(http, "/api/funnel")).GetProperty("sessions").GetInt64());
        });

        // 4. The DuckDB file while `sluice sink --to duckdb` writes it in another process: DuckDB's lock refuses the
        //    read-only open, and the answer is a 503 naming the holder.
        using var writer = SluiceChild.Start(["sink", "--to", "duckdb", "--bootstrap-servers", broker.BootstrapServers, "--warehouse", file]);
        await writer.WaitForLineAsync(l => l.Contains("duckdb: ready", StringComparison.Ordinal), Long, "the DuckDB sink's start");
        await WithProcessAsync(broker, dir, new() { ["SLUICE__WAREHOUSE__PATH"] = file }, async http =>
        {
            Assert.Equal("duckdb", (await GetAsync(http, "/api/status")).GetProperty("warehouse").GetString());
            using var response = await http.GetAsync(new Uri("/api/funnel", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
            output.WriteLine(error);
            Assert.StartsWith("no warehouse in this process: ", error, StringComparison.Ordinal);
            Assert.Contains("is open in another process", error, StringComparison.Ordinal);
            Assert.Contains($"(PID {writer.Id})", error, StringComparison.Ordinal);
        });
        await TerminateAsync(writer);
    }

    private async Task WithProcessAsync(BrokerProcess broker, TempDirectory dir, Dictionary<string, string> environment, Func<HttpClient, Task> check)
    {
        using var checkpoints = new TempDirectory("sluice-ckpt");
        using var run = SluiceChild.Start(ProcessArgs(broker.BootstrapServers, $"api-{Guid.NewGuid():N}", checkpoints.Path), environment, dir.Path);
        var line = await run.WaitForLineAsync(l => l.Contains("observe: serving", StringComparison.Ordinal), Long, "the observe URL");
        output.WriteLine(line);
        using var http = new HttpClient { BaseAddress = new Uri(ServedUrl().Match(line).Groups[1].Value) };
        try
        {
            await check(http);
        }
        finally
        {
            if (!run.HasExited) await TerminateAsync(run);
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> done, SluiceChild run)
    {
        var deadline = DateTime.UtcNow + Long;
        var last = "";
        while (DateTime.UtcNow < deadline && !run.HasExited)
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.IsSuccessStatusCode)
            {
                var json = JsonDocument.Parse(last[4..]).RootElement.Clone();
                if (done(json)) return json;
            }
            await Task.Delay(250);
        }
        foreach (var l in run.Lines.TakeLast(30)) output.WriteLine(l);
        throw new TimeoutException($"{path} did not answer as wanted while the run lasted; last: {(last.Length > 500 ? last[..500] : last)}");
    }

    [GeneratedRegex(@" at (http://\S+?)(?: |$)")]
    private static partial Regex ServedUrl();
}
