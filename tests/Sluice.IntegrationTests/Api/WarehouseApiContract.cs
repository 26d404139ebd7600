using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Sluice.Serve.Api;
using Xunit;

namespace Sluice.IntegrationTests.Api;

/// <summary>
/// Every warehouse endpoint over real HTTP, against rows a real sink wrote, equal to what the test computes itself from
/// the tables (never from the views the API reads): one contract, run against DuckDB and PostgreSQL.
/// </summary>
public abstract class WarehouseApiContract(ApiServerFixture f)
{
    [Fact]
    public async Task status_names_the_warehouse_and_reports_readiness_with_its_checks()
    {
        var status = await f.GetJsonAsync("/api/status");
        Assert.Equal(f.Kind, status.GetProperty("warehouse").GetString());
        Assert.Equal("clickstream", status.GetProperty("pipeline").GetString());
        Assert.Equal("process", status.GetProperty("mode").GetString());
        Assert.True(status.GetProperty("ready").GetBoolean());
        var check = Assert.Single(status.GetProperty("checks").EnumerateArray());
        Assert.Equal("test", check.GetProperty("name").GetString());
        foreach (var field in new[] { "uptimeSeconds", "recordsIn", "outputs", "deadLetters", "lateRecords", "duplicates", "bots", "consumerLag",
                     "watermarkLagSeconds", "openWindows", "stateEntries", "checkpoints", "sinks" })
            Assert.True(status.TryGetProperty(field, out _), $"/api/status has no {field}");
    }

    [Fact]
    public async Task funnel_is_the_sessions_table_counted_over_every_day()
    {
        var expected = Rows("SELECT page_views, cart_adds, converted, abandoned_cart FROM sessions",
            r => (Views: Long(r, 0), Carts: Long(r, 1), Converted: r.GetBoolean(2), Abandoned: r.GetBoolean(3)));
        Assert.NotEmpty(expected);
        var funnel = await f.GetJsonAsync("/api/funnel");
        Assert.Equal(expected.Count, funnel.GetProperty("sessions").GetInt64());
        Assert.Equal(expected.Count(s => s.Views > 0), funnel.GetProperty("viewed").GetInt64());
        Assert.Equal(expected.Count(s => s.Carts > 0), funnel.GetProperty("addedToCart").GetInt64());
        Assert.Equal(expected.Count(s => s.Converted), funnel.GetProperty("converted").GetInt64());
        Assert.Equal(expected.Count(s => s.Abandoned), funnel.GetProperty("abandonedCart").GetInt64());
        Assert.Equal((double)expected.Count(s => s.Converted) / expected.Count, funnel.GetProperty("conversionRate").GetDouble(), 9);
    }

    [Fact]
    public async Task sessions_are_the_sessions_table_summarised_at_once()
    {
        var rows = Rows("SELECT user_id, duration_ms, events, revenue_cents, converted, abandoned_cart FROM sessions",
            r => (User: r.IsDBNull(0) ? null : r.GetString(0), Ms: Long(r, 1), Events: Long(r, 2), Revenue: Long(r, 3), Converted: r.GetBoolean(4), Abandoned: r.GetBoolean(5)));
        var s = await f.GetJsonAsync("/api/sessions");
        Assert.Equal(rows.Count, s.GetProperty("sessions").GetInt64());
        Assert.Equal(rows.Where(r => r.User is not null).Select(r => r.User).Distinct().Count(), s.GetProperty("users").GetInt64());
        Assert.Equal(rows.Average(r => r.Ms) / 1000.0, s.GetProperty("avgDurationSeconds").GetDouble(), 6);
        Assert.Equal(rows.Average(r => r.Events), s.GetProperty("avgEvents").GetDouble(), 6);
        Assert.Equal(rows.Sum(r => r.Revenue), s.GetProperty("revenueCents").GetInt64());
        Assert.Equal((double)rows.Count(r => r.Converted) / rows.Count, s.GetProperty("convertedShare").GetDouble(), 9);
        Assert.Equal((double)rows.Count(r => r.Abandoned) / rows.Count, s.GetProperty("abandonedCartShare").GetDouble(), 9);
    }

    [Fact]
    public async Task top_products_are_the_events_with_the_most_revenue()
    {
        var byProduct = Events().Where(e => e.Product is not null).GroupBy(e => (e.Product!, e.Category))
            .ToDictionary(g => g.Key.Item1 + "|" + g.Key.Category, g => (Views: g.Count(e => e.Type == "page_view"), Carts: g.Count(e => e.Type == "add_to_cart"),
                Purchases: g.Count(e => e.Type == "purchase"), Revenue: g.Sum(e => e.Revenue ?? 0)));
        var products = (await f.GetJsonAsync("/api/products/top?limit=7")).GetProperty("products").EnumerateArray().ToList();
        Assert.Equal(Math.Min(7, byProduct.Count), products.Count);
        var revenues = products.Select(p => p.GetProperty("revenueCents").GetInt64()).ToList();
        Assert.Equal(revenues.OrderDescending(), revenues);
        foreach (var p in products)
        {
            var e = byProduct[p.GetProperty("productId").GetString() + "|" + p.GetProperty("category").GetString()];
            Assert.Equal(e.Views, p.GetProperty("views").GetInt64());
            Assert.Equal(e.Carts, p.GetProperty("cartAdds").GetInt64());
            Assert.Equal(e.Purchases, p.GetProperty("purchases").GetInt64());
            Assert.Equal(e.Revenue, p.GetProperty("revenueCents").GetInt64());
        }
        // No product left out earned more than the last one listed.
        Assert.Equal(byProduct.Values.Select(v => v.Revenue).OrderDescending().Take(7), revenues);
    }

    [Fact]
    public async Task categories_are_the_events_per_category()
    {
        var expected = Events().Where(e => e.Category is not null).GroupBy(e => e.Category!).ToDictionary(g => g.Key, g =>
            (Views: g.Count(e => e.Type == "page_view"), Carts: g.Count(e => e.Type == "add_to_cart"), Purchases: g.Count(e => e.Type == "purchase"),
                Revenue: g.Sum(e => e.Revenue ?? 0), Buyers: g.Where(e => e.Type == "purchase").Select(e => e.User ?? e.Session).Distinct().Count()));
        var categories = (await f.GetJsonAsync("/api/categories")).GetProperty("categories").EnumerateArray().ToList();
        Assert.Equal(expected.Count, categories.Count);
        foreach (var c in categories)
        {
            var e = expected[c.GetProperty("category").GetString()!];
            Assert.Equal((e.Views, e.Carts, e.Purchases, e.Revenue, e.Buyers), (c.GetProperty("views").GetInt64(), c.GetProperty("cartAdds").GetInt64(),
                c.GetProperty("purchases").GetInt64(), c.GetProperty("revenueCents").GetInt64(), c.GetProperty("buyers").GetInt64()));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task revenue_is_summed_per_five_minutes_of_event_time_ending_at_the_latest_event(int hours)
    {
        var events = Events();
        var end = events.Max(e => e.TimeMs);
        const long bucket = 5 * 60_000;
        var last = end / bucket * bucket;
        var first = last - (hours * 12 - 1) * bucket;
        var answer = await f.GetJsonAsync($"/api/revenue?hours={hours}");
        Assert.Equal(5, answer.GetProperty("bucketMinutes").GetInt32());
        var points = answer.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(hours * 12, points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            var t = first + i * bucket;
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                points[i].GetProperty("t").GetString());
            var inBucket = events.Where(e => e.TimeMs >= t && e.TimeMs < t + bucket).ToList();
            Assert.Equal(inBucket.Sum(e => e.Revenue ?? 0), points[i].GetProperty("revenueCents").GetInt64());
            Assert.Equal(inBucket.Count(e => e.Type == "purchase"), points[i].GetProperty("purchases").GetInt64());
        }
        Assert.True(points.Sum(p => p.GetProperty("purchases").GetInt64()) > 0, "the test data should have purchases in the last hours");
    }

    [Fact]
    public async Task latest_windows_are_the_partials_summed_at_each_aggregates_latest_window()
    {
        var partials = Rows($"SELECT aggregate, {f.EpochMs("window_start")}, dimension, dimension_value, metric, value FROM window_aggregates",
            r => (Aggregate: r.GetString(0), Start: Long(r, 1), Dimension: r.GetString(2), Value: r.GetString(3), Metric: r.GetString(4), Number: r.GetDouble(5)));
        var latest = partials.GroupBy(p => p.Aggregate).ToDictionary(g => g.Key, g => g.Max(p => p.Start));
        var sums = partials.Where(p => p.Start == latest[p.Aggregate] && !p.Metric.StartsWith("conversion_rate", StringComparison.Ordinal))
            .GroupBy(p => (p.Aggregate, p.Dimension, p.Value, p.Metric)).ToDictionary(g => g.Key, g => g.Sum(p => p.Number));
        var windows = (await f.GetJsonAsync("/api/windows/latest?limit=1000")).GetProperty("windows").EnumerateArray().ToList();
        Assert.Equal(latest.Keys.Order(), windows.Select(w => w.GetProperty("aggregate").GetString()!).Distinct().Order());
        var summed = windows.Where(w => !w.GetProperty("metric").GetString()!.StartsWith("conversion_rate", StringComparison.Ordinal)).ToList();
        Assert.Equal(sums.Count, summed.Count);
        foreach (var w in summed)
        {
            var key = (w.GetProperty("aggregate").GetString()!, w.GetProperty("dimension").GetString()!, w.GetProperty("dimensionValue").GetString()!,
                w.GetProperty("metric").GetString()!);
            Assert.Equal(sums[key], w.GetProperty("value").GetDouble(), 6);
            Assert.Equal(latest[key.Item1], DateTimeOffset.Parse(w.GetProperty("windowStart").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
            Assert.EndsWith("Z", w.GetProperty("windowEnd").GetString(), StringComparison.Ordinal);
        }
        // One aggregate only, and the limit holds.
        var one = latest.Keys.First();
        var filtered = (await f.GetJsonAsync($"/api/windows/latest?aggregate={one}&limit=2")).GetProperty("windows").EnumerateArray().ToList();
        Assert.Equal(Math.Min(2, windows.Count(w => w.GetProperty("aggregate").GetString() == one)), filtered.Count);
        Assert.All(filtered, w => Assert.Equal(one, w.GetProperty("aggregate").GetString()));
    }

    [Fact]
    public async Task dead_letters_by_reason_count_the_dead_letters_table()
    {
        var rows = DeadLetters();
        var reasons = (await f.GetJsonAsync("/api/dead-letters/by-reason")).GetProperty("reasons").EnumerateArray().ToList();
        Assert.Equal(rows.Select(r => r.Reason).Distinct().Count(), reasons.Count);
        foreach (var r in reasons)
        {
            var mine = rows.Where(d => d.Reason == r.GetProperty("reason").GetString()).ToList();
            Assert.Equal(mine.Count, r.GetProperty("count").GetInt64());
            Assert.Equal(mine.Count(d => d.Truncated), r.GetProperty("truncated").GetInt64());
            Assert.Equal(mine.Min(d => d.FailedMs), Ms(r.GetProperty("firstFailedAt")));
            Assert.Equal(mine.Max(d => d.FailedMs), Ms(r.GetProperty("lastFailedAt")));
        }
        var counts = reasons.Select(r => r.GetProperty("count").GetInt64()).ToList();
        Assert.Equal(counts.OrderDescending(), counts);
    }

    [Fact]
    public async Task dead_letters_come_in_pages_newest_first_and_filter_by_reason()
    {
        var rows = DeadLetters().OrderByDescending(d => d.FailedMs).ThenBy(d => d.Partition).ThenBy(d => d.Offset).ToList();
        var page = await f.GetJsonAsync("/api/dead-letters?page=2&pageSize=7");
        Assert.Equal(rows.Count, page.GetProperty("total").GetInt64());
        Assert.Equal(2, page.GetProperty("page").GetInt32());
        Assert.Equal(7, page.GetProperty("pageSize").GetInt32());
        Assert.Equal(rows.Skip(7).Take(7).Select(d => (d.Partition, d.Offset)),
            page.GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("sourcePartition").GetInt32(), i.GetProperty("sourceOffset").GetInt64())));

        var reason = rows.Where(d => d.Reason != ApiServerFixture.HostileReason).GroupBy(d => d.Reason).OrderByDescending(g => g.Count()).First().Key;
        var filtered = await f.GetJsonAsync($"/api/dead-letters?reason={reason}&pageSize=500");
        Assert.Equal(rows.Count(d => d.Reason == reason), filtered.GetProperty("total").GetInt64());
        var items = filtered.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(rows.Count(d => d.Reason == reason), items.Count);
        Assert.All(items, i => Assert.Equal(reason, i.GetProperty("reason").GetString()));
        var first = items[0];
        var stored = rows.Single(d => d.Partition == first.GetProperty("sourcePartition").GetInt32() && d.Offset == first.GetProperty("sourceOffset").GetInt64()
                                      && d.Topic == first.GetProperty("sourceTopic").GetString());
        Assert.Equal(stored.Payload, Convert.FromBase64String(first.GetProperty("payloadBase64").GetString()!));
        Assert.Equal(stored.Detail, first.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task a_hostile_payload_comes_back_as_text_with_its_markup_literal_and_its_bad_bytes_replaced()
    {
        var answer = await f.GetJsonAsync($"/api/dead-letters?reason={ApiServerFixture.HostileReason}");
        var item = Assert.Single(answer.GetProperty("items").EnumerateArray());
        var text = item.GetProperty("payloadText").GetString()!;
        Assert.StartsWith("<script>alert(1)</script>\uFFFD", text, StringComparison.Ordinal);
        Assert.Contains('\uFFFD', text);
        Assert.EndsWith(new string('x', 100 * 1024), text, StringComparison.Ordinal);
        // 100 KB is under the dead-letter payload limit (256 KiB): stored whole.
        Assert.False(item.GetProperty("payloadTruncated").GetBoolean());
        Assert.Equal(ApiServerFixture.HostilePayload.Length, item.GetProperty("payloadLength").GetInt64());
        Assert.Equal(ApiServerFixture.HostilePayload, Convert.FromBase64String(item.GetProperty("payloadBase64").GetString()!));
        Assert.Equal(9, item.GetProperty("sourcePartition").GetInt32());
        Assert.Equal(424_242, item.GetProperty("sourceOffset").GetInt64());
        // The JSON on the wire escapes the markup; parsed, it is the literal text, for the dashboard's textContent.
        var raw = await f.Http.GetStringAsync(new Uri($"/api/dead-letters?reason={ApiServerFixture.HostileReason}", UriKind.Relative));
        Assert.DoesNotContain("<script>", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task late_events_are_the_late_events_table_latest_watermark_first()
    {
        var rows = Rows($"SELECT aggregate, event_id, {f.EpochMs("event_time")}, {f.EpochMs("watermark")}, reason_code FROM late_events",
            r => (Aggregate: r.GetString(0), Id: r.GetValue(1).ToString()!, TimeMs: Long(r, 2), WatermarkMs: Long(r, 3), Reason: r.GetString(4)));
        Assert.NotEmpty(rows);
        var items = (await f.GetJsonAsync("/api/late?limit=1000")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(rows.Select(r => (r.Aggregate, r.Id, r.TimeMs, r.WatermarkMs, r.Reason)).Order(),
            items.Select(i => (i.GetProperty("aggregate").GetString()!, i.GetProperty("eventId").GetString()!, Ms(i.GetProperty("eventTime")),
                Ms(i.GetProperty("watermark")), i.GetProperty("reason").GetString()!)).Order());
        var watermarks = items.Select(i => Ms(i.GetProperty("watermark"))).ToList();
        Assert.Equal(watermarks.OrderDescending(), watermarks);
        Assert.Equal(Math.Min(3, rows.Count), (await f.GetJsonAsync("/api/late?limit=3")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task quality_is_the_latest_windows_summed_over_partitions_with_rates_from_the_sums()
    {
        var rows = Rows($"SELECT {f.EpochMs("window_start")}, partition, records_in, invalid, duplicates, late, bots FROM quality",
            r => (StartMs: Long(r, 0), Partition: Long(r, 1), RecordsIn: Long(r, 2), Invalid: Long(r, 3), Duplicates: Long(r, 4), Late: Long(r, 5), Bots: Long(r, 6)));
        Assert.NotEmpty(rows);
        var windows = (await f.GetJsonAsync("/api/quality?limit=1000")).GetProperty("windows").EnumerateArray().ToList();
        var byWindow = rows.GroupBy(r => r.StartMs).OrderByDescending(g => g.Key).ToList();
        Assert.Equal(byWindow.Select(g => g.Key), windows.Select(w => Ms(w.GetProperty("windowStart"))));
        foreach (var (g, w) in byWindow.Zip(windows))
        {
            long n = g.Sum(r => r.RecordsIn), invalid = g.Sum(r => r.Invalid), duplicates = g.Sum(r => r.Duplicates);
            Assert.Equal(g.Count(), w.GetProperty("partitions").GetInt64());
            Assert.Equal(n, w.GetProperty("recordsIn").GetInt64());
            Assert.Equal((double)invalid / n, w.GetProperty("invalidRate").GetDouble(), 12);
            Assert.Equal((double)duplicates / n, w.GetProperty("duplicateRate").GetDouble(), 12);
            Assert.Equal((double)g.Sum(r => r.Late) / n, w.GetProperty("lateRate").GetDouble(), 12);
            Assert.Equal((double)g.Sum(r => r.Bots) / n, w.GetProperty("botRate").GetDouble(), 12);
            var score = w.GetProperty("score").GetDouble();
            Assert.Equal(score >= 95 ? "EXCELLENT" : score >= 90 ? "ACCEPTABLE" : "POOR", w.GetProperty("grade").GetString());
        }
        Assert.Equal(Math.Min(2, byWindow.Count), (await f.GetJsonAsync("/api/quality?limit=2")).GetProperty("windows").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/quality?limit=1001", "limit")]
    [InlineData("/api/throughput?minutes=0", "minutes")]
    [InlineData("/api/throughput?minutes=61", "minutes")]
    [InlineData("/api/dead-letters?pageSize=501", "pageSize")]
    [InlineData("/api/dead-letters?page=0", "page")]
    [InlineData("/api/products/top?limit=ten", "limit")]
    [InlineData("/api/revenue?hours=-1", "hours")]
    [InlineData("/api/late?limit=0", "limit")]
    public async Task a_bad_query_value_is_400_naming_the_parameter(string path, string parameter)
    {
        using var response = await f.Http.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(parameter, body.GetProperty("parameter").GetString());
        Assert.Contains($"'{parameter}'", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private static long Ms(JsonElement iso) => DateTimeOffset.Parse(iso.GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private List<(string Type, long TimeMs, string? User, string Session, string? Product, string? Category, long? Revenue)> Events() => Rows(
        $"SELECT event_type, {f.EpochMs("event_time")}, user_id, session_id, product_id, product_category, revenue_cents FROM events",
        r => (r.GetString(0), Long(r, 1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? (long?)null : Long(r, 6)));

    private List<(string Topic, int Partition, long Offset, string Reason, string Detail, long FailedMs, bool Truncated, byte[] Payload)> DeadLetters() => Rows(
        $"SELECT source_topic, source_partition, source_offset, reason_code, detail, {f.EpochMs("failed_at")}, payload_truncated, payload FROM dead_letters",
        r => (r.GetString(0), (int)Long(r, 1), Long(r, 2), r.GetString(3), r.GetString(4), Long(r, 5), r.GetBoolean(6), Payload(r.GetValue(7))));

    private static byte[] Payload(object value)
    {
        if (value is byte[] b) return b;
        using var s = (Stream)value;
        using var copy = new MemoryStream();
        s.CopyTo(copy);
        return copy.ToArray();
    }

    private List<T> Rows<T>(string sql, Func<DbDataReader, T> read)
    {
        using var connection = f.OpenQuery();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    private static long Long(DbDataReader r, int i) => Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
}

public sealed class DuckDbWarehouseApiTests(DuckDbApiFixture f) : WarehouseApiContract(f), IClassFixture<DuckDbApiFixture>;

public sealed class PostgresWarehouseApiTests(PostgresApiFixture f) : WarehouseApiContract(f), IClassFixture<PostgresApiFixture>;
