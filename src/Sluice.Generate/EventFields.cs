using System.Runtime.CompilerServices;
using Sluice.Core.Events;
using Sluice.Generate.Model;

namespace Sluice.Generate;

/// <summary>The fields of one click event as the generator builds them, in an object it reuses.</summary>
/// <remarks>
/// Mirrors <see cref="ClickEvent"/>. The generator fills drafts from a fixed set (the duplicate ring plus spares for
/// held-back events), writes the JSON from them, and makes a <see cref="ClickEvent"/> only for consumers that read
/// <see cref="GeneratedRecord.Event"/> (<see cref="ClickstreamGenerator.MaterializeEvents"/>): no object of about
/// 184 bytes per event. A draft is refilled in place, so a value struct (copied into the ring) was tried and was slower.
/// </remarks>
internal sealed class EventFields
{
    public EventId EventId;
    public EventType EventType;
    public long Timestamp;
    public string? UserId;
    public string SessionId = "";
    public string? ProductId;
    public string? ProductCategory;
    public long? PriceCents;
    public int? Quantity;
    public string? SearchQuery;
    public string? PageUrl;
    public string? Referrer;
    public string? UserAgent;
    public string? IpAddress;
    public string? GeoCountry;
    public string? GeoCity;
    public string? UserSegment;
    public string? DeviceType;
    public string? Browser;
    public string? CampaignId;
    public int SchemaVersion;

    // The encoded values (ClickJsonWriter.Encode) of the fields above where the generator has them cached with their
    // source (user, session, product, page): the writer copies these instead of encoding the strings again.
    // Null means "encode the string"; a set value always encodes the string field beside it.
    public byte[]? UserIdJson;
    public byte[]? SessionIdJson;
    public byte[]? ProductIdJson;
    public byte[]? ProductCategoryJson;
    public byte[]? SearchQueryJson;
    public byte[]? PageUrlJson;
    public byte[]? ReferrerJson;
    public byte[]? CampaignIdJson;
    /// <summary>Encodes the seven fields user_agent … browser at once (<see cref="ClickJsonWriter.VisitorBlock"/>).</summary>
    public byte[]? VisitorJson;

    /// <summary>
    /// The visitor and profile version the seven fields user_agent … browser come from, set instead of those fields for
    /// a shopper's event (always with <see cref="VisitorJson"/>): five fewer references stored per event. Both are
    /// immutable as far as these values go, so an event emitted later (held back, duplicated) reads the same values.
    /// </summary>
    public UserProfile? Visitor;
    public ProfileVersion? VisitorProfile;

    /// <summary>The Kafka key: the user, or the session for anonymous visitors.</summary>
    public string PartitionKey => UserId ?? SessionId;

    public static EventFields From(ClickEvent e) => new()
    {
        EventId = e.EventId,
        EventType = e.EventType,
        Timestamp = e.Timestamp,
        UserId = e.UserId,
        SessionId = e.SessionId,
        ProductId = e.ProductId,
        ProductCategory = e.ProductCategory,
        PriceCents = e.PriceCents,
        Quantity = e.Quantity,
        SearchQuery = e.SearchQuery,
        PageUrl = e.PageUrl,
        Referrer = e.Referrer,
        UserAgent = e.UserAgent,
        IpAddress = e.IpAddress,
        GeoCountry = e.GeoCountry,
        GeoCity = e.GeoCity,
        UserSegment = e.UserSegment,
        DeviceType = e.DeviceType,
        Browser = e.Browser,
        CampaignId = e.CampaignId,
        SchemaVersion = e.SchemaVersion,
    };

    /// <summary>Clears every field, so a refill cannot keep a value of the event before.</summary>
[MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public EventFields Clear()
    {
        EventId = default;
        EventType = default;
        Timestamp = default;
        UserId = null;
        SessionId = "";
        ProductId = null;
        ProductCategory = null;
        PriceCents = null;
        Quantity = null;
        SearchQuery = null;
        PageUrl = null;
        Referrer = null;
        UserAgent = null;
        IpAddress = null;
        GeoCountry = null;
        GeoCity = null;
        UserSegment = null;
        DeviceType = null;
        Browser = null;
        CampaignId = null;
        SchemaVersion = ClickEvent.CurrentSchemaVersion;
        UserIdJson = null;
        SessionIdJson = null;
        ProductIdJson = null;
        ProductCategoryJson = null;
        SearchQueryJson = null;
        PageUrlJson = null;
        ReferrerJson = null;
        CampaignIdJson = null;
        VisitorJson = null;
        Visitor = null;
        VisitorProfile = null;
        return this;
    }

    /// <summary>user_segment: the profile's segment for customers, none for anonymous visitors.</summary>
    public static string? SegmentOf(UserProfile visitor, ProfileVersion profile) => visitor.IsLoggedIn ? profile.SegmentName : null;

    public ClickEvent ToEvent() => new()
    {
        EventId = EventId,
        EventType = EventType,
        Timestamp = Timestamp,
        UserId = UserId,
        SessionId = SessionId,
        ProductId = ProductId,
        ProductCategory = ProductCategory,
        PriceCents = PriceCents,
        Quantity = Quantity,
        SearchQuery = SearchQuery,
        PageUrl = PageUrl,
        Referrer = Referrer,
        UserAgent = Visitor?.UserAgent ?? UserAgent,
        IpAddress = Visitor?.IpAddress ?? IpAddress,
        GeoCountry = VisitorProfile?.Country.Code ?? GeoCountry,
        GeoCity = VisitorProfile?.City ?? GeoCity,
        UserSegment = Visitor is null ? UserSegment : SegmentOf(Visitor, VisitorProfile!),
        DeviceType = Visitor?.DeviceName ?? DeviceType,
        Browser = Visitor?.Browser ?? Browser,
        CampaignId = CampaignId,
        SchemaVersion = SchemaVersion,
    };
}
