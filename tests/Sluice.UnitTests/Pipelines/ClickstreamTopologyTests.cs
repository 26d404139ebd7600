using Sluice.App.Samples;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public class ClickstreamTopologyTests
{
    [Fact]
    public void a_revoked_partition_reports_its_open_windows_and_sessions_but_not_its_dedup_memory()
    {
        using (var open = Driver())
        {
            open.Pipe(Event(EventType.PageView, user: "u1", session: "s1"));
            open.Pipe(Event(EventType.PageView, at: T0 + 1_000, user: "u2", session: "s2"));
            open.Revoke(0);
            // Open: both users' session, and a pane in each of the four window aggregates and the quality window (keyed by the partition).
            Assert.Equal(2 + 4 + 1, open.TaskManager.DroppedStateEntries);
        }

        using var ended = Driver();
        ended.Pipe(Event(EventType.PageView, user: "u1", session: "s1"));
        ended.EndOfInput();
        ended.Revoke(0);
        // Every window and session was emitted; the ids the task remembered are not results and are not counted.
        Assert.Equal(0, ended.TaskManager.DroppedStateEntries);
    }

    [Fact]
    public void valid_event_is_normalised_and_enriched()
    {
        using var d = Driver();
        var at = T0 + 13 * 60_000 + 7; // 22:13 UTC on 2025-12-31
        d.Pipe(Event(EventType.Search, at: at, country: " de ", query: "  Red SHOES ", page: "/search"));
        d.Pipe(Event(EventType.Purchase, at: at, country: "", product: "p1", price: 1250, quantity: 3) with { DeviceType = "Mobile" });
        d.Pipe(Event(at: at, country: null));

        var out1 = d.Output<EnrichedEvent>("clickstream.enriched");
        Assert.Equal(3, out1.Count);
        Assert.Equal(("DE", "red shoes", 0L, 22, new DateOnly(2025, 12, 31), false), (out1[0].Country, out1[0].SearchQuery, out1[0].RevenueCents, out1[0].EventHour, out1[0].EventDate, out1[0].IsMobile));
        Assert.Equal(("UNKNOWN", 3750L, true), (out1[1].Country, out1[1].RevenueCents, out1[1].IsMobile));
        Assert.Equal("UNKNOWN", out1[2].Country);
        var now = d.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal((now, now - at, 0, 1L), (out1[1].ProcessingTimeMs, out1[1].IngestLagMs, out1[1].Partition, out1[1].Offset));
        Assert.Equal("u1", d.Collector.Records("clickstream.enriched")[0].Key);
    }

    [Theory]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1", true)]
    [InlineData("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Version/16.6 Safari/604.1", true)]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Safari/537.36", true)]
    [InlineData("Mozilla/5.0 (Linux; U; Android 4.0.3) Mobile Safari/534.30", true)]
    [InlineData("some-tracker/1.0 (mobi)", true)]
    [InlineData("mozilla/5.0 (iphone; cpu iphone os 17_0 like mac os x)", true)]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36", false)]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15", false)]
    public void without_a_device_type_a_phone_or_tablet_user_agent_is_mobile_in_any_case(string userAgent, bool mobile) =>
        Assert.Equal(mobile, EnrichProcessor.IsMobile(Event(userAgent: userAgent) with { DeviceType = null }));

    [Fact]
    public void a_device_type_decides_over_the_user_agent()
    {
        const string iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1";
        Assert.False(EnrichProcessor.IsMobile(Event(userAgent: iPhone) with { DeviceType = "desktop" }));
        Assert.True(EnrichProcessor.IsMobile(Event(userAgent: "Mozilla/5.0 (Windows NT 10.0)") with { DeviceType = "Tablet" }));
    }

    [Fact]
    public void country_codes_in_any_case_or_padding_come_out_as_two_capitals()
    {
        using var d = Driver();
        string[] inputs = ["FR", "fr", "Fr", "fR", " FR", "FR ", "fr", "FR"];
        foreach (var country in inputs) d.Pipe(Event(country: country));
        var countries = d.Output<EnrichedEvent>("clickstream.enriched").Select(e => e.Country).ToList();
        Assert.Equal(Enumerable.Repeat("FR", inputs.Length), countries);
    }

    [Fact]
    public void duplicate_event_id_within_the_horizon_is_dropped_and_counted()
    {
        using var d = Driver();
        var id = Guid.NewGuid();
        d.Pipe(Event(id: id));
        d.Pipe(Event(id: id, at: T0 + 1000));
        Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched"));
        Assert.Equal(1, d.Task().Metrics.Get("duplicates"));
        Assert.Empty(d.Output<object>("clickstream.dlq"));
    }

    [Fact]
    public void event_id_is_forgotten_after_the_dedup_horizon()
    {
        using var d = Driver(new ClickstreamOptions { DedupHorizon = TimeSpan.FromMinutes(10) });
        var id = Guid.NewGuid();
        d.Pipe(Event(id: id));
        d.Pipe(Event(at: T0 + 30 * Minute));
        d.Pipe(Event(id: id, at: T0 + 31 * Minute)); // watermark 28 min: the first sighting expired
        Assert.Equal(3, d.Output<EnrichedEvent>("clickstream.enriched").Count);
        Assert.Equal(0, d.Task().Metrics.Get("duplicates"));
    }

    [Fact]
    public void one_minute_counts_per_type_unique_users_and_sessions()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 1000));
        d.Pipe(Event(at: T0 + 2000));
        d.Pipe(Event(EventType.Search, at: T0 + 3000, user: "u2", session: "s2"));
        d.Pipe(Event(EventType.Search, at: T0 + 4000, user: null, session: "s3"));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.Events1m);
        Assert.All(rows, r => Assert.Equal((T0, T0 + Minute, 0), (r.WindowStart, r.WindowEnd, r.Partition)));
        Assert.Equal(2, rows.Metric("events", "event_type", "page_view"));
        Assert.Equal(2, rows.Metric("events", "event_type", "search"));
        Assert.DoesNotContain(rows, r => r.DimensionValue == "purchase");
        Assert.Equal(4, rows.Metric("events"));
        Assert.Equal(2, rows.Metric("unique_users"));
        Assert.Equal(3, rows.Metric("unique_sessions"));
    }

    [Fact]
    public void five_minute_commerce_revenue_and_conversion_rates()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0, product: "p1"));
        d.Pipe(Event(EventType.AddToCart, at: T0 + 1000, product: "p1", price: 500));
        d.Pipe(Event(EventType.Purchase, at: T0 + 2000, product: "p1", price: 500, quantity: 2));
        d.Pipe(Event(EventType.AddToCart, at: T0 + 3000, user: "u2", session: "s2", product: "p2", price: 100));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.Commerce5m);
        Assert.Equal((T0, T0 + 5 * Minute), (rows[0].WindowStart, rows[0].WindowEnd));
        Assert.Equal(1000, rows.Metric("revenue_cents"));
        Assert.Equal(1, rows.Metric("purchases"));
        Assert.Equal(2, rows.Metric("add_to_carts"));
        Assert.Equal(2, rows.Metric("sessions"));
        Assert.Equal(0.5, rows.Metric("conversion_rate_sessions"));
        Assert.Equal(0.5, rows.Metric("conversion_rate_carts"));
    }

    [Fact]
    public void a_session_buying_three_products_is_one_converted_session_so_the_rate_never_passes_one()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0, product: "p1"));
        foreach (var (product, at) in new[] { ("p1", 1000), ("p2", 2000), ("p3", 3000) })
            d.Pipe(Event(EventType.Purchase, at: T0 + at, product: product, price: 100, quantity: 1));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.Commerce5m);
        Assert.Equal(3, rows.Metric("purchases"));
        Assert.Equal(1, rows.Metric("sessions"));
        Assert.Equal(1, rows.Metric("converted_sessions"));
        Assert.Equal(1.0, rows.Metric("conversion_rate_sessions"));
    }

    [Fact]
    public void conversion_rate_is_zero_when_there_are_no_add_to_carts()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.Commerce5m);
        Assert.Equal(0, rows.Metric("conversion_rate_carts"));
        Assert.Equal(0, rows.Metric("conversion_rate_sessions"));
    }

    [Fact]
    public void active_users_over_five_minutes_hop_every_minute()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 10));
        d.Pipe(Event(at: T0 + 2 * Minute, user: "u2", session: "s2"));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.ActiveUsers5m);
        Assert.Equal(7, rows.Count); // windows starting T0-4m .. T0+2m
        Assert.Equal([1, 1, 2, 2, 2, 1, 1], rows.Select(r => (int)r.Value));
        Assert.All(rows, r => Assert.Equal(5 * Minute, r.WindowEnd - r.WindowStart));
    }

    [Fact]
    public void active_users_count_a_user_whose_next_pane_arrives_after_the_first_window_fired()
    {
        // u1 in the first minute's pane; v2 three minutes later moves the watermark past the first window's end, which
        // fires it; then u1 again in the second minute's pane. The window [T0+1m, T0+6m) holds u1 (second pane) and v2.
        using var d = Driver();
        d.Pipe(Event(at: T0 + 10_000, user: "u1", session: "s1"));
        d.Pipe(Event(at: T0 + 3 * Minute, user: "v2", session: "s2"));
        d.Pipe(Event(at: T0 + Minute + 10_000, user: "u1", session: "s1"));
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.ActiveUsers5m);
        Assert.Equal(2, (int)rows.Single(r => r.WindowStart == T0 + Minute).Value);
        Assert.Equal(2, (int)rows.Single(r => r.WindowStart == T0).Value);
    }

    [Fact]
    public void every_windowed_aggregate_equals_a_recount_of_the_on_time_events_under_disorder()
    {
        // Out-of-order traffic: events up to four minutes behind the newest, so panes keep receiving records after
        // windows around them have fired, and silences of 70 minutes. Every window must equal a recount over the events that were on time (the
        // enriched output): the 1-minute late gate closes together with each event's earliest window of every size.
        using var d = Driver();
        var random = new Random(11);
        var newest = T0;
        for (var i = 0; i < 3_000; i++)
        {
            newest += random.Next(0, 4_000);
            if (random.Next(150) == 0)
            {
                // Now and then a silence longer than every window, so windows without data are skipped.
                newest += 70 * Minute;
                d.AdvanceClock(TimeSpan.FromMinutes(70));
            }
            var at = newest - random.Next(0, 4 * (int)Minute);
            var user = random.Next(6) == 0 ? null : $"u{random.Next(40)}";
            var product = $"p{random.Next(30)}";
            var e = (random.Next(4), user) switch
            {
                (0, not null) => Event(EventType.AddToCart, at, user, $"s{random.Next(40)}", product, "c1"),
                (1, not null) => Event(EventType.Purchase, at, user, $"s{random.Next(40)}", product, "c2", price: random.Next(1, 900), quantity: random.Next(1, 4)),
                _ => Event(EventType.PageView, at, user, $"s{random.Next(40)}", product, "c3"),
            };
            d.Pipe(e);
        }
        d.EndOfInput();

        var onTime = d.Output<EnrichedEvent>("clickstream.enriched");
        Assert.NotEmpty(d.Output<LateRecord<EnrichedEvent>>("clickstream.late"));
        Assert.Empty(d.Output<DeadLetterRecord>("clickstream.dlq"));
        List<EnrichedEvent> In(AggregateRow row) => onTime.Where(e => e.Timestamp >= row.WindowStart && e.Timestamp < row.WindowEnd).ToList();

        var active = d.Rows(AggregateNames.ActiveUsers5m);
        Assert.True(active.Count > 100, $"only {active.Count} windows");
        foreach (var row in active)
            Assert.Equal(In(row).Where(e => e.Event.UserId is not null).Select(e => e.Event.UserId).Distinct().Count(), (int)row.Value);
        foreach (var row in d.Rows(AggregateNames.Events1m).Where(r => r.Dimension == "all" && r.Metric is "unique_users" or "unique_sessions" or "events"))
        {
            var events = In(row);
            Assert.Equal(row.Metric switch
            {
                "unique_users" => events.Where(e => e.Event.UserId is not null).Select(e => e.Event.UserId).Distinct().Count(),
                "unique_sessions" => events.Select(e => e.Event.SessionId).Distinct().Count(),
                _ => events.Count,
            }, (int)row.Value);
        }
        foreach (var row in d.Rows(AggregateNames.Commerce5m).Where(r => r.Metric == "revenue_cents"))
            Assert.Equal(In(row).Sum(e => e.RevenueCents), (long)row.Value);
        var hourly = d.Rows(AggregateNames.Products1h).Where(r => r.Dimension == "all").ToList();
        Assert.True(hourly.Count > 50, $"only {hourly.Count} hourly rows");
        foreach (var row in hourly)
        {
            var events = In(row);
            Assert.Equal(row.Metric switch
            {
                "product_views" => events.Count(e => e.EventType == EventType.PageView),
                "cart_adds" => events.Count(e => e.EventType == EventType.AddToCart),
                "purchases" => events.Count(e => e.EventType == EventType.Purchase),
                _ => events.Sum(e => e.RevenueCents),
            }, (long)row.Value);
        }
    }

    [Fact]
    public void hourly_top_products_and_categories_equal_a_brute_force_ranking_with_ties_under_disorder()
    {
        // Few prices and many view-only products, so revenue, purchases and views tie often and the name decides.
        using var d = Driver();
        var random = new Random(5);
        var newest = T0;
        for (var i = 0; i < 2_500; i++)
        {
            newest += random.Next(0, 2_500);
            var at = newest - random.Next(0, 3 * (int)Minute);
            var product = random.Next(8) == 0 ? null : $"p{random.Next(25)}";
            var category = product is null || random.Next(5) == 0 ? null : $"c{random.Next(9)}";
            var e = random.Next(6) switch
            {
                0 => Event(EventType.Purchase, at, product: product, category: category, price: 100 * random.Next(1, 3), quantity: random.Next(1, 3)),
                1 => Event(EventType.AddToCart, at, product: product, category: category),
                2 => Event(EventType.Wishlist, at, product: product, category: category),
                _ => Event(EventType.PageView, at, product: product, category: category),
            };
            d.Pipe(e);
        }
        d.EndOfInput();

        var onTime = d.Output<EnrichedEvent>("clickstream.enriched");
        var rows = d.Rows(AggregateNames.Products1h);
        var windows = rows.Select(r => r.WindowStart).Distinct().ToList();
        Assert.True(windows.Count > 10, $"only {windows.Count} windows");
        var ties = 0;
        foreach (var start in windows)
        {
            var events = onTime.Where(e => e.Timestamp >= start && e.Timestamp < start + 60 * Minute
                && e.Event.ProductId is not null && e.EventType is EventType.PageView or EventType.AddToCart or EventType.Purchase).ToList();
            foreach (var (dimension, top, of) in new (string, int, Func<EnrichedEvent, string?>)[] { ("product", 10, e => e.Event.ProductId), ("category", 5, e => e.Event.ProductCategory) })
            {
                var ranked = events.Where(e => of(e) is not null).GroupBy(e => of(e)!).Select(g => (
                        Name: g.Key, Revenue: g.Sum(e => e.RevenueCents), Purchases: g.Count(e => e.EventType == EventType.Purchase),
                        Carts: g.Count(e => e.EventType == EventType.AddToCart), Views: g.Count(e => e.EventType == EventType.PageView)))
                    .OrderByDescending(x => x.Revenue).ThenByDescending(x => x.Purchases).ThenByDescending(x => x.Views)
                    .ThenBy(x => x.Name, StringComparer.Ordinal).ToList();
                ties += ranked.Zip(ranked.Skip(1)).Count(p => (p.First.Revenue, p.First.Purchases, p.First.Views) == (p.Second.Revenue, p.Second.Purchases, p.Second.Views));
                var expected = ranked.Take(top).SelectMany(x => new[]
                {
                    $"{x.Name} product_views {x.Views}", $"{x.Name} cart_adds {x.Carts}", $"{x.Name} purchases {x.Purchases}", $"{x.Name} revenue_cents {x.Revenue}",
                });
                var actual = rows.Where(r => r.WindowStart == start && r.Dimension == dimension).Select(r => $"{r.DimensionValue} {r.Metric} {r.Value}");
                Assert.Equal(expected, actual);
            }
        }
        Assert.True(ties > 20, $"only {ties} ties");
    }

    [Fact]
    public void hourly_products_rank_the_top_ten_by_revenue_and_skip_null_products()
    {
        using var d = Driver();
        for (var i = 0; i < 12; i++)
            d.Pipe(Event(EventType.Purchase, at: T0 + i, product: $"p{i:00}", category: $"c{i % 7}", price: 100 * (i + 1), quantity: 1));
        d.Pipe(Event(at: T0 + 20, product: null));
        d.Pipe(Event(at: T0 + 21, product: "p11", category: "c4"));
        d.EndOfInput();
        var window = d.Rows(AggregateNames.Products1h).Where(r => r.WindowStart == T0).ToList();
        var products = window.Where(r => r.Dimension == "product" && r.Metric == "revenue_cents").ToList();
        Assert.Equal(Enumerable.Range(2, 10).Reverse().Select(i => $"p{i:00}"), products.Select(r => r.DimensionValue));
        Assert.Equal(1, window.Metric("product_views", "product", "p11"));
        Assert.Equal(5, window.Count(r => r.Dimension == "category" && r.Metric == "revenue_cents"));
        Assert.Equal(1, window.Metric("product_views"));
        Assert.Equal(12, window.Metric("purchases"));
        Assert.Equal(12, d.Rows(AggregateNames.Products1h).Select(r => r.WindowStart).Distinct().Count());
    }

    [Fact]
    public void session_summary_has_counts_revenue_conversion_and_pages()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0, page: "/landing"));
        d.Pipe(Event(EventType.AddToCart, at: T0 + Minute, product: "p1", price: 700, page: "/p1"));
        d.Pipe(Event(EventType.Purchase, at: T0 + 2 * Minute, product: "p1", price: 700, quantity: 2, page: "/checkout"));
        d.Pipe(Event(at: T0 + 10, user: "u2", session: "s9", page: "/a"));
        d.Pipe(Event(EventType.AddToCart, at: T0 + 20, user: "u2", session: "s9", product: "p2", price: 5, page: "/b"));
        d.EndOfInput();
        var sessions = d.Output<SessionSummary>("clickstream.sessions").OrderBy(s => s.Key).ToList();
        Assert.Equal(2, sessions.Count);
        var s1 = sessions[0];
        Assert.Equal(("u1", "s1", T0, T0 + 2 * Minute, 2 * Minute, 3, 1, 1, 1), (s1.Key, s1.SessionId, s1.Start, s1.End, s1.DurationMs, s1.Events, s1.PageViews, s1.CartAdds, s1.Purchases));
        Assert.Equal((1400L, true, false, "/landing", "/checkout"), (s1.RevenueCents, s1.Converted, s1.AbandonedCart, s1.LandingPage, s1.ExitPage));
        Assert.Equal((false, true), (sessions[1].Converted, sessions[1].AbandonedCart));
    }

    [Fact]
    public void a_new_session_after_the_gap_never_overwrites_the_previous_one()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0, session: "a"));
        d.Pipe(Event(at: T0 + 31 * Minute, session: "b"));
        d.EndOfInput();
        var sessions = d.Output<SessionSummary>("clickstream.sessions");
        Assert.Equal(["a", "b"], sessions.Select(s => s.SessionId));
        Assert.Equal(2, sessions.Select(s => s.RecordKey).Distinct().Count());
        Assert.Equal(2, d.Collector.Records("clickstream.sessions").Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void a_delayed_event_inside_a_session_just_closed_is_late_for_sessions_not_a_second_overlapping_session()
    {
        using var d = Driver();
        var start = T0 + 30_000;
        d.Pipe(Event(at: start, page: "/a"));
        d.Pipe(Event(at: start + 32 * Minute, user: "u2", session: "s2")); // watermark start + 30 min closes u1's session
        Assert.Single(d.Output<SessionSummary>("clickstream.sessions"));
        // Ten seconds before that session's end, so within the gap of its last event; its minute has not closed yet.
        d.Pipe(Event(at: start + 30 * Minute - 10_000, page: "/b"));
        d.EndOfInput();

        Assert.Equal(3, d.Output<EnrichedEvent>("clickstream.enriched").Count);
        var late = Assert.Single(d.Output<LateRecord<EnrichedEvent>>("clickstream.late"));
        Assert.Equal((AggregateNames.Sessions, StreamReasonCodes.SessionClosed, start, start + 30 * Minute), (late.Operator, late.ReasonCode, late.WindowStart, late.WindowEnd));
        var u1 = d.Output<SessionSummary>("clickstream.sessions").Where(x => x.Key == "u1").ToList();
        Assert.Equal((start, 1, "/a"), (Assert.Single(u1).Start, u1[0].Events, u1[0].ExitPage));
    }

    [Fact]
    public void under_tiny_state_limits_every_event_is_counted_in_a_window_or_routed_late_and_early_closes_are_counted()
    {
        using var d = Driver(new ClickstreamOptions { MaxWindowEntries = 2, MaxOpenSessions = 3, DedupMaxEntries = 50 });
        var random = new Random(3);
        var newest = T0;
        const int count = 2_000;
        for (var i = 0; i < count; i++)
        {
            newest += random.Next(0, 3_000);
            var at = newest - random.Next(0, 90_000);
            d.Pipe(random.Next(3) == 0
                ? Event(EventType.Purchase, at, user: $"u{random.Next(30)}", product: "p1", price: 100, quantity: 1)
                : Event(at: at, user: $"u{random.Next(30)}"));
        }
        d.EndOfInput();

        var metrics = d.Task().Metrics;
        Assert.True(metrics.Get("windows_closed_early." + AggregateNames.Events1m) > 10);
        Assert.True(metrics.Get("windows_closed_early." + AggregateNames.Products1h) > 10);
        Assert.True(metrics.Get("sessions_closed_early." + AggregateNames.Sessions) > 10);
        Assert.True(d.Task().Stores.OfType<Sluice.Streaming.State.EventIdStore>().Single().Evicted > 0);
        var late = d.Output<LateRecord<EnrichedEvent>>("clickstream.late");
        int Late(string op) => late.Count(l => l.Operator == op);
        // The late gate and the 1-minute aggregate both report as events_1m: before the gate, or after an early close.
        Assert.Equal(count, (int)d.Rows(AggregateNames.Events1m).Where(r => r.Dimension == "all" && r.Metric == "events").Sum(r => r.Value) + Late(AggregateNames.Events1m));
        var purchases = d.Output<EnrichedEvent>("clickstream.enriched").Count(e => e.EventType == EventType.Purchase);
        Assert.Equal(purchases, (int)d.Rows(AggregateNames.Commerce5m).Where(r => r.Metric == "purchases").Sum(r => r.Value)
            + late.Count(l => l.Operator == AggregateNames.Commerce5m && l.Value.EventType == EventType.Purchase));
        var enriched = d.Output<EnrichedEvent>("clickstream.enriched").Count;
        Assert.Equal(enriched, d.Output<SessionSummary>("clickstream.sessions").Sum(x => x.Events) + Late(AggregateNames.Sessions));
    }

    [Fact]
    public void a_blank_user_id_is_an_anonymous_visitor_not_one_user_shared_by_every_such_visitor()
    {
        // Trackers often send "" for a visitor who has not logged in; validation already treats blank as no user.
        using var d = Driver();
        d.Pipe(Event(at: T0, user: "", session: "s1", page: "/a"));
        d.Pipe(Event(at: T0 + 1_000, user: "  ", session: "s2", page: "/b"));
        d.Pipe(Event(at: T0 + 2_000, user: "u9", session: "s3", page: "/c"));
        d.EndOfInput();

        var sessions = d.Output<SessionSummary>("clickstream.sessions").OrderBy(x => x.Key, StringComparer.Ordinal).ToList();
        Assert.Equal([("s1", (string?)null), ("s2", null), ("u9", "u9")], sessions.Select(x => (x.Key, x.UserId)));
        Assert.Equal(["s1", "s2", "u9"], d.Collector.Records("clickstream.enriched").Select(r => (string)r.Key!));
        Assert.All(d.Output<EnrichedEvent>("clickstream.enriched").Take(2), e => Assert.Null(e.Event.UserId));
        var minute = d.Rows(AggregateNames.Events1m);
        Assert.Equal(1, minute.Metric("unique_users"));
        Assert.Equal(3, minute.Metric("unique_sessions"));
        Assert.Equal(1, d.Rows(AggregateNames.ActiveUsers5m).Max(r => r.Value));
    }

    [Fact]
    public void late_event_goes_to_the_late_output_once_and_is_neither_enriched_nor_counted()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 20 * Minute)); // watermark T0 + 18 min
        d.Pipe(Event(at: T0 + 10 * Minute, session: "s-late", product: "p1"));
        d.EndOfInput();

        var late = Assert.Single(d.Output<LateRecord<EnrichedEvent>>("clickstream.late"));
        Assert.Equal((AggregateNames.Events1m, StreamReasonCodes.WindowClosed), (late.Operator, late.ReasonCode));
        Assert.Equal((T0 + 10 * Minute, T0 + 11 * Minute, T0 + 10 * Minute, T0 + 18 * Minute), (late.WindowStart, late.WindowEnd, late.EventTimestamp, late.Watermark));
        Assert.Equal(("clickstream.events", 1L), (late.Source.Topic, late.Source.Offset));
        Assert.Equal("u1", d.Collector.Records("clickstream.late")[0].Key);
        Assert.Equal(1, d.Task().Metrics.Get(StreamReasonCodes.LateCounterPrefix + AggregateNames.Events1m));
        Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched"));
        Assert.DoesNotContain(d.Rows(AggregateNames.Products1h), r => r.Dimension == "product");
        Assert.Equal(1, Assert.Single(d.Output<SessionSummary>("clickstream.sessions")).Events);
    }

    [Fact]
    public void out_of_order_event_within_the_bound_is_counted_in_its_window()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 2 * Minute + 30_000)); // watermark T0 + 30 s: [T0, T0+1m) still open
        d.Pipe(Event(at: T0 + 59_999));
        d.EndOfInput();
        Assert.Empty(d.Output<object>("clickstream.late"));
        Assert.Equal(1, d.Rows(AggregateNames.Events1m).Where(r => r.WindowStart == T0).Metric("events"));
    }

    [Fact]
    public void partitions_aggregate_separately_with_the_partition_in_the_row()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0), partition: 0);
        d.Pipe(Event(at: T0, user: "u2", session: "s2"), partition: 2);
        d.EndOfInput();
        var rows = d.Rows(AggregateNames.Events1m).Where(r => r.Metric == "unique_users").ToList();
        Assert.Equal([(0, 1.0), (2, 1.0)], rows.Select(r => (r.Partition, r.Value)).OrderBy(x => x.Partition));
    }

    [Fact]
    public void the_same_input_gives_the_same_outputs()
    {
        static List<string> Run()
        {
            using var d = Driver();
            foreach (var payload in SampleEvents.Generate(3000, seed: 5, startMs: T0)) d.Pipe(payload);
            d.EndOfInput();
            var all = new List<string>();
            foreach (var topic in d.Collector.Topics.OrderBy(t => t, StringComparer.Ordinal))
                foreach (var r in d.Collector.Records(topic))
                    all.Add($"{topic} {r.Key} {(r.Value is EnrichedEvent e ? e.Event.EventId : r.Value)}");
            return all;
        }
        var first = Run();
        Assert.Contains(first, s => s.StartsWith("clickstream.sessions", StringComparison.Ordinal));
        Assert.Contains(first, s => s.StartsWith("clickstream.dlq", StringComparison.Ordinal));
        Assert.Equal(first, Run());
    }
}
