using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Decodes a click payload that is either JSON v3 or a Confluent-framed Avro event, telling them apart by the first byte.</summary>
/// <remarks>
/// A payload whose first byte is the Confluent magic byte 0 is an Avro frame: JSON text never starts with a NUL.
/// It is read with <see cref="ClickEventAvroDeserializer"/> (any registered event schema, resolved to v3); a bad
/// frame or an unknown schema id fails with one of <see cref="AvroReasonCodes"/>. Decoded Avro events get the
/// same string limit as JSON (<see cref="ClickEventJson.MaxStringLength"/> characters, <c>field_too_long</c>), so
/// the format does not decide what reaches enrichment and state. Anything else is JSON. Without a schema source
/// every payload is JSON, as before. Decoding never throws for bad input; only an unreachable registry does
/// (transient), which the engine dead-letters as <c>processing_failed</c> with the registry's message.
/// </remarks>
public sealed class ClickEventDecoder
{
    /// <summary>Reads JSON only.</summary>
    public static readonly ClickEventDecoder JsonOnly = new(null);

    private readonly ClickEventAvroDeserializer? _avro;

    /// <summary>A decoder that also reads Avro frames when <paramref name="schemas"/> is given.</summary>
    public ClickEventDecoder(ISchemaSource? schemas) =>
        _avro = schemas is null ? null : new ClickEventAvroDeserializer(schemas);

    /// <summary>A decoder that also reports each Avro event's id key as soon as it is read, before the rest of the event
    /// (<see cref="ClickEventAvro.EventIdRead"/>): the topology prefetches the dedup slot with it.</summary>
    public ClickEventDecoder(ISchemaSource schemas, Action<Guid> eventIdRead) =>
        _avro = new ClickEventAvroDeserializer(schemas, eventIdRead: eventIdRead);

    /// <summary>True when Avro frames are read (a schema source was given).</summary>
    public bool ReadsAvro => _avro is not null;

    /// <summary>Decodes one payload; on failure <paramref name="error"/> carries the reason code and detail.</summary>
    public bool TryDecode(ReadOnlySpan<byte> payload, out ClickEvent? evt, out DecodeError error)
    {
        if (_avro is null || payload.IsEmpty || payload[0] != ConfluentWireFormat.MagicByte)
            return ClickEventJson.TryRead(payload, out evt, out error);
        if (!_avro.TryDeserialize(payload, out evt, out error)) return false;
        // A string has no more UTF-16 characters than UTF-8 bytes, so a frame no longer than the limit cannot hold
        // a string over it: the common case skips loading every string's length.
        if (payload.Length > ClickEventJson.MaxStringLength && TooLong(evt!) is { } field)
        {
            evt = null;
            error = new DecodeError(ReasonCodes.FieldTooLong, $"{field} is longer than {ClickEventJson.MaxStringLength} characters");
            return false;
        }
        return true;
    }

    // The first string field over the JSON limit, or null.
    private static string? TooLong(ClickEvent e)
    {
        const int max = ClickEventJson.MaxStringLength;
        if (e.UserAgent?.Length > max) return "user_agent";
        if (e.PageUrl?.Length > max) return "page_url";
        if (e.Referrer?.Length > max) return "referrer";
        if (e.SearchQuery?.Length > max) return "search_query";
        if (e.UserId?.Length > max) return "user_id";
        if (e.SessionId.Length > max) return "session_id";
        if (e.ProductId?.Length > max) return "product_id";
        if (e.ProductCategory?.Length > max) return "product_category";
        if (e.IpAddress?.Length > max) return "ip_address";
        if (e.GeoCountry?.Length > max) return "geo_country";
        if (e.GeoCity?.Length > max) return "geo_city";
        if (e.UserSegment?.Length > max) return "user_segment";
        if (e.DeviceType?.Length > max) return "device_type";
        if (e.Browser?.Length > max) return "browser";
        if (e.CampaignId?.Length > max) return "campaign_id";
        return null;
    }
}
