using System.Diagnostics;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using Sluice.Core.Configuration;
using Sluice.Pipelines.Clickstream;
using Sluice.Serve.Api;
using Sluice.Serve.Dashboard;
using Sluice.Serve.Health;
using Sluice.Sinks;
using Sluice.Streaming.Diagnostics;
using Sluice.Streaming.Kafka;

namespace Sluice.Serve;

/// <summary>
/// The HTTP endpoint of a running pipeline, on Kestrel: <c>/metrics</c> (Prometheus text, the OpenTelemetry exporter),
/// <c>/healthz</c> (alive), <c>/readyz</c> (every <see cref="IReadinessCheck"/>; 503 when one fails), the REST API under
/// <c>/api</c> (JSON) and the dashboard at <c>/</c>.
/// </summary>
/// <remarks>
/// A hosted service: added before the processor members, it is up (and not ready) before any partition is assigned,
/// and stops with them. Every request passes the <see cref="TokenGate"/> first. The REST API (<see cref="ApiEndpoints"/>,
/// <c>/api/…</c>), its OpenAPI document (<c>/openapi/v1.json</c>) and the dashboard (<see cref="DashboardAssets"/>) are
/// served by every server, with a <see cref="MetricsHistory"/> sampling while it runs.
/// </remarks>
public sealed class ObserveServer : IHostedService, IAsyncDisposable
{
    /// <summary>Every meter Sluice's components publish.</summary>
    public static readonly IReadOnlyList<string> Meters =
        [StreamingInstruments.MeterName, KafkaInstruments.MeterName, ClickstreamInstruments.MeterName, SinkInstruments.MeterName];

    private readonly ObserveOptions _options;
    private readonly TokenGate _gate;
    private readonly IReadOnlyList<IReadinessCheck> _checks;
    private readonly ILogger _logger;
    private readonly long _started = Stopwatch.GetTimestamp();
    private WebApplication? _app;
    private InstrumentTotals? _totals;

    public ObserveServer(ObserveOptions options, DashboardOptions dashboard, IReadOnlyList<IReadinessCheck> checks, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dashboard);
        _options = options;
        _gate = new TokenGate(dashboard.Token);
        _checks = checks ?? throw new ArgumentNullException(nameof(checks));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Where the server listens once started (the bound port when observe.listen asked for 0); null before.</summary>
    public Uri? Url { get; private set; }

    /// <summary><c>demo</c>, <c>process</c> or <c>sink</c>, as <c>/api/status</c> reports it.</summary>
    public string Mode { get; init; } = "process";

    /// <summary>The warehouse the API's views are read from; null answers them 503 with <see cref="NoWarehouse"/>.</summary>
    public IWarehouseReader? Warehouse { get; init; }

    /// <summary>Why this process has no warehouse and how to give it one.</summary>
    public string NoWarehouse { get; init; } = DefaultNoWarehouse;

    private const string DefaultNoWarehouse =
        "no warehouse in this process: set postgres.connectionString, or run `sluice demo`, whose DuckDB warehouse the API reads";

    /// <summary>The last hour of throughput, sampled once a second while the server runs; null before it starts.</summary>
    public MetricsHistory? History { get; private set; }

    /// <summary>Called with <see cref="Url"/> once the server listens (the demo prints it).</summary>
    public Action<Uri>? OnStarted { get; init; }

    /// <summary>Adds a server for <paramref name="options"/> to <paramref name="services"/> (first, so it is up before the members) when observe.listen is set.</summary>
    public static ObserveServer? AddTo(IServiceCollection services, SluiceOptions options, IReadOnlyList<IReadinessCheck> checks, ILogger logger,
        string mode = "process", WarehouseChoice? warehouse = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Observe.Enabled) return null;
        var server = new ObserveServer(options.Observe, options.Dashboard, checks, logger)
        {
            Mode = mode,
            Warehouse = warehouse?.Reader,
            NoWarehouse = warehouse is { Reader: null, NoWarehouse: var why } ? why : DefaultNoWarehouse,
        };
        services.AddSingleton<IHostedService>(server);
        return server;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        StreamingInstruments.EnsureCreated();
        ClickstreamInstruments.EnsureCreated();
        KafkaInstruments.EnsureCreated();
        SinkInstruments.EnsureCreated();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, ApplicationName = "sluice-observe" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(_options.ListenUri.GetLeftPart(UriPartial.Authority));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            foreach (var meter in Meters) metrics.AddMeter(meter);
            // Every scrape sees the counts of that moment (the exporter caches answers for 300 ms by default).
            metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
            if (_options.OtlpEndpoint.Length > 0)
                metrics.AddOtlpExporter(o =>
                {
                    o.Endpoint = new Uri(_options.OtlpEndpoint);
                    o.Protocol = _options.OtlpProtocol.Equals("http", StringComparison.OrdinalIgnoreCase) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                });
        });
        var totals = new InstrumentTotals();
        _totals = totals;
        var history = new MetricsHistory(totals.Read);
        History = history;
        // Hosted by the web host: it samples from start to stop of the server, whatever process holds it.
        builder.Services.AddSingleton<IHostedService>(history);
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Sluice";
            document.Info.Description = "The pipeline's status, throughput and warehouse views (docs/observe.md)";
            return Task.CompletedTask;
        }));
        // Markup in answers (a dead letter's payload) goes out escaped, \u003C, as well as being JSON.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.Default);
        var app = builder.Build();
        app.Use((context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return _gate.InvokeAsync(context, next);
        });
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", () => Results.Json(new { status = "alive", uptimeSeconds = Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1) }));
        app.MapGet("/readyz", Ready);
        ApiEndpoints.Map(app, new ApiContext(Mode, Warehouse, NoWarehouse, () => Stopwatch.GetElapsedTime(_started).TotalSeconds, Readiness, totals, history));
        DashboardAssets.Map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync();
            totals.Dispose();
            _totals = null;
            Core.Errors.ThrowHelper.Throw($"cannot listen on {_options.Listen} ({ex.Message}); choose another observe.listen (port 0 picks a free one)", inner: ex);
        }
        _app = app;
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Url = new Uri(bound ?? _options.Listen);
        _logger.LogInformation("observe: serving /metrics, /healthz, /readyz, /api/… and /openapi/v1.json at {Url} and the dashboard at {Dashboard}{Token} (warehouse: {Warehouse})", Url, Url,
            _gate.Required ? " (token required)" : "", Warehouse is { } w ? w.Kind : "none");
        OnStarted?.Invoke(Url);
    }

    private IResult Ready()
    {
        var (ready, checks) = Readiness();
        return Results.Json(new { ready, checks = checks.Select(c => new { name = c.Name, ok = c.Ok, detail = c.Detail }) },
            statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private (bool Ready, IReadOnlyList<(string Name, bool Ok, string Detail)> Checks) Readiness()
    {
        // A detail can quote a broker's or a store's message, and whoever asks /readyz sees it.
        var results = _checks.Select(c => (c.Name, Result: Run(c))).Select(r => (r.Name, r.Result.Ok, SecretRedactor.Redact(r.Result.Detail))).ToList();
        return (results.All(r => r.Ok), results);
    }

    private static ReadinessResult Run(IReadinessCheck check)
    {
        try
        {
            return check.Check();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ReadinessResult.Fail($"the check failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Stops listening and releases the web host (the container that holds this service did not create it, so it would not dispose it).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not { } app) return;
        await app.StopAsync(cancellationToken);
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app) await app.DisposeAsync();
        _app = null;
        _totals?.Dispose();
        _totals = null;
    }
}
