using Sluice.Core.Events;

namespace Sluice.Pipelines.Slice;

/// <summary>One record for the events topic: its key, payload, and whether it was made invalid on purpose.</summary>
public readonly record struct TrafficRecord(string Key, byte[] Payload, bool IsInvalid);

/// <summary>
/// A simple, deterministic source of click events for the first vertical slice: users browse, search,
/// add to cart and buy; a configurable share of records is malformed on purpose. Event time is simulated
/// (a fixed number of events per simulated second) so windows close quickly whatever the wall clock does.
/// </summary>
public sealed class SliceTraffic
{
    private static readonly EventType[] Mix =
    [
        EventType.PageView, EventType.PageView, EventType.PageView, EventType.PageView, EventType.PageView,
        EventType.Search, EventType.Search, EventType.AddToCart, EventType.Wishlist, EventType.RemoveFromCart,
        EventType.Purchase,
    ];

    private readonly Random _random;
    private readonly int _users;
    private readonly double _invalidRate;
    private readonly long _startMs;
    private readonly double _msPerEvent;
    private long _sequence;

    /// <param name="eventsPerSimulatedSecond">How fast event time advances relative to the record count.</param>
    public SliceTraffic(int seed, int users, double invalidRate, DateTimeOffset start, int eventsPerSimulatedSecond = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(eventsPerSimulatedSecond, 1);
        _random = new Random(seed);
        _users = users;
        _invalidRate = invalidRate;
        _startMs = start.ToUnixTimeMilliseconds();
        _msPerEvent = 1000.0 / eventsPerSimulatedSecond;
    }

    /// <summary>The next record.</summary>
    public TrafficRecord Next()
    {
        var n = _sequence++;
        var user = _random.Next(_users);
        var type = Mix[_random.Next(Mix.Length)];
        var buy = type is EventType.AddToCart or EventType.Purchase or EventType.RemoveFromCart or EventType.Wishlist;
        var evt = new ClickEvent
        {
            EventId = NextGuid(),
            EventType = type,
            Timestamp = _startMs + (long)(n * _msPerEvent),
            UserId = $"u{user:D6}",
            SessionId = $"s{user:D6}-{n / 50_000}",
            ProductId = buy || type == EventType.PageView ? $"p{_random.Next(500):D4}" : null,
            PriceCents = type == EventType.Purchase ? 100 + _random.Next(50_000) : null,
            Quantity = type == EventType.Purchase ? 1 + _random.Next(3) : null,
            SearchQuery = type == EventType.Search ? "shoes" : null,
            PageUrl = "/",
            GeoCountry = "DE",
        };
        var payload = ClickEventJson.ToBytes(evt);
        if (_random.NextDouble() < _invalidRate)
            return new TrafficRecord(evt.PartitionKey, Corrupt(payload, evt), IsInvalid: true);
        return new TrafficRecord(evt.PartitionKey, payload, IsInvalid: false);
    }

    private byte[] Corrupt(byte[] valid, ClickEvent evt) => _random.Next(3) switch
    {
        0 => ClickEventJson.ToBytes(evt with { }).AsSpan(0, valid.Length / 2).ToArray(), // truncated JSON
        1 => System.Text.Encoding.UTF8.GetBytes($"{{\"event_id\":\"{evt.EventId}\",\"event_type\":\"page_view\"}}"), // missing fields
        _ => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(valid).Replace($"\"{evt.EventType.ToWireName()}\"", "\"teleport\"", StringComparison.Ordinal)),
    };

    private Guid NextGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 layout
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }
}
