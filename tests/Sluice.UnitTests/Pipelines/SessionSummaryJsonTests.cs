using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Pipelines.Clickstream;

namespace Sluice.UnitTests.Pipelines;

/// <summary>A closed session's hand-written JSON against the same fields written by <see cref="Utf8JsonWriter"/>: byte for byte.</summary>
public class SessionSummaryJsonTests
{
    [Fact]
    public void sessions_with_hostile_strings_nulls_and_extreme_numbers_are_written_exactly_as_utf8jsonwriter_writes_them()
    {
        var random = new Random(5);
        var hostile = JsonOutputFixture.Hostile;
        string? Pick(bool nullable) => nullable && random.Next(4) == 0 ? null : hostile[random.Next(hostile.Length)];
        long Long() => random.Next(4) switch { 0 => long.MinValue, 1 => long.MaxValue, _ => random.NextInt64(-1_000_000, 1_000_000) };
        int Int() => random.Next(3) == 0 ? int.MaxValue : random.Next(int.MinValue, int.MaxValue);
        for (var i = 0; i < 500; i++)
        {
            var s = new SessionSummary(
                Pick(false)!, Pick(true), Pick(false)!, Int(), Long(), Long(), Long(), Int(), Int(), Int(), Int(), Long(),
                random.Next(2) == 0, random.Next(2) == 0, Pick(true), Pick(true));
            var expected = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(expected, JsonOutputFixture.Options)) Reference(w, s);
            var actual = new JsonOutputFixture.StingyBufferWriter();
            ClickstreamJson.Write(s, actual);
            Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.Written));
        }
    }

    [Fact]
    public void a_session_inside_a_json_writer_is_the_same_object()
    {
        var s = new SessionSummary("u-1", "u-1", "s-1", 2, 1_000, 61_000, 60_000, 4, 2, 1, 1, 1999, true, false, "/", "/checkout");
        var json = ClickstreamJson.Bytes(s, ClickstreamJson.Write);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(16, doc.RootElement.EnumerateObject().Count());
        Assert.Equal("/checkout", doc.RootElement.GetProperty("exit_page").GetString());
        Assert.True(doc.RootElement.GetProperty("converted").GetBoolean());
    }

    // The independent implementation: every field through Utf8JsonWriter, in the documented order.
    private static void Reference(Utf8JsonWriter w, SessionSummary s)
    {
        w.WriteStartObject();
        w.WriteString("key", s.Key);
        Str("user_id", s.UserId);
        w.WriteString("session_id", s.SessionId);
        w.WriteNumber("partition", s.Partition);
        w.WriteNumber("session_start", s.Start);
        w.WriteNumber("session_end", s.End);
        w.WriteNumber("duration_ms", s.DurationMs);
        w.WriteNumber("events", s.Events);
        w.WriteNumber("page_views", s.PageViews);
        w.WriteNumber("cart_adds", s.CartAdds);
        w.WriteNumber("purchases", s.Purchases);
        w.WriteNumber("revenue_cents", s.RevenueCents);
        w.WriteBoolean("converted", s.Converted);
        w.WriteBoolean("abandoned_cart", s.AbandonedCart);
        Str("landing_page", s.LandingPage);
        Str("exit_page", s.ExitPage);
        w.WriteEndObject();

        void Str(string name, string? value)
        {
            if (value is null) w.WriteNull(name); else w.WriteString(name, value);
        }
    }
}
