using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public class ValidationTests
{
    public static TheoryData<string, ClickEvent> Invalid => new()
    {
        { ReasonCodes.TimestampNotPositive, Event(at: 0) },
        { ReasonCodes.TimestampNotPositive, Event(at: -5) },
        { ReasonCodes.TimestampInFuture, Event(at: T0 + 2 * 60 * Minute + 5 * Minute + 1) },
        { ReasonCodes.UserRequired, Event(EventType.AddToCart, user: null, product: "p1", price: 100) },
        { ReasonCodes.UserRequired, Event(EventType.RemoveFromCart, user: null) },
        { ReasonCodes.UserRequired, Event(EventType.Wishlist, user: "  ") },
        { ReasonCodes.UserRequired, Event(EventType.Purchase, user: null, price: 100, quantity: 1) },
        { ReasonCodes.UnexpectedPrice, Event(EventType.PageView, price: 100) },
        { ReasonCodes.UnexpectedPrice, Event(EventType.Search, price: 0) },
        { ReasonCodes.NegativePrice, Event(EventType.Purchase, price: -1, quantity: 1) },
        { ReasonCodes.NegativePrice, Event(EventType.AddToCart, price: -1) },
        { ReasonCodes.PriceAboveMaximum, Event(EventType.Purchase, price: 10_000_001, quantity: 1) },
        { ReasonCodes.MissingPrice, Event(EventType.Purchase, quantity: 1) },
        { ReasonCodes.ZeroQuantity, Event(EventType.Purchase, price: 100, quantity: 0) },
        { ReasonCodes.NegativeQuantity, Event(EventType.Purchase, price: 100, quantity: -2) },
        { ReasonCodes.MissingQuantity, Event(EventType.Purchase, price: 100) },
        { ReasonCodes.InvalidCountryCode, Event(country: "DEU") },
        { ReasonCodes.InvalidCountryCode, Event(country: "D1") },
        { ReasonCodes.InvalidCountryCode, Event(country: "Ü?") },
        // A value wrong in itself wins over one out of place (the generator's malformed events rely on it).
        { ReasonCodes.NegativePrice, Event(EventType.PageView, product: "p1", price: -5, quantity: 1) },
        { ReasonCodes.ZeroQuantity, Event(EventType.Purchase, user: null, product: "p1", price: 100, quantity: 0) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void invalid_event_goes_to_the_dead_letter_output_with_its_reason_code(string reason, ClickEvent e)
    {
        using var d = Driver();
        d.Pipe(e);
        var letter = Assert.Single(d.Output<DeadLetterRecord>("clickstream.dlq"));
        Assert.Equal(reason, letter.ReasonCode);
        Assert.False(string.IsNullOrWhiteSpace(letter.Detail));
        Assert.Equal(ClickEventJson.ToBytes(e), letter.Payload);
        Assert.Equal(("clickstream.events", 0, 0L), (letter.Topic, letter.Partition, letter.Offset));
        Assert.Empty(d.Output<EnrichedEvent>("clickstream.enriched"));
        Assert.Equal(1, d.Task().Metrics.Get(StreamReasonCodes.DeadLetterCounterPrefix + reason));
    }

    public static TheoryData<string, string> Undecodable => new()
    {
        { ReasonCodes.InvalidJson, "not json" },
        { ReasonCodes.InvalidJson, "[1,2]" },
        { ReasonCodes.InvalidJson, """{"event_type": "page_view" """ },
        { ReasonCodes.MissingRequiredFields, """{"event_type":"page_view","timestamp":1767218400000}""" },
        { ReasonCodes.InvalidFieldType, """{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":"soon","session_id":"s"}""" },
        { ReasonCodes.UnknownEventType, """{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"teleport","timestamp":1767218400000,"session_id":"s"}""" },
    };

    [Theory]
    [MemberData(nameof(Undecodable))]
    public void undecodable_payload_goes_to_the_dead_letter_output_with_the_decoder_reason(string reason, string json)
    {
        using var d = Driver();
        d.Pipe(Encoding.UTF8.GetBytes(json));
        var letter = Assert.Single(d.Output<DeadLetterRecord>("clickstream.dlq"));
        Assert.Equal(reason, letter.ReasonCode);
        Assert.Equal(json, Encoding.UTF8.GetString(letter.Payload));
    }

    [Fact]
    public void missing_required_fields_are_listed_sorted()
    {
        using var d = Driver();
        d.Pipe(Encoding.UTF8.GetBytes("""{"timestamp":1767218400000,"user_id":"u"}"""));
        var letter = Assert.Single(d.Output<DeadLetterRecord>("clickstream.dlq"));
        Assert.Equal("event_id,event_type,session_id", letter.Detail);
    }

    [Fact]
    public void thresholds_are_configurable()
    {
        using var d = Driver(new ClickstreamOptions { Domain = EcommerceDomain.WithThresholds(500, "03:00:00") });
        d.Pipe(Event(at: T0 + 4 * 60 * Minute)); // 2 h ahead of the clock: allowed now
        d.Pipe(Event(EventType.AddToCart, price: 501));
        Assert.Equal([ReasonCodes.PriceAboveMaximum], d.Output<DeadLetterRecord>("clickstream.dlq").Select(l => l.ReasonCode));
        Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched"));
    }

    [Fact]
    public void a_product_page_view_may_carry_its_price_but_not_a_negative_one_and_a_page_of_no_product_none()
    {
        using var d = Driver();
        d.Pipe(Event(EventType.PageView, product: "p1", price: 1999));
        d.Pipe(Event(EventType.PageView, product: "p1", price: -1));
        d.Pipe(Event(EventType.PageView, price: 100));
        d.Pipe(Event(EventType.PageView, product: "p1"));
        var enriched = d.Output<EnrichedEvent>("clickstream.enriched");
        Assert.Equal(2, enriched.Count);
        // The price shown on a view is no revenue.
        Assert.All(enriched, e => Assert.Equal(0, e.RevenueCents));
        Assert.Equal([ReasonCodes.NegativePrice, ReasonCodes.UnexpectedPrice], d.Output<DeadLetterRecord>("clickstream.dlq").Select(l => l.ReasonCode));
    }

    [Fact]
    public void invalid_options_name_the_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => new ClickstreamTopology(new ClickstreamOptions { DedupHorizon = TimeSpan.Zero }));
        Assert.Equal("clickstream.dedupHorizon", ex.Key);
    }

    [Fact]
    public void a_maximum_price_whose_revenue_could_overflow_is_refused_and_the_largest_allowed_cannot()
    {
        var ex = Assert.Throws<ConfigurationException>(() => new ClickstreamTopology(new ClickstreamOptions { Domain = EcommerceDomain.WithThresholds(ClickstreamOptions.MaxPriceCentsLimit + 1) }));
        Assert.Equal("rules[4].max", ex.Key);
        Assert.Contains("test.yaml, line", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ClickstreamOptions.MaxPriceCentsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);

        // At the limit, the largest purchase still comes out with its exact revenue.
        var price = ClickstreamOptions.MaxPriceCentsLimit;
        using var d = Driver(new ClickstreamOptions { Domain = EcommerceDomain.WithThresholds(price) });
        d.Pipe(Event(EventType.Purchase, product: "p1", price: price, quantity: int.MaxValue));
        Assert.Equal(checked(price * int.MaxValue), Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched")).RevenueCents);
    }

    [Fact]
    public void validation_codes_are_stable_snake_case_strings()
    {
        Assert.Equal(
            ["invalid_country_code", "missing_price", "missing_quantity", "negative_price", "negative_quantity",
             "price_above_maximum", "timestamp_in_future", "timestamp_not_positive", "timestamp_too_old", "unexpected_price", "user_required",
             "zero_quantity"],
            ReasonCodes.Validation);
    }

    [Fact]
    public void invalid_event_does_not_move_the_watermark()
    {
        using var d = Driver(new ClickstreamOptions { Domain = EcommerceDomain.WithThresholds(maxFutureSkew: "00:00:00") });
        d.Pipe(Event(at: T0));
        var before = d.Task().Watermark;
        d.Pipe(Event(at: T0 + 10 * 60 * 60_000)); // far future: rejected
        Assert.Equal(before, d.Task().Watermark);
    }

    [Fact]
    public void an_event_from_a_fast_clock_within_the_future_skew_does_not_make_real_time_traffic_late()
    {
        using var d = Driver();
        var now = d.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        d.Pipe(Event(at: now - 20_000, user: "u1"));
        d.Pipe(Event(at: now + 4 * Minute, user: "u2", session: "s2")); // a device four minutes fast: valid
        d.Pipe(Event(at: now - 10_000, user: "u3", session: "s3")); // on time by any real clock
        Assert.Empty(d.Output<LateRecord<EnrichedEvent>>("clickstream.late"));
        Assert.Equal(3, d.Output<EnrichedEvent>("clickstream.enriched").Count);
        Assert.True(d.Task().Watermark <= now - 2 * Minute, "the watermark ran ahead of processing time");
        d.EndOfInput();
        Assert.Equal(3, (int)d.Rows(AggregateNames.Events1m).Where(r => r.Dimension == "all" && r.Metric == "events").Sum(r => r.Value));
    }
}
