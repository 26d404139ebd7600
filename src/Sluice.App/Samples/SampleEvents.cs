using Sluice.Core.Events;

namespace Sluice.App.Samples;

/// <summary>Deterministic synthetic clickstream payloads for tests and the engine benchmark (not the traffic generator).</summary>
/// <remarks>
/// Users browse in sessions, some add to cart and buy; about 2% of events come from bots, 1% are invalid and
/// 0.5% are duplicates, and event times run forward with a little disorder. Same seed, same bytes.
/// </remarks>
public static class SampleEvents
{
    private static readonly string[] Countries = ["DE", "us", " fr", "GB", "NL", "", "PL", "ES", "IT", "SE"];
    private static readonly string[] Agents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; Cubot KingKong 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    ];
    private static readonly string[] Bots = ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "curl/8.4.0", "python-httpx/0.27.0"];
    private static readonly string[] Devices = ["desktop", "mobile", "tablet"];
    private static readonly string[] Queries = ["Red Shoes ", "laptop", " USB-C cable", "coffee"];

    /// <summary><paramref name="count"/> JSON payloads starting at <paramref name="startMs"/>, about 200 events per second of event time.</summary>
    public static List<byte[]> Generate(int count, int seed = 42, long startMs = 1_767_218_400_000, int users = 5000)
    {
        var random = new Random(seed);
        var list = new List<byte[]>(count);
        var sessions = new Dictionary<int, (string Session, int Step)>();
        var now = startMs;
        ClickEvent? previous = null;
        for (var i = 0; i < count; i++)
        {
            now += random.Next(0, 10);
            if (previous is not null && random.NextDouble() < 0.005)
            {
                list.Add(ClickEventJson.ToBytes(previous)); // a duplicate delivery
                continue;
            }
            var user = random.Next(users);
            if (!sessions.TryGetValue(user, out var s) || random.NextDouble() < 0.02) s = ($"s-{user}-{i}", 0);
            sessions[user] = (s.Session, s.Step + 1);
            var loggedIn = user % 5 != 0;
            var type = PickType(random, loggedIn);
            var product = type == EventType.Search ? null : $"p{random.Next(500)}";
            var price = type is EventType.PageView or EventType.Search ? (long?)null : 100 + random.Next(50_000);
            var e = new ClickEvent
            {
                EventId = new Guid(random.Next(), (short)random.Next(), (short)random.Next(), (byte)random.Next(), (byte)random.Next(), (byte)random.Next(),
                    (byte)random.Next(), (byte)random.Next(), (byte)random.Next(), (byte)random.Next(), (byte)random.Next()),
                EventType = type,
                Timestamp = now - random.Next(0, 3000),
                UserId = loggedIn ? $"u{user}" : null,
                SessionId = s.Session,
                ProductId = product,
                ProductCategory = product is null ? null : $"cat{product.GetHashCode(StringComparison.Ordinal) & 15}",
                PriceCents = price,
                Quantity = type == EventType.Purchase ? 1 + random.Next(3) : null,
                SearchQuery = type == EventType.Search ? Queries[random.Next(Queries.Length)] : null,
                PageUrl = $"/page/{random.Next(50)}",
                Referrer = s.Step == 0 ? "https://www.google.com/" : null,
                UserAgent = random.NextDouble() < 0.02 ? Bots[random.Next(Bots.Length)] : Agents[user % Agents.Length],
                IpAddress = $"10.{user % 256}.{user / 256 % 256}.0",
                GeoCountry = Countries[user % Countries.Length],
                GeoCity = "City" + (user % 40),
                UserSegment = user % 3 == 0 ? "returning" : "new",
                DeviceType = Devices[user % Devices.Length],
                Browser = "Chrome",
                CampaignId = user % 7 == 0 ? "spring" : null,
            };
            if (random.NextDouble() < 0.01) e = e with { GeoCountry = "Germany" }; // invalid_country_code
            previous = e;
            list.Add(ClickEventJson.ToBytes(e));
        }
        return list;
    }

    private static EventType PickType(Random random, bool loggedIn)
    {
        var r = random.Next(100);
        if (!loggedIn) return r < 80 ? EventType.PageView : EventType.Search;
        return r switch
        {
            < 60 => EventType.PageView,
            < 75 => EventType.Search,
            < 87 => EventType.AddToCart,
            < 91 => EventType.RemoveFromCart,
            < 95 => EventType.Wishlist,
            _ => EventType.Purchase,
        };
    }
}
