using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Serve;
using Sluice.Serve.Api;
using Sluice.Serve.Health;
using Sluice.TestKit;
using Xunit;

namespace Sluice.IntegrationTests.Api;

/// <summary>The API's server side over real HTTP on a loopback port: the token gate, OpenAPI, 503 without a warehouse, the history and the live stream.</summary>
public sealed class ApiServerTests
{
    private const string Token = "api-test-token-0123456789";

    private static readonly string[] WarehousePaths =
    [
        "/api/windows/latest", "/api/funnel", "/api/sessions", "/api/products/top", "/api/categories", "/api/revenue",
        "/api/dead-letters/by-reason", "/api/dead-letters", "/api/late", "/api/quality",
    ];

    private static async Task<ObserveServer> StartAsync(string token = "", IWarehouseReader? warehouse = null, string noWarehouse = "no warehouse in this process: for the test")
    {
        var server = new ObserveServer(new ObserveOptions { Listen = "http://127.0.0.1:0" }, new DashboardOptions { Token = token },
            [new ReadinessCheck("test", () => ReadinessResult.Pass("always"))], NullLogger.Instance)
        {
            Mode = "demo",
            Warehouse = warehouse,
            NoWarehouse = noWarehouse,
        };
        await server.StartAsync(CancellationToken.None);
        return server;
    }

    [Fact]
    public async Task the_token_gate_applies_to_the_api_and_the_openapi_document()
    {
        var server = await StartAsync(Token);
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            foreach (var path in new[] { "/api/status", "/api/throughput", "/api/funnel", "/api/stream", "/openapi/v1.json" })
            {
                using var none = await http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
                using var wrong = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token + "x") } };
                Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
            }
            using var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/status") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
            using var query = await http.GetAsync(new Uri($"/openapi/v1.json?token={Token}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task the_openapi_document_lists_every_api_path_with_a_summary()
    {
        var server = await StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative))).RootElement;
            var paths = document.GetProperty("paths");
            var listed = paths.EnumerateObject().Select(p => p.Name).Where(p => p.StartsWith("/api/", StringComparison.Ordinal)).Order().ToList();
            Assert.Equal(ApiEndpoints.Paths.Order(), listed);
            Assert.Equal(13, listed.Count);
            foreach (var path in ApiEndpoints.Paths)
            {
                var summary = paths.GetProperty(path).GetProperty("get").GetProperty("summary").GetString();
                Assert.False(string.IsNullOrWhiteSpace(summary), $"{path} has no summary");
            }
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task without_a_warehouse_every_view_answers_503_saying_how_to_have_one_and_status_says_null()
    {
        var server = await StartAsync(noWarehouse: "no warehouse in this process: set postgres.connectionString");
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            foreach (var path in WarehousePaths)
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
                Assert.Equal("no warehouse in this process: set postgres.connectionString", error);
            }
            var status = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;
            Assert.Equal(JsonValueKind.Null, status.GetProperty("warehouse").ValueKind);
            Assert.Equal("demo", status.GetProperty("mode").GetString());
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task a_duckdb_warehouse_file_that_is_missing_answers_503_naming_the_file()
    {
        using var dir = new TempDirectory("sluice-api-");
        var path = dir.File("absent.duckdb");
        var server = await StartAsync(warehouse: new DuckDbWarehouseReader(path, inProcessWithSink: false));
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            using var response = await http.GetAsync(new Uri("/api/funnel", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;
            Assert.StartsWith("no warehouse in this process: ", error, StringComparison.Ordinal);
            Assert.Contains(Path.GetFullPath(path), error, StringComparison.Ordinal);
            Assert.False(File.Exists(path), "reading must not create the warehouse file");
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task throughput_holds_a_point_a_second_oldest_first()
    {
        var server = await StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url };
            await Task.Delay(TimeSpan.FromSeconds(3.5));
            var answer = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/throughput?minutes=1", UriKind.Relative))).RootElement;
            Assert.Equal(1, answer.GetProperty("intervalSeconds").GetInt32());
            var t = answer.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetInt64()).ToList();
            Assert.InRange(t.Count, 3, 6);
            for (var i = 1; i < t.Count; i++) Assert.InRange(t[i] - t[i - 1], 500, 2000);
            var point = answer.GetProperty("points")[0];
            foreach (var field in new[] { "recordsPerSecond", "outputsPerSecond", "deadLettersPerSecond", "consumerLag", "watermarkLagSeconds" })
                Assert.True(point.TryGetProperty(field, out _), $"a point has no {field}");
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task the_stream_sends_status_events_with_increasing_uptime_and_ends_when_the_server_stops()
    {
        var server = await StartAsync();
        var stopped = false;
        try
        {
            using var http = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(30) };
            using var response = await http.GetAsync(new Uri("/api/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var uptimes = new List<double>();
            while (uptimes.Count < 2)
            {
                var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.NotNull(line);
                if (line.StartsWith("event:", StringComparison.Ordinal)) Assert.Equal("event: status", line);
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                var data = JsonDocument.Parse(line["data: ".Length..]).RootElement;
                Assert.Equal("demo", data.GetProperty("mode").GetString());
                Assert.True(data.TryGetProperty("point", out _));
                uptimes.Add(data.GetProperty("uptimeSeconds").GetDouble());
            }
            Assert.True(uptimes[1] > uptimes[0], $"uptime {uptimes[0]} then {uptimes[1]}");

            // Stopping the server ends the stream, and the open stream does not hold the stop up.
            var clock = Stopwatch.StartNew();
            await server.StopAsync(CancellationToken.None);
            stopped = true;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {clock.Elapsed}");
            // The response completes: the reader reaches its end instead of waiting (or failing on a cut connection).
            await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Null(await reader.ReadLineAsync());
        }
        finally
        {
            if (!stopped) await server.StopAsync(CancellationToken.None);
        }
    }
}
