namespace Sluice.Core.Errors;

/// <summary>Stable reason codes carried by dead-letter records. Never renamed once published.</summary>
/// <remarks>
/// The codes Sluice itself gives: decoding failures first, then those of the built-in e-commerce domain's rules
/// (config/domains/ecommerce.yaml, which is where a rule's code is set). The generator labels its faults with these.
/// </remarks>
public static class ReasonCodes
{
    /// <summary>The payload is not a JSON object (not UTF-8, not JSON, or truncated).</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>One or more required fields are absent or null; the detail lists them, sorted.</summary>
    public const string MissingRequiredFields = "missing_required_fields";
    /// <summary>A field has the wrong JSON type (a string where a number belongs, say).</summary>
    public const string InvalidFieldType = "invalid_field_type";
    /// <summary><c>event_type</c> is not one of the known event types.</summary>
    public const string UnknownEventType = "unknown_event_type";
    /// <summary>A field is longer than the configured maximum.</summary>
    public const string FieldTooLong = "field_too_long";
    /// <summary><c>event_id</c> is the empty string.</summary>
    public const string EmptyEventId = "empty_event_id";
    /// <summary><c>event_id</c> is longer than <see cref="Events.EventId.MaxLength"/> characters.</summary>
    public const string EventIdTooLong = "event_id_too_long";

    /// <summary>timestamp is zero or negative.</summary>
    public const string TimestampNotPositive = "timestamp_not_positive";
    /// <summary>timestamp is further ahead of processing time than the configured skew.</summary>
    public const string TimestampInFuture = "timestamp_in_future";
    /// <summary>timestamp is further before the record's Kafka timestamp than the configured maximum age.</summary>
    public const string TimestampTooOld = "timestamp_too_old";
    /// <summary>price_cents below zero.</summary>
    public const string NegativePrice = "negative_price";
    /// <summary>price_cents above the configured maximum.</summary>
    public const string PriceAboveMaximum = "price_above_maximum";
    /// <summary>purchase without price_cents.</summary>
    public const string MissingPrice = "missing_price";
    /// <summary>purchase without quantity.</summary>
    public const string MissingQuantity = "missing_quantity";
    /// <summary>purchase with quantity 0.</summary>
    public const string ZeroQuantity = "zero_quantity";
    /// <summary>purchase with a negative quantity.</summary>
    public const string NegativeQuantity = "negative_quantity";
    /// <summary>page_view or search carrying a price.</summary>
    public const string UnexpectedPrice = "unexpected_price";
    /// <summary>add_to_cart, remove_from_cart, wishlist or purchase without a logged-in user (user_id null or blank).</summary>
    public const string UserRequired = "user_required";
    /// <summary>geo_country present but not two ASCII letters after trimming.</summary>
    public const string InvalidCountryCode = "invalid_country_code";

    /// <summary>Every decoding code, sorted.</summary>
    public static IReadOnlyList<string> Decoding { get; } =
        [EmptyEventId, EventIdTooLong, FieldTooLong, InvalidFieldType, InvalidJson, MissingRequiredFields, UnknownEventType];

    /// <summary>Every validation (business rule) code, sorted.</summary>
    public static IReadOnlyList<string> Validation { get; } =
    [
        InvalidCountryCode, MissingPrice, MissingQuantity, NegativePrice, NegativeQuantity, PriceAboveMaximum,
        TimestampInFuture, TimestampNotPositive, TimestampTooOld, UnexpectedPrice, UserRequired, ZeroQuantity,
    ];
}
