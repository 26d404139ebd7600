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
}
