using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.App.Bench;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;

namespace Sluice.UnitTests.Pipelines;

/// <summary>The enriched event's hand-written JSON against the same fields written by <see cref="Utf8JsonWriter"/>: byte for byte.</summary>
public class EnrichedEventJsonTests
{
    [Fact]
    public void generated_traffic_is_written_exactly_as_utf8jsonwriter_writes_it()
    {
        var input = EngineBenchmark.Generate(5_000, 1, Sluice.Generate.Writers.PayloadFormat.Json);
        var written = 0;
        foreach (var payload in input.Partitions[0])
        {
            if (!ClickEventJson.TryRead(payload, out var e, out _)) continue;
            AssertSameAsWriter(Enriched(e!, e!.GeoCountry ?? "UNKNOWN", e.SearchQuery, new DateOnly(2026, 11, 21)));
            written++;
        }
        Assert.True(written > 4_000, $"only {written} events decoded");
    }

    [Fact]
    public void hostile_strings_nulls_and_extreme_values_are_written_exactly_as_utf8jsonwriter_writes_them()
    {
        var random = new Random(11);
        string? Pick(bool nullable) => nullable && random.Next(4) == 0 ? null : JsonOutputFixture.Hostile[random.Next(JsonOutputFixture.Hostile.Length)];
        DateOnly[] dates = [DateOnly.MinValue, new DateOnly(999, 12, 31), new DateOnly(1000, 1, 1), new DateOnly(2026, 2, 28), DateOnly.MaxValue];
        for (var i = 0; i < 500; i++)
        {
            var e = new ClickEvent
            {
                EventId = i == 0 ? Guid.Empty : i % 3 == 1 ? AnyId(random) : Guid.NewGuid(),
                EventType = (EventType)(i % EventTypes.All.Count),
                Timestamp = i % 3 == 0 ? long.MaxValue : i % 3 == 1 ? long.MinValue : i,
                UserId = Pick(true), SessionId = Pick(false)!, ProductId = Pick(true), ProductCategory = Pick(true),
                PriceCents = random.Next(3) == 0 ? null : random.NextInt64(long.MinValue, long.MaxValue),
                Quantity = random.Next(3) == 0 ? null : random.Next(int.MinValue, int.MaxValue),
                SearchQuery = Pick(true), PageUrl = Pick(true), Referrer = Pick(true), UserAgent = Pick(true), IpAddress = Pick(true),
                GeoCountry = Pick(true), GeoCity = Pick(true), UserSegment = Pick(true), DeviceType = Pick(true), Browser = Pick(true),
                CampaignId = Pick(true), SchemaVersion = random.Next(1, 4),
            };
            var profile = i % 2 == 0 ? null : new Sluice.Pipelines.Clickstream.Users.UserVersion(Pick(false)!, i, long.MaxValue - i,
                Sluice.Pipelines.Clickstream.Users.UserChangeOp.Update, i, null, null, Pick(true), Pick(true), Pick(true), Pick(true),
                i % 4 == 1 ? null : 1_767_218_400_000L + i * 86_400_000L, default);
            AssertSameAsWriter(Enriched(e, Pick(false)!, Pick(true), dates[i % dates.Length]) with { IsMobile = i % 2 == 0, Offset = long.MaxValue - i, Profile = profile });
        }
    }

    // An id that is no UUID, as hostile as an id may be: any string of 1 to EventId.MaxLength characters.
    private static EventId AnyId(Random random)
    {
        var text = JsonOutputFixture.Hostile[random.Next(JsonOutputFixture.Hostile.Length)];
        return EventId.Parse(text.Length == 0 ? "e" : text[..Math.Min(text.Length, EventId.MaxLength)]);
    }

    [Fact]
    public void invalid_utf16_fails_as_the_writer_fails_rather_than_writing_broken_json()
    {
        var e = new ClickEvent { EventId = Guid.NewGuid(), EventType = EventType.PageView, Timestamp = 1, SessionId = "s", UserAgent = "lone \ud800 surrogate" };
        Assert.ThrowsAny<ArgumentException>(() => ClickstreamJson.Write(Enriched(e, "DE", null, new DateOnly(2026, 1, 1)), new ArrayBufferWriter<byte>()));
    }

    private static EnrichedEvent Enriched(ClickEvent e, string country, string? query, DateOnly date) => new()
    {
        Event = e, Country = country, SearchQuery = query, RevenueCents = 12_345, EventHour = 23, EventDate = date,
        ProcessingTimeMs = 1_767_218_400_123, IngestLagMs = -5, Partition = 7, Offset = 99,
    };

    private static void AssertSameAsWriter(EnrichedEvent x)
    {
        var expected = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(expected, JsonOutputFixture.Options)) Reference(w, x);
        // A writer that hands out no more room than asked for: every chunk boundary of the fast path is exercised.
        var actual = new JsonOutputFixture.StingyBufferWriter();
        ClickstreamJson.Write(x, actual);
        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.Written));
        using var parsed = JsonDocument.Parse(actual.Written.ToArray());
        Assert.Equal(34, parsed.RootElement.EnumerateObject().Count());
    }

    // The independent implementation: every field through Utf8JsonWriter, in the documented order.
    private static void Reference(Utf8JsonWriter w, EnrichedEvent x)
    {
        var e = x.Event;
        w.WriteStartObject();
        w.WriteString("event_id", e.EventId.ToString());
        w.WriteString("event_type", e.EventType.ToWireName());
        w.WriteNumber("timestamp", e.Timestamp);
        Str("user_id", e.UserId);
        w.WriteString("session_id", e.SessionId);
        Str("product_id", e.ProductId);
        Str("product_category", e.ProductCategory);
        Num("price_cents", e.PriceCents);
        Num("quantity", e.Quantity);
        Str("search_query", x.SearchQuery);
        Str("page_url", e.PageUrl);
        Str("referrer", e.Referrer);
        Str("user_agent", e.UserAgent);
        Str("ip_address", e.IpAddress);
        w.WriteString("geo_country", x.Country);
        Str("geo_city", e.GeoCity);
        Str("user_segment", e.UserSegment);
        Str("device_type", e.DeviceType);
        Str("browser", e.Browser);
        Str("campaign_id", e.CampaignId);
        w.WriteNumber("schema_version", e.SchemaVersion);
        w.WriteNumber("revenue_cents", x.RevenueCents);
        w.WriteNumber("event_hour", x.EventHour);
        w.WriteString("event_date", x.EventDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteBoolean("is_mobile", x.IsMobile);
        w.WriteNumber("processing_time", x.ProcessingTimeMs);
        w.WriteNumber("ingest_lag_ms", x.IngestLagMs);
        w.WriteNumber("partition", x.Partition);
        w.WriteNumber("offset", x.Offset);
        if (x.Profile is { } p)
        {
            w.WriteNumber("profile_version", p.Version);
            w.WriteNumber("profile_position", p.Position);
            w.WriteString("profile_segment", p.Segment);
            w.WriteString("profile_country", p.Country);
            if (p.SignupDate is { } d) w.WriteString("signup_date", d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            else w.WriteNull("signup_date");
        }
        else
        {
            foreach (var name in new[] { "profile_version", "profile_position", "profile_segment", "profile_country", "signup_date" }) w.WriteNull(name);
        }
        w.WriteEndObject();

        void Str(string name, string? value)
        {
            if (value is null) w.WriteNull(name); else w.WriteString(name, value);
        }

        void Num(string name, long? value)
        {
            if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
        }
    }
}
