using System.Data.Common;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.IntegrationTests.Sinks;
using Sluice.Pipelines.Clickstream;
using Sluice.Serve;
using Sluice.Serve.Api;
using Sluice.Serve.Health;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Postgres;
using Sluice.Streaming.Errors;
using Sluice.TestKit;
using Xunit;

namespace Sluice.IntegrationTests.Api;

/// <summary>A warehouse filled by a real sink with generated outputs and one hostile dead letter, and an observe server on a free loopback port that reads it.</summary>
public abstract class ApiServerFixture : IAsyncLifetime
{
    /// <summary>Where the hostile dead letter came from, to find it.</summary>
    public const string HostileReason = "hostile_payload";

    /// <summary><c>&lt;script&gt;alert(1)&lt;/script&gt;</c>, two bytes that are not UTF-8, then 100 KB of text.</summary>
    public static readonly byte[] HostilePayload =
        [.. "<script>alert(1)</script>"u8, 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(new string('x', 100 * 1024))];

    private ObserveServer? _server;

    public HttpClient Http { get; private set; } = null!;

    public abstract string Kind { get; }

    /// <summary>A connection for the tests' own queries.</summary>
    public abstract DbConnection OpenQuery();

    /// <summary>The store's SQL for a timestamptz column as epoch milliseconds.</summary>
    public abstract string EpochMs(string column);

    protected abstract Task<(ISink Sink, IWarehouseReader Reader)> CreateAsync();

    protected ISink? Sink { get; private set; }

    public async Task InitializeAsync()
    {
        var (sink, reader) = await CreateAsync();
        Sink = sink;
        sink.Open();
        sink.Write(new SinkBatch("api", SinkTestData.Outputs(3_000, seed: 31)));
        sink.Write(new SinkBatch("api-hostile", [HostileDeadLetter()]));
        _server = new ObserveServer(new ObserveOptions { Listen = "http://127.0.0.1:0" }, new DashboardOptions(),
            [new ReadinessCheck("test", () => ReadinessResult.Pass("always"))], NullLogger.Instance)
        {
            Warehouse = reader,
        };
        await _server.StartAsync(CancellationToken.None);
        Http = new HttpClient { BaseAddress = _server.Url };
    }

    public virtual async Task DisposeAsync()
    {
        Http.Dispose();
        if (_server is not null) await _server.StopAsync(CancellationToken.None);
        Sink?.Dispose();
    }

    /// <summary>GET <paramref name="path"/>: 200 and its JSON.</summary>
    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static SinkRecord HostileDeadLetter()
    {
        var letter = new DeadLetterRecord(HostilePayload, null, HostileReason, "a payload meant for a browser", "clickstream.events", 9, 424_242,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) ClickstreamJson.Write(w, letter);
        return new SinkRecord(SinkTopics.Default.DeadLetters, 0, 1_000_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, buffer.ToArray());
    }
}

/// <summary>The DuckDB warehouse as the demo has it: the sink open in this process, the reader on its instance.</summary>
public sealed class DuckDbApiFixture : ApiServerFixture
{
    private readonly TempDirectory _dir = new("sluice-api-");

    public override string Kind => "duckdb";

    public string Path => _dir.File("warehouse.duckdb");

    public override DbConnection OpenQuery()
    {
        // The same data source as the sink's: DuckDB.NET hands this connection the sink's database instance.
        var connection = new DuckDBConnection(new DuckDBConnectionStringBuilder { DataSource = System.IO.Path.GetFullPath(Path) }.ConnectionString);
        connection.Open();
        return connection;
    }

    public override string EpochMs(string column) => DuckDbSink.EpochMs(column);

    protected override Task<(ISink, IWarehouseReader)> CreateAsync() =>
        Task.FromResult<(ISink, IWarehouseReader)>((new DuckDbSink(Path, SinkTopics.Default), new DuckDbWarehouseReader(Path, inProcessWithSink: true)));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The PostgreSQL warehouse in a fresh database of the test server.</summary>
public sealed class PostgresApiFixture : ApiServerFixture
{
    private TemporaryDatabase _db = null!;
    private PostgresWarehouseReader? _reader;

    public override string Kind => "postgres";

    public override DbConnection OpenQuery()
    {
        var connection = new Npgsql.NpgsqlConnection(_db.ConnectionString);
        connection.Open();
        return connection;
    }

    public override string EpochMs(string column) => PostgresSink.EpochMs(column);

    protected override async Task<(ISink, IWarehouseReader)> CreateAsync()
    {
        _db = await PostgresTestServer.CreateDatabaseAsync();
        _reader = new PostgresWarehouseReader(_db.ConnectionString);
        return (new PostgresSink(_db.ConnectionString, SinkTopics.Default), _reader);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _reader?.Dispose();
        await _db.DisposeAsync();
    }
}
