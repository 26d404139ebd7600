using System.Text;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public class ClickstreamJsonTests
{
    [Fact]
    public void enriched_event_json_carries_normalised_and_derived_fields()
    {
        using var d = Driver();
        d.Pipe(Event(EventType.Purchase, country: " fr ", product: "p", price: 250, quantity: 2));
        var json = ClickstreamJson.Bytes(d.Output<EnrichedEvent>("clickstream.enriched")[0], ClickstreamJson.Write);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("FR", root.GetProperty("geo_country").GetString());
        Assert.Equal(500, root.GetProperty("revenue_cents").GetInt64());
        Assert.Equal("2025-12-31", root.GetProperty("event_date").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("search_query").ValueKind);
    }

    [Fact]
    public void dead_letter_json_keeps_the_original_payload_and_source()
    {
        using var d = Driver();
        d.Pipe(Encoding.UTF8.GetBytes("it's not json"));
        var json = ClickstreamJson.Bytes(d.Output<DeadLetterRecord>("clickstream.dlq")[0], ClickstreamJson.Write);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("invalid_json", root.GetProperty("reason_code").GetString());
        Assert.Equal("it's not json", Encoding.UTF8.GetString(root.GetProperty("payload_base64").GetBytesFromBase64()));
        Assert.Equal(("clickstream.events", 0, 0L), (root.GetProperty("topic").GetString(), root.GetProperty("partition").GetInt32(), root.GetProperty("offset").GetInt64()));
        Assert.Contains("it's", Encoding.UTF8.GetString(ClickstreamJson.Bytes(new AggregateRow("a", 0, 1, 0, "d", "it's", "m", 1), ClickstreamJson.Write)), StringComparison.Ordinal);
    }

    [Fact]
    public void session_and_late_json_name_their_fields_in_snake_case()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 20 * Minute));
        d.Pipe(Event(at: T0));
        d.EndOfInput();
        using var late = JsonDocument.Parse(ClickstreamJson.Bytes(d.Output<LateRecord<EnrichedEvent>>("clickstream.late")[0], ClickstreamJson.Write));
        Assert.Equal("window_closed", late.RootElement.GetProperty("reason_code").GetString());
        Assert.Equal(T0, late.RootElement.GetProperty("event").GetProperty("timestamp").GetInt64());
        using var session = JsonDocument.Parse(ClickstreamJson.Bytes(d.Output<SessionSummary>("clickstream.sessions")[0], ClickstreamJson.Write));
        Assert.True(session.RootElement.GetProperty("session_start").GetInt64() > 0);
        Assert.False(session.RootElement.GetProperty("abandoned_cart").GetBoolean());
    }
}
