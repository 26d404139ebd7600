using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

/// <summary>The optimised decode path keeps ClickEventJson's behaviour and reason codes.</summary>
public class ClickEventDecodeTests
{
    [Fact]
    public void every_field_round_trips()
    {
        var e = Event(EventType.Purchase, product: "p1", category: "shoes", price: 1999, quantity: 2, query: "q") with
        {
            Referrer = "https://r/", IpAddress = "10.0.0.0", GeoCity = "Berlin", UserSegment = "vip", Browser = "Firefox", CampaignId = "c1",
        };
        Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(e), out var back, out _));
        Assert.Equal(e, back);
    }

    [Fact]
    public void repeated_values_share_one_string_and_distinct_values_stay_distinct()
    {
        Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(Event(country: "DE")), out var a, out _));
        Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(Event(country: "DE")), out var b, out _));
        Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(Event(country: "FR")), out var c, out _));
        Assert.Same(a!.GeoCountry, b!.GeoCountry);
        Assert.Equal("FR", c!.GeoCountry);
    }

    [Fact]
    public void escaped_strings_and_escaped_event_types_are_decoded()
    {
        var json = """{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page\u005fview","timestamp":5,"session_id":"s\"1","geo_city":"K\u00f6ln"}""";
        Assert.True(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out var e, out _));
        Assert.Equal((EventType.PageView, "s\"1", "Köln"), (e!.EventType, e.SessionId, e.GeoCity));
    }

    [Fact]
    public void invalid_utf8_in_a_string_is_invalid_json()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":"XX"}""");
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        Assert.False(ClickEventJson.TryRead(bytes, out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Theory]
    [InlineData("<html><body><h1>503 Service Unavailable</h1></body></html>")]
    [InlineData("event_type=page_view&session_id=s-1&timestamp=1767225600000")]
    [InlineData("\u0000\u00ff\u001f")]
    [InlineData("   \n  \r\n  x")]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("{\"event_id\":\"00000001-0000-0000-0000-000000000001\",\"event_ty")]
    [InlineData("{\"a\":1")]
    [InlineData("{\"a\":\"x\\\"")]
    [InlineData("{\"a\":[1,{\"b\":2}")]
    [InlineData("{\"a\":{\"b\":1}")]
    [InlineData("  \n {\"a\":")]
    [InlineData("{\"a\":1,\n\"b\":\"}\"")]
    public void garbage_and_cut_short_objects_are_invalid_json_at_the_byte_the_json_reader_names(string text)
    {
        // These are told apart without the reader (which throws for each), so check against the reader itself.
        var bytes = Encoding.Latin1.GetBytes(text);
        Assert.True(ClickEventJson.IsPlainlyNotJson(bytes, out _), "the input should be recognised without the reader");
        var thrown = Assert.ThrowsAny<System.Text.Json.JsonException>(() =>
        {
            var reader = new System.Text.Json.Utf8JsonReader(bytes);
            while (reader.Read())
            {
            }
        });
        Assert.False(ClickEventJson.TryRead(bytes, out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
        Assert.StartsWith($"not valid JSON at byte {thrown.BytePositionInLine}", error.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":{\"b\":[1,2]},\"c\":\"{[\"}")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("123")]
    [InlineData("{\"a\":1} x")]
    public void input_that_could_still_be_json_goes_to_the_reader(string text) =>
        Assert.False(ClickEventJson.IsPlainlyNotJson(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void too_long_string_is_rejected_not_truncated()
    {
        var e = Event() with { UserAgent = new string('a', ClickEventJson.MaxStringLength + 1) };
        Assert.False(ClickEventJson.TryRead(ClickEventJson.ToBytes(e), out _, out var error));
        Assert.Equal(ReasonCodes.FieldTooLong, error.ReasonCode);
    }

    [Fact]
    public void unknown_fields_are_skipped_and_unknown_event_type_is_reported()
    {
        var json = """{"extra":{"a":[1,2]},"event_id":"00000001-0000-0000-0000-000000000001","event_type":"zap","timestamp":5,"session_id":"s"}""";
        Assert.False(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(ReasonCodes.UnknownEventType, error.ReasonCode);
        Assert.Contains("'zap'", error.Detail, StringComparison.Ordinal);
    }
}

/// <summary>The fast scanner and the Utf8JsonReader path agree on every payload.</summary>
public class ClickEventDecodePathTests
{
    [Fact]
    public void fast_path_and_reader_path_decode_the_same_events()
    {
        foreach (var payload in Sluice.App.Samples.SampleEvents.Generate(500, seed: 11))
        {
            Assert.True(ClickEventJson.TryRead(payload, out var fast, out _));
            // A nested unknown field is outside the fast scanner's subset: this decode goes through the reader.
            var json = Encoding.UTF8.GetString(payload);
            var slow = Encoding.UTF8.GetBytes("{\"x\":{\"y\":[true]}," + json[1..]);
            Assert.True(ClickEventJson.TryRead(slow, out var viaReader, out _));
            var spaced = Encoding.UTF8.GetBytes(json.Replace(",\"", " ,\r\n\t\"", StringComparison.Ordinal).Replace("\":", "\" : ", StringComparison.Ordinal));
            Assert.True(ClickEventJson.TryRead(spaced, out var viaSpaces, out _));
            Assert.Equal(viaReader, fast);
            Assert.Equal(fast, viaSpaces);
        }
    }

    [Theory]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":"s",}""", ReasonCodes.InvalidJson)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":"s"} x""", ReasonCodes.InvalidJson)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":05,"session_id":"s"}""", ReasonCodes.InvalidJson)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5.5,"session_id":"s"}""", ReasonCodes.InvalidFieldType)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":7}""", ReasonCodes.InvalidFieldType)]
    [InlineData("""{"event_id":true,"event_type":"page_view","timestamp":5,"session_id":"s"}""", ReasonCodes.InvalidFieldType)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":"s","quantity":99999999999}""", ReasonCodes.InvalidFieldType)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":5,"session_id":"a	b"}""", ReasonCodes.InvalidJson)]
    [InlineData("""{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":null,"session_id":"s"}""", ReasonCodes.MissingRequiredFields)]
    public void inputs_outside_the_fast_subset_get_the_reader_path_reason(string json, string reason)
    {
        Assert.False(ClickEventJson.TryRead(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.Equal(reason, error.ReasonCode);
    }
}
