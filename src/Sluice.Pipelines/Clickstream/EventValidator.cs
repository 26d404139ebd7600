using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Business rules a decoded event must satisfy; the first broken rule wins, in a fixed order, so the reason is stable.</summary>
/// <remarks>
/// Order: timestamp; the price and quantity values themselves (negative or too high price, purchase without price or
/// with a missing, zero or negative quantity); then what the event type allows (no price on page_view/search, a user
/// for cart, wishlist and purchase); then the country. A value that is wrong in itself is reported before a value
/// that is only out of place, so a negative price on a page view reads negative_price.
/// </remarks>
public sealed class EventValidator(long maxPriceCents, TimeSpan maxFutureSkew)
{
    private readonly long _maxFutureSkewMs = (long)maxFutureSkew.TotalMilliseconds;

    public long MaxPriceCents { get; } = maxPriceCents;

    /// <summary>Null when the event is valid; otherwise the reason code, with <paramref name="detail"/> saying what is wrong.</summary>
    public string? Validate(ClickEvent e, long nowMs, out string detail)
    {
        ArgumentNullException.ThrowIfNull(e);
        detail = "";
        if (e.Timestamp <= 0)
        {
            detail = $"timestamp {e.Timestamp} must be positive epoch milliseconds";
            return ReasonCodes.TimestampNotPositive;
        }
        if (e.Timestamp - _maxFutureSkewMs > nowMs)
        {
            detail = $"timestamp {e.Timestamp} is {e.Timestamp - nowMs} ms ahead of processing time {nowMs}; at most {_maxFutureSkewMs} ms allowed";
            return ReasonCodes.TimestampInFuture;
        }
        if (e.PriceCents is { } price)
        {
            if (price < 0)
            {
                detail = $"price_cents {price} is negative";
                return ReasonCodes.NegativePrice;
            }
            if (price > MaxPriceCents)
            {
                detail = $"price_cents {price} is above the maximum {MaxPriceCents}";
                return ReasonCodes.PriceAboveMaximum;
            }
        }
        if (e.EventType == EventType.Purchase)
        {
            if (e.PriceCents is null)
            {
                detail = "purchase without price_cents";
                return ReasonCodes.MissingPrice;
            }
            switch (e.Quantity)
            {
                case null:
                    detail = "purchase without quantity";
                    return ReasonCodes.MissingQuantity;
                case 0:
                    detail = "purchase quantity is 0; it must be at least 1";
                    return ReasonCodes.ZeroQuantity;
                case < 0:
                    detail = $"purchase quantity {e.Quantity} is negative; it must be at least 1";
                    return ReasonCodes.NegativeQuantity;
            }
        }
        // A product page view may show the product's price, as real trackers send it; a search, or a page view of no
        // product, has no price to show.
        if (e.PriceCents is { } unexpected && (e.EventType == EventType.Search || (e.EventType == EventType.PageView && string.IsNullOrWhiteSpace(e.ProductId))))
        {
            detail = e.EventType == EventType.Search
                ? $"search must not carry a price (price_cents {unexpected})"
                : $"page_view of no product must not carry a price (price_cents {unexpected}); a product page view may";
            return ReasonCodes.UnexpectedPrice;
        }
        if (e.EventType.RequiresUser() && string.IsNullOrWhiteSpace(e.UserId))
        {
            detail = $"{e.EventType.ToWireName()} needs a logged-in user but user_id is null";
            return ReasonCodes.UserRequired;
        }
        if (e.GeoCountry is { } country && !IsCountryCodeOrBlank(country))
        {
            detail = $"geo_country '{(country.Length > 16 ? country[..16] + "…" : country)}' is not a two-letter ISO 3166-1 code";
            return ReasonCodes.InvalidCountryCode;
        }
        return null;
    }

    /// <summary>Two ASCII letters after trimming, or blank (blank normalises to UNKNOWN).</summary>
    internal static bool IsCountryCodeOrBlank(string country)
    {
        var s = country.AsSpan().Trim();
        return s.Length == 0 || (s.Length == 2 && char.IsAsciiLetter(s[0]) && char.IsAsciiLetter(s[1]));
    }
}
