using Sluice.Core.Events;

namespace Sluice.UnitTests.Schemas;

internal static class SampleEvents
{
    public static ClickEvent Purchase() => new()
    {
        EventId = Guid.Parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
        EventType = EventType.Purchase,
        Timestamp = 1_763_700_000_000,
        UserId = "u-42",
        SessionId = "s-9",
        ProductId = "p-7",
        ProductCategory = "books",
        PriceCents = 1999,
        Quantity = 2,
        PageUrl = "https://shop.example/p/7",
        UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
        IpAddress = "10.1.2.0",
        GeoCountry = "DE",
        GeoCity = "Köln",
        UserSegment = "returning",
        DeviceType = "mobile",
        Browser = "firefox",
    };

    public static ClickEvent AnonymousSearch() => new()
    {
        EventId = Guid.Parse("0b6f0f56-0a5e-4d43-a1e1-7d0c3c5d9e11"),
        EventType = EventType.Search,
        Timestamp = 1_763_700_000_500,
        SessionId = "s-anon",
        SearchQuery = "lego 日本",
        Referrer = "https://search.example/?q=lego",
        CampaignId = "spring",
    };
}
