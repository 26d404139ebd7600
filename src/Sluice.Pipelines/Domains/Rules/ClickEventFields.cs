using Sluice.Core.Events;

namespace Sluice.Pipelines.Domains.Rules;

/// <summary>The fields of <see cref="ClickEvent"/> (schema version 3) by wire name: what the e-commerce domain's rules may read.</summary>
public static class ClickEventFields
{
    /// <summary>Every field, in schema order.</summary>
    public static IReadOnlyList<RecordField<ClickEvent>> All { get; } =
    [
        RecordField<ClickEvent>.OfText("event_id", e => e.EventId.ToString()),
        RecordField<ClickEvent>.OfEnum("event_type", e => e.EventType.ToWireName(), [.. EventTypes.All.Select(t => t.ToWireName())]),
        RecordField<ClickEvent>.OfNumber("timestamp", e => e.Timestamp, FieldType.Timestamp),
        RecordField<ClickEvent>.OfText("user_id", e => e.UserId),
        RecordField<ClickEvent>.OfText("session_id", e => e.SessionId),
        RecordField<ClickEvent>.OfText("product_id", e => e.ProductId),
        RecordField<ClickEvent>.OfText("product_category", e => e.ProductCategory),
        RecordField<ClickEvent>.OfNumber("price_cents", e => e.PriceCents),
        RecordField<ClickEvent>.OfNumber("quantity", e => e.Quantity, FieldType.Int),
        RecordField<ClickEvent>.OfText("search_query", e => e.SearchQuery),
        RecordField<ClickEvent>.OfText("page_url", e => e.PageUrl),
        RecordField<ClickEvent>.OfText("referrer", e => e.Referrer),
        RecordField<ClickEvent>.OfText("user_agent", e => e.UserAgent),
        RecordField<ClickEvent>.OfText("ip_address", e => e.IpAddress),
        RecordField<ClickEvent>.OfText("geo_country", e => e.GeoCountry),
        RecordField<ClickEvent>.OfText("geo_city", e => e.GeoCity),
        RecordField<ClickEvent>.OfText("user_segment", e => e.UserSegment),
        RecordField<ClickEvent>.OfText("device_type", e => e.DeviceType),
        RecordField<ClickEvent>.OfText("browser", e => e.Browser),
        RecordField<ClickEvent>.OfText("campaign_id", e => e.CampaignId),
        RecordField<ClickEvent>.OfNumber("schema_version", e => e.SchemaVersion, FieldType.Int),
    ];
}
