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
    public void an_800_kb_poison_record_becomes_a_dead_letter_well_under_the_brokers_1_mb_limit()
    {
        // 1. A payload most of a default topic's message limit, which is no JSON the decoder accepts.
        var payload = new byte[800_000];
        new Random(7).NextBytes(payload);
        payload[0] = (byte)'{';
        using var d = Driver();
        d.Pipe(payload);

        // 2. Its dead letter keeps a prefix, the whole length and the SHA-256, and says it was cut.
        var letter = d.Output<DeadLetterRecord>("clickstream.dlq").Single();
        var json = ClickstreamJson.Bytes(letter, ClickstreamJson.Write);
        Assert.True(json.Length < 400_000, $"dead letter is {json.Length} bytes");
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(payload.AsSpan(0, ClickstreamJson.DeadLetterPayloadLimit).ToArray(), root.GetProperty("payload_base64").GetBytesFromBase64());
        Assert.True(root.GetProperty("payload_truncated").GetBoolean());
        Assert.Equal(payload.Length, root.GetProperty("payload_length").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload)), root.GetProperty("payload_sha256").GetString());
        Assert.Equal(letter.ReasonCode, root.GetProperty("reason_code").GetString());
    }

    [Fact]
    public void a_dead_letter_within_the_limits_has_no_truncation_fields()
    {
        using var d = Driver();
        d.Pipe(new byte[ClickstreamJson.DeadLetterPayloadLimit]);
        using var doc = JsonDocument.Parse(ClickstreamJson.Bytes(d.Output<DeadLetterRecord>("clickstream.dlq").Single(), ClickstreamJson.Write));
        Assert.Equal(ClickstreamJson.DeadLetterPayloadLimit, doc.RootElement.GetProperty("payload_base64").GetBytesFromBase64().Length);
        Assert.False(doc.RootElement.TryGetProperty("payload_truncated", out _));
    }

    [Fact]
    public void a_huge_key_and_a_huge_detail_are_cut_too()
    {
        var key = new byte[100_000];
        var letter = new DeadLetterRecord([1, 2, 3], key, "processing_failed", new string('x', 50_000), "t", 0, 9, 0);
        using var doc = JsonDocument.Parse(ClickstreamJson.Bytes(letter, ClickstreamJson.Write));
        var root = doc.RootElement;
        Assert.Equal(ClickstreamJson.DeadLetterKeyLimit, root.GetProperty("key_base64").GetBytesFromBase64().Length);
        Assert.True(root.GetProperty("key_truncated").GetBoolean());
        Assert.False(root.GetProperty("payload_truncated").GetBoolean());
        Assert.Equal(100_000, root.GetProperty("key_length").GetInt32());
        Assert.Equal(ClickstreamJson.DeadLetterDetailLimit + 1, root.GetProperty("detail").GetString()!.Length);
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
