using System.Buffers;
using Sluice.Core.Events;
using Sluice.Generate;

namespace Sluice.UnitTests.Generate;

public class ClickJsonWriterTests
{
    private static byte[] Fast(ClickEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        ClickJsonWriter.Write(e, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void generated_stream_is_byte_identical_to_the_core_codec()
    {
        var generator = new ClickstreamGenerator(new GeneratorSettings { Users = 2_000, Products = 500, MaxEvents = 50_000, BotRate = 0.05 });
        var compared = 0;
        foreach (var r in generator)
        {
            if (r.Event is null) continue;
            var expected = ClickEventJson.ToBytes(r.Event);
            // The payload as sent (cached visitor blocks included) and the writer on its own.
            Assert.Equal(expected, r.Payload.ToArray());
            Assert.Equal(expected, Fast(r.Event));
            compared++;
        }
        Assert.True(compared > 45_000);
    }

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("quote \" backslash \\ slash /")]
    [InlineData("html <b>&amp;</b> 'single' +plus `tick`")]
    [InlineData("control \u0001\t\n\r\u001f del \u007f")]
    [InlineData("München São Paulo Kraków")]
    [InlineData("emoji 😀 and CJK 東京")]
    [InlineData("lone surrogate \ud800 end")]
    [InlineData("")]
    public void escaping_matches_the_core_codec(string text)
    {
        var e = new ClickEvent
        {
            EventId = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            EventType = EventType.Search,
            Timestamp = -5,
            SessionId = text,
            SearchQuery = text,
            UserAgent = text + new string('x', 5000),
            PriceCents = long.MinValue,
            Quantity = int.MaxValue,
            CampaignId = text,
        };
        Assert.Equal(ClickEventJson.ToBytes(e), Fast(e));
    }

    [Theory]
    [InlineData("e1")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("quote \" backslash \\ <b>")]
    [InlineData("control \u0001\t del \u007f")]
    [InlineData("emoji 😀 and CJK 東京")]
    [InlineData("3F2504E0-4F89-41D3-9A0C-0305E82C3301")]
    public void ids_of_any_form_match_the_core_codec(string id)
    {
        var e = new ClickEvent { EventId = EventId.Parse(id), EventType = EventType.PageView, Timestamp = 1, SessionId = "s-1" };
        Assert.Equal(ClickEventJson.ToBytes(e), Fast(e));
        var longest = e with { EventId = EventId.Parse(new string('\u2028', EventId.MaxLength)) };
        Assert.Equal(ClickEventJson.ToBytes(longest), Fast(longest));
    }

    [Theory]
    [InlineData(0L, "00000000-0000-0000-0000-000000000000")]
    [InlineData(9L, "ffffffff-ffff-ffff-ffff-ffffffffffff")]
    [InlineData(10L, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData(-1L, "01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData(1_767_225_600_000L, "fedcba98-7654-3210-fedc-ba9876543210")]
    [InlineData(99L, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData(100L, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData(999_999_999_999_999_999L, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData(1_000_000_000_000_000_000L, "0f8fad5b-d9cb-469f-a165-70867728950e")]
    [InlineData(long.MaxValue, "00000001-0000-0000-0000-000000000080")]
    [InlineData(long.MinValue, "80000000-0000-0000-0000-000000000001")]
    public void numbers_and_ids_match_the_core_codec(long number, string id)
    {
        var e = new ClickEvent
        {
            EventId = Guid.Parse(id),
            EventType = EventType.Purchase,
            Timestamp = number,
            SessionId = "s-1",
            PriceCents = number,
            Quantity = (int)(number % int.MaxValue),
            SchemaVersion = (int)(number & 0xFFFF),
        };
        Assert.Equal(ClickEventJson.ToBytes(e), Fast(e));
    }
}
