using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sluice.Core.Configuration;

namespace Sluice.Serve.Api;

/// <summary>What the API answers from: the process's mode, readiness and uptime, its instruments and their history, and the warehouse when there is one.</summary>
/// <param name="Mode"><c>demo</c> or <c>process</c>.</param>
/// <param name="Warehouse">The warehouse reader; null when this process has none.</param>
/// <param name="NoWarehouse">Why there is none and how to have one, for the 503 answers.</param>
public sealed record ApiContext(string Mode, IWarehouseReader? Warehouse, string NoWarehouse, Func<double> UptimeSeconds,
    Func<(bool Ready, IReadOnlyList<(string Name, bool Ok, string Detail)> Checks)> Readiness, InstrumentTotals Totals, MetricsHistory History);

/// <summary>The REST API under <c>/api</c>: pipeline status, throughput history, a live stream, and the warehouse's views. JSON, camelCase.</summary>
public static class ApiEndpoints
{
    /// <summary>Minutes of revenue in one point of <c>/api/revenue</c>.</summary>
    public const int RevenueBucketMinutes = 5;

    /// <summary>Every path mapped, for the served-paths log line and tests.</summary>
    public static readonly IReadOnlyList<string> Paths =
    [
        "/api/status", "/api/throughput", "/api/windows/latest", "/api/funnel", "/api/sessions", "/api/products/top", "/api/categories",
        "/api/revenue", "/api/dead-letters/by-reason", "/api/dead-letters", "/api/late", "/api/quality", "/api/stream",
    ];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(api);
        var group = app.MapGroup("/api");
        group.MapGet("/status", () => Results.Json(Status(api)))
            .WithSummary("Pipeline status: readiness with each check, record counts, lags, windows, state, checkpoints and sinks, from the instruments");
        group.MapGet("/throughput", (HttpRequest request) => Answer(() =>
        {
            var minutes = ApiQuery.Int(request, "minutes", 60, 1, 60);
            return new { intervalSeconds = MetricsHistory.IntervalSeconds, points = api.History.Last(minutes * 60) };
        })).WithSummary("Records, outputs and dead letters per second and the lags, one point a second, over the last 1-60 minutes (?minutes=60)");
        group.MapGet("/windows/latest", (HttpRequest request) => Warehouse(api, w =>
        {
            var aggregate = ApiQuery.Text(request, "aggregate");
            var limit = ApiQuery.Int(request, "limit", 50, 1, 1000);
            return new
            {
                windows = w.LatestWindows(aggregate, limit).Select(r => new
                {
                    aggregate = r.Aggregate, windowStart = Iso(r.WindowStart), windowEnd = Iso(r.WindowEnd), dimension = r.Dimension,
                    dimensionValue = r.DimensionValue, metric = r.Metric, value = r.Value,
                }),
            };
        })).WithSummary("Rows of window_totals at the latest window start of each aggregate (?aggregate=&limit=50)");
        group.MapGet("/funnel", () => Warehouse(api, w => w.Funnel()))
            .WithSummary("The funnel view summed over every day; conversionRate = converted / sessions");
        group.MapGet("/sessions", () => Warehouse(api, w => w.Sessions()))
            .WithSummary("Session statistics over every day (session_stats computed over all sessions at once)");
        group.MapGet("/products/top", (HttpRequest request) => Warehouse(api, w =>
            new { products = w.TopProducts(ApiQuery.Int(request, "limit", 10, 1, 1000)) }))
            .WithSummary("Products by revenue, most first, from top_products (?limit=10)");
        group.MapGet("/categories", () => Warehouse(api, w => new { categories = w.Categories() }))
            .WithSummary("Every category's views, cart adds, purchases, revenue and buyers, from category_performance");
        group.MapGet("/revenue", (HttpRequest request) => Warehouse(api, w =>
        {
            var hours = ApiQuery.Int(request, "hours", 1, 1, 168);
            return new
            {
                bucketMinutes = RevenueBucketMinutes,
                points = w.Revenue(hours, RevenueBucketMinutes).Select(p => new { t = Iso(p.T), revenueCents = p.RevenueCents, purchases = p.Purchases }),
            };
        })).WithSummary("Revenue and purchases per 5 minutes of event time over the last N hours of data, ending at the latest event (?hours=1)");
        group.MapGet("/dead-letters/by-reason", () => Warehouse(api, w => new
        {
            reasons = w.DeadLettersByReason().Select(r => new
            {
                reason = r.Reason, count = r.Count, truncated = r.Truncated, firstFailedAt = Iso(r.FirstFailedAt), lastFailedAt = Iso(r.LastFailedAt),
            }),
        })).WithSummary("Dead letters per reason code, most first, from dead_letters_by_reason");
        group.MapGet("/dead-letters", (HttpRequest request) => Warehouse(api, w =>
        {
            var reason = ApiQuery.Text(request, "reason");
            var page = ApiQuery.Int(request, "page", 1, 1, 1_000_000);
            var pageSize = ApiQuery.Int(request, "pageSize", 50, 1, 500);
            var found = w.DeadLetters(reason, page, pageSize);
            return new
            {
                total = found.Total, page, pageSize,
                items = found.Items.Select(d => new
                {
                    sourceTopic = d.SourceTopic, sourcePartition = d.SourcePartition, sourceOffset = d.SourceOffset, reason = d.Reason, detail = d.Detail,
                    failedAt = Iso(d.FailedAt),
                    // Invalid UTF-8 becomes U+FFFD: the payload is shipped as text data, never as markup.
                    payloadText = Encoding.UTF8.GetString(d.Payload), payloadBase64 = Convert.ToBase64String(d.Payload),
                    payloadTruncated = d.PayloadTruncated, payloadLength = d.PayloadLength ?? d.Payload.LongLength,
                }),
            };
        })).WithSummary("A page of dead letters, newest failure first, with the payload as UTF-8 text and as base64 (?reason=&page=1&pageSize=50, pageSize at most 500)");
        group.MapGet("/late", (HttpRequest request) => Warehouse(api, w => new
        {
            items = w.LateEvents(ApiQuery.Int(request, "limit", 50, 1, 1000)).Select(l => new
            {
                aggregate = l.Aggregate, eventId = l.EventId, eventTime = Iso(l.EventTime), windowStart = Iso(l.WindowStart), windowEnd = Iso(l.WindowEnd),
                watermark = Iso(l.Watermark), reason = l.Reason,
            }),
        })).WithSummary("Late events, latest watermark first, from late_events (?limit=50)");
        group.MapGet("/quality", (HttpRequest request) => Warehouse(api, w => new
        {
            windows = w.Quality(ApiQuery.Int(request, "limit", 60, 1, 1000)).Select(q => new
            {
                windowStart = Iso(q.WindowStart), windowEnd = Iso(q.WindowEnd), partitions = q.Partitions, recordsIn = q.RecordsIn, valid = q.Valid,
                invalid = q.Invalid, duplicates = q.Duplicates, bots = q.Bots, late = q.Late, accepted = q.Accepted, invalidRate = q.InvalidRate,
                duplicateRate = q.DuplicateRate, lateRate = q.LateRate, botRate = q.BotRate, completeness = q.Completeness,
                ingestLagMsMean = q.IngestLagMsMean, score = q.Score, grade = q.Grade,
            }),
        })).WithSummary("Data quality of the latest windows, latest first, from quality_totals: counts over every partition, rates, score and grade recomputed from them (?limit=60)");
        // Two parameters, so the handler is described in the OpenAPI document (a lone HttpContext makes it a bare RequestDelegate, which is not).
        group.MapGet("/stream", (HttpContext context, CancellationToken aborted) => StreamAsync(context, api, aborted))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .WithSummary("Server-sent events: every second an 'status' event whose data is /api/status with the latest throughput point in 'point'");
    }

    /// <summary>The <c>/api/status</c> answer.</summary>
    public static Dictionary<string, object?> Status(ApiContext api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var (ready, checks) = api.Readiness();
        var t = api.Totals.Read();
        return new Dictionary<string, object?>
        {
            ["pipeline"] = "clickstream",
            ["mode"] = api.Mode,
            ["uptimeSeconds"] = Math.Round(api.UptimeSeconds(), 1),
            ["ready"] = ready,
            ["checks"] = checks.Select(c => new { name = c.Name, ok = c.Ok, detail = c.Detail }).ToList(),
            ["recordsIn"] = t.RecordsIn,
            ["outputs"] = t.Outputs,
            ["deadLetters"] = t.DeadLetters,
            ["lateRecords"] = t.LateRecords,
            ["duplicates"] = t.Duplicates,
            ["bots"] = t.Bots,
            ["consumerLag"] = t.ConsumerLag,
            ["watermarkLagSeconds"] = t.WatermarkLagSeconds is { } w ? Math.Round(w, 3) : null,
            ["openWindows"] = t.OpenWindows,
            ["stateEntries"] = t.StateEntries,
            ["checkpoints"] = new { count = t.Checkpoints, lastDurationMs = t.LastCheckpointDurationMs is { } d ? Math.Round(d, 3) : (double?)null, lastSizeBytes = t.LastCheckpointSizeBytes },
            ["sinks"] = t.Sinks.Select(s => new { name = s.Name, rows = s.Rows, retries = s.Retries, circuit = s.Circuit }).ToList(),
            ["warehouse"] = api.Warehouse?.Kind,
        };
    }

    private static async Task StreamAsync(HttpContext context, ApiContext api, CancellationToken aborted)
    {
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(MetricsHistory.IntervalSeconds));
        try
        {
            do
            {
                var status = Status(api);
                status["point"] = api.History.Latest;
                var data = JsonSerializer.Serialize(status, json);
                await context.Response.WriteAsync($"event: status\ndata: {data}\n\n", stop.Token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left or the server stops: the stream ends.
        }
    }

    private static IResult Answer(Func<object> answer)
    {
        try
        {
            return Results.Json(answer());
        }
        catch (BadQueryException ex)
        {
            return Results.Json(new { error = ex.Message, parameter = ex.Parameter }, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static IResult Warehouse(ApiContext api, Func<IWarehouseReader, object> query)
    {
        if (api.Warehouse is not { } warehouse)
            return Results.Json(new { error = SecretRedactor.Redact(api.NoWarehouse) }, statusCode: StatusCodes.Status503ServiceUnavailable);
        try
        {
            return Answer(() => query(warehouse));
        }
        catch (WarehouseUnavailableException ex)
        {
            // The store's own message can quote what it was given; the dashboard shows it to whoever opens it.
            return Results.Json(new { error = SecretRedactor.Redact(ex.Message) }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>ISO-8601 in UTC with milliseconds: <c>2026-01-02T03:04:05.000Z</c>.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
