using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.UnitTests.Events;

public sealed class ClickEventJsonTests
{
    private static readonly ClickEvent Sample = new()
    {
        EventId = Guid.Parse("6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b"),
        EventType = EventType.Purchase,
        Timestamp = 1_763_700_000_123,
        UserId = "u000042",
        SessionId = "s-1",
        ProductId = "p0007",
        ProductCategory = "shoes",
        PriceCents = 12_999,
        Quantity = 2,
        PageUrl = "/checkout",
        UserAgent = "Mozilla/5.0 \"quoted\" ünïcode",
        GeoCountry = "DE",
        SchemaVersion = 3,
    };

    [Fact]
    public void an_event_survives_a_round_trip()
    {
        var bytes = ClickEventJson.ToBytes(Sample);
        Assert.True(ClickEventJson.TryRead(bytes, out var back, out _));
        Assert.Equal(Sample, back);
    }

    [Fact]
    public void field_names_are_the_v3_snake_case_names()
    {
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(Sample));
        foreach (var name in new[] { "event_id", "event_type", "timestamp", "user_id", "session_id", "product_id", "product_category",
                     "price_cents", "quantity", "search_query", "page_url", "referrer", "user_agent", "ip_address", "geo_country",
                     "geo_city", "user_segment", "device_type", "browser", "campaign_id", "schema_version" })
            Assert.Contains($"\"{name}\":", json);
        Assert.Contains("\"event_type\":\"purchase\"", json);
    }

    [Fact]
    public void missing_required_fields_are_listed_sorted()
    {
        var ok = ClickEventJson.TryRead("{\"event_type\":\"page_view\",\"user_id\":\"u1\"}"u8, out _, out var error);
        Assert.False(ok);
        Assert.Equal(ReasonCodes.MissingRequiredFields, error.ReasonCode);
        Assert.Equal("event_id,session_id,timestamp", error.Detail);
    }

    [Fact]
    public void null_required_field_counts_as_missing()
    {
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(Sample)).Replace("\"session_id\":\"s-1\"", "\"session_id\":null", StringComparison.Ordinal);
        Assert.False(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(ReasonCodes.MissingRequiredFields, error.ReasonCode);
        Assert.Equal("session_id", error.Detail);
    }

    [Fact]
    public void unknown_event_type_is_rejected_with_its_value()
    {
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(Sample)).Replace("\"purchase\"", "\"teleport\"", StringComparison.Ordinal);
        Assert.False(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(ReasonCodes.UnknownEventType, error.ReasonCode);
        Assert.Contains("teleport", error.Detail);
    }

    [Theory]
    [InlineData("\"timestamp\":1763700000123", "\"timestamp\":\"yesterday\"", "timestamp")]
    [InlineData("\"price_cents\":12999", "\"price_cents\":\"12999\"", "price_cents")]
    [InlineData("\"quantity\":2", "\"quantity\":2.5", "quantity")]
    [InlineData("\"user_id\":\"u000042\"", "\"user_id\":42", "user_id")]
    [InlineData("\"event_id\":\"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b\"", "\"event_id\":42", "event_id")]
    public void wrong_json_type_names_the_field(string from, string to, string field)
    {
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(Sample));
        Assert.Contains(from, json);
        Assert.False(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json.Replace(from, to, StringComparison.Ordinal)), out _, out var error));
        Assert.Equal(ReasonCodes.InvalidFieldType, error.ReasonCode);
        Assert.StartsWith(field, error.Detail);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, 0x00, 0x12 })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a' })]
    [InlineData(new byte[] { (byte)'[', (byte)']' })]
    [InlineData(new byte[] { (byte)'4', (byte)'2' })]
    [InlineData(new byte[0])]
    public void bytes_that_are_not_a_json_object_are_invalid_json(byte[] payload)
    {
        Assert.False(ClickEventJson.TryRead(payload, out var evt, out var error));
        Assert.Null(evt);
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Fact]
    public void trailing_data_after_the_object_is_invalid_json()
    {
        var bytes = ClickEventJson.ToBytes(Sample).Concat("{}"u8.ToArray()).ToArray();
        Assert.False(ClickEventJson.TryRead(bytes, out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Fact]
    public void oversized_string_field_is_rejected_not_truncated()
    {
        var huge = new string('x', ClickEventJson.MaxStringLength + 1);
        Assert.False(ClickEventJson.TryRead(ClickEventJson.ToBytes(Sample with { Referrer = huge }), out _, out var error));
        Assert.Equal(ReasonCodes.FieldTooLong, error.ReasonCode);
        Assert.StartsWith("referrer", error.Detail);
    }

    [Fact]
    public void unknown_fields_from_newer_producers_are_ignored()
    {
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(Sample)).Replace("{", "{\"loyalty\":{\"tier\":[1,2]},", StringComparison.Ordinal);
        Assert.True(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out var back, out _));
        Assert.Equal(Sample, back);
    }

    [Fact]
    public void anonymous_visitor_is_keyed_by_session()
    {
        Assert.Equal("u000042", Sample.PartitionKey);
        Assert.Equal("s-1", (Sample with { UserId = null }).PartitionKey);
    }

    [Theory]
    [InlineData("page_view", EventType.PageView)]
    [InlineData("remove_from_cart", EventType.RemoveFromCart)]
    [InlineData("purchase", EventType.Purchase)]
    public void wire_names_parse_from_text_and_bytes(string name, EventType type)
    {
        Assert.True(EventTypes.TryParse(name, out var fromText));
        Assert.True(EventTypes.TryParse(Encoding.UTF8.GetBytes(name), out var fromBytes));
        Assert.Equal(type, fromText);
        Assert.Equal(type, fromBytes);
        Assert.Equal(name, type.ToWireName());
        Assert.False(EventTypes.TryParse(name.ToUpperInvariant(), out _));
    }

    [Fact]
    public void repeated_ids_and_values_decode_to_the_same_string_instance()
    {
        var bytes = ClickEventJson.ToBytes(Sample with { IpAddress = "10.1.2.0" });
        Assert.True(ClickEventJson.TryRead(bytes, out var a, out _));
        Assert.True(ClickEventJson.TryRead(bytes, out var b, out _));
        Assert.Same(a!.UserId, b!.UserId);
        Assert.Same(a.SessionId, b.SessionId);
        Assert.Same(a.IpAddress, b.IpAddress);
        Assert.Same(a.PageUrl, b.PageUrl);
    }

    [Fact]
    public void values_evicted_from_the_string_pools_still_decode_exactly()
    {
        // Far more distinct ids and urls than the pools hold, revisited in another order: every value must come back intact.
        var events = new List<ClickEvent>();
        for (var i = 0; i < 120_000; i++)
            events.Add(Sample with { UserId = $"u{i % 70_000:D7}", SessionId = $"s-{i:x12}", PageUrl = $"/p/{i % 40_000}", IpAddress = $"10.{i % 250}.{i / 250 % 250}.0" });
        for (var pass = 0; pass < 2; pass++)
        {
            for (var k = 0; k < events.Count; k++)
            {
                var e = events[pass == 0 ? k : (int)((k * 7919L) % events.Count)];
                Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(e), out var back, out _));
                Assert.Equal(e.UserId, back!.UserId);
                Assert.Equal(e.SessionId, back.SessionId);
                Assert.Equal(e.PageUrl, back.PageUrl);
                Assert.Equal(e.IpAddress, back.IpAddress);
            }
        }
    }

    [Fact]
    public void escaped_values_are_decoded_by_the_fast_path_and_pooled()
    {
        // Utf8JsonWriter escapes non-ASCII by default, as many producers do; the reader path would not pool the value.
        var bytes = Encoding.UTF8.GetBytes("""{"event_id":"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b","event_type":"page_view","timestamp":1763700000123,"session_id":"s-1","geo_city":"S\u00E3o Paulo","page_url":"\/p\/1?q=\"x\"\t\ud83d\ude00"}""");
        Assert.True(ClickEventJson.TryRead(bytes, out var a, out _));
        Assert.True(ClickEventJson.TryRead(bytes, out var b, out _));
        Assert.Equal("São Paulo", a!.GeoCity);
        Assert.Equal("/p/1?q=\"x\"\t😀", a.PageUrl);
        Assert.Same(a.GeoCity, b!.GeoCity);
    }

    [Theory]
    [InlineData("\\x41")]
    [InlineData("\\u00G1")]
    [InlineData("\\ud800")]
    [InlineData("\\udc00x")]
    [InlineData("\\ud800\\u0041")]
    [InlineData("abc\\")]
    public void a_malformed_escape_is_refused_as_invalid_json(string escaped)
    {
        var bytes = Encoding.UTF8.GetBytes($$"""{"event_id":"6f1c2b9e-3a4d-4e5f-8a7b-1c2d3e4f5a6b","event_type":"page_view","timestamp":1,"session_id":"s-1","geo_city":"{{escaped}}"}""");
        Assert.False(ClickEventJson.TryRead(bytes, out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Fact]
    public void any_string_survives_escaping_and_decoding()
    {
        var random = new Random(5);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new StringBuilder();
            var length = random.Next(0, 40);
            for (var n = 0; n < length; n++)
            {
                switch (random.Next(6))
                {
                    case 0: chars.Append((char)random.Next(0, 0x20)); break;
                    case 1: chars.Append("\"\\/<>&'+"[random.Next(8)]); break;
                    case 2: chars.Append((char)random.Next(0x80, 0xD800)); break;
                    case 3: chars.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF))); break;
                    default: chars.Append((char)random.Next(0x20, 0x7F)); break;
                }
            }
            var e = Sample with { GeoCity = chars.ToString(), SearchQuery = chars.ToString() };
            Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(e), out var back, out var error), error.Detail);
            Assert.Equal(e.GeoCity, back!.GeoCity);
            Assert.Equal(e.SearchQuery, back.SearchQuery);
        }
    }

    [Fact]
    public void thousands_of_similar_ids_all_stay_pooled()
    {
        // Ids that differ only in a few digits must spread over the pool: far below its size, every one is kept.
        var payloads = new List<byte[]>();
        for (var i = 0; i < 4000; i++) payloads.Add(ClickEventJson.ToBytes(Sample with { UserId = $"u-{i * 37 % 10_000_000:D7}" }));
        var first = new List<string>();
        foreach (var p in payloads)
        {
            Assert.True(ClickEventJson.TryRead(p, out var e, out _));
            first.Add(e!.UserId!);
        }
        var kept = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            Assert.True(ClickEventJson.TryRead(payloads[i], out var e, out _));
            if (ReferenceEquals(first[i], e!.UserId)) kept++;
        }
        Assert.True(kept >= payloads.Count * 98 / 100, $"only {kept} of {payloads.Count} ids were still pooled");
    }
}
