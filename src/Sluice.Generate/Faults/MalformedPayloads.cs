using System.Buffers;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Generate.Model;
using Sluice.Generate.Randomness;

namespace Sluice.Generate.Faults;

/// <summary>Writes the malformed variants of an event. A cold path (about 1 % of records): clarity over speed.</summary>
internal static class MalformedPayloads
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };
    private static readonly string[] RequiredFields = ["event_id", "event_type", "timestamp", "session_id"];
    private static readonly string[] UnknownTypes = ["checkout_started", "click", "PageView", ""];
    private static readonly byte[][] NotJson =
    [
        "<html><body><h1>503 Service Unavailable</h1></body></html>"u8.ToArray(),
        "event_type=page_view&session_id=s-1&timestamp=1767225600000"u8.ToArray(),
        [0x00, 0xFF, 0xFE, 0x1F, 0x8B, 0x08, 0x00, 0x9C, 0xC3, 0x28],
    ];

    /// <summary>
    /// Writes <paramref name="kind"/> applied to <paramref name="e"/>. Returns the event the payload still
    /// represents (semantic faults), or null when the payload is not an event (structural faults).
    /// </summary>
    public static ClickEvent? Write(FaultKind kind, ClickEvent e, Catalog catalog, Prng rng, IBufferWriter<byte> output)
    {
        switch (kind)
        {
            case FaultKind.MissingFields:
                WriteVariant(e, output, skip: RequiredFields[rng.NextInt(RequiredFields.Length)], eventType: null, timestampAsString: false);
                return null;
            case FaultKind.UnknownEventType:
                WriteVariant(e, output, skip: null, eventType: UnknownTypes[rng.NextInt(UnknownTypes.Length)], timestampAsString: false);
                return null;
            case FaultKind.WrongTypes:
                WriteVariant(e, output, skip: null, eventType: null, timestampAsString: true);
                return null;
            case FaultKind.NotJson:
                var choice = rng.NextInt(NotJson.Length + 1);
                if (choice < NotJson.Length)
                {
                    output.Write(NotJson[choice]);
                }
                else
                {
                    // A valid event cut in half: what a torn write looks like.
                    var whole = ClickEventJson.ToBytes(e);
                    output.Write(whole.AsSpan(0, whole.Length / 2));
                }
                return null;
            case FaultKind.NegativePrice:
                var priced = WithProduct(e, catalog, rng);
                var negative = priced with { PriceCents = -Math.Max(1, priced.PriceCents ?? 1) };
                ClickEventJson.Write(negative, output);
                return negative;
            case FaultKind.ZeroQuantity:
                var product = WithProduct(e, catalog, rng);
                var zero = product with { EventType = EventType.Purchase, Quantity = 0 };
                ClickEventJson.Write(zero, output);
                return zero;
            case FaultKind.Oversized:
                var oversized = e with { UserAgent = new string('A', ClickEventJson.MaxStringLength + 1 + rng.NextInt(4096)) };
                ClickEventJson.Write(oversized, output);
                return oversized;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a malformed kind");
        }
    }

    private static ClickEvent WithProduct(ClickEvent e, Catalog catalog, Prng rng)
    {
        if (e.ProductId is not null && e.PriceCents is not null) return e;
        // A product page view names its product but carries no price: price that product, drawing nothing,
        // so the fault stream stays the same whether views are priced or not.
        var p = e.ProductId is ['p', '-', ..] id && int.TryParse(id.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture, out var n)
                && n >= 1 && n <= catalog.Count && catalog[n - 1].Id == id
            ? catalog[n - 1]
            : catalog.PickProduct(rng);
        return e with { ProductId = p.Id, ProductCategory = p.Category.Name, PriceCents = p.PriceCents, Quantity = e.Quantity ?? 1 };
    }

    private static void WriteVariant(ClickEvent e, IBufferWriter<byte> output, string? skip, string? eventType, bool timestampAsString)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        if (skip != "event_id") w.WriteString("event_id", e.EventId.ToString());
        if (skip != "event_type") w.WriteString("event_type", eventType ?? e.EventType.ToWireName());
        if (skip != "timestamp")
        {
            if (timestampAsString) w.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            else w.WriteNumber("timestamp", e.Timestamp);
        }
        Nullable(w, "user_id", e.UserId);
        if (skip != "session_id") w.WriteString("session_id", e.SessionId);
        Nullable(w, "product_id", e.ProductId);
        Nullable(w, "product_category", e.ProductCategory);
        if (e.PriceCents is { } price) w.WriteNumber("price_cents", price); else w.WriteNull("price_cents");
        if (e.Quantity is { } qty) w.WriteNumber("quantity", qty); else w.WriteNull("quantity");
        Nullable(w, "search_query", e.SearchQuery);
        Nullable(w, "page_url", e.PageUrl);
        Nullable(w, "referrer", e.Referrer);
        Nullable(w, "user_agent", e.UserAgent);
        Nullable(w, "ip_address", e.IpAddress);
        Nullable(w, "geo_country", e.GeoCountry);
        Nullable(w, "geo_city", e.GeoCity);
        Nullable(w, "user_segment", e.UserSegment);
        Nullable(w, "device_type", e.DeviceType);
        Nullable(w, "browser", e.Browser);
        Nullable(w, "campaign_id", e.CampaignId);
        w.WriteNumber("schema_version", e.SchemaVersion);
        w.WriteEndObject();
    }

    private static void Nullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
