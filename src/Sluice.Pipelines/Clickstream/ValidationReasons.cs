using Sluice.Core.Errors;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Stable reason codes for events that decode but break a business rule. Never renamed once published.</summary>
/// <remarks>Decoding failures use <see cref="ReasonCodes"/> (invalid_json, missing_required_fields, invalid_field_type, unknown_event_type, field_too_long).</remarks>
public static class ValidationReasons
{
    /// <summary>timestamp is zero or negative.</summary>
    public const string TimestampNotPositive = "timestamp_not_positive";
    /// <summary>timestamp is further ahead of processing time than the configured skew.</summary>
    public const string TimestampInFuture = "timestamp_in_future";
    /// <summary>add_to_cart, remove_from_cart, wishlist or purchase without a logged-in user (user_id null or blank).</summary>
    public const string UserRequired = "user_required";
    /// <summary>page_view or search carrying a price.</summary>
    public const string UnexpectedPrice = "unexpected_price";
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
    /// <summary>geo_country present but not two ASCII letters after trimming.</summary>
    public const string InvalidCountryCode = "invalid_country_code";

    /// <summary>Every validation code, sorted.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        InvalidCountryCode, MissingPrice, MissingQuantity, NegativePrice, NegativeQuantity, PriceAboveMaximum,
        TimestampInFuture, TimestampNotPositive, UnexpectedPrice, UserRequired, ZeroQuantity,
    ];
}
