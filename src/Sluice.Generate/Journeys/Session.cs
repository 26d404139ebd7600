using Sluice.Generate.Model;

namespace Sluice.Generate.Journeys;

/// <summary>One line of a shopper's cart.</summary>
internal readonly record struct CartLine(Product Product, int Quantity);

/// <summary>A slot of concurrent traffic: the session running in it, or the wait before the next one starts.</summary>
internal sealed class Session
{
    public bool Active;
    public UserProfile User = null!;
    public string SessionId = "";
    public byte[] SessionIdJson = [];
    public JourneyState State;
    public Product? Product;
    public Category? Category;
    public string? LastPageUrl;
    public byte[] LastPageUrlJson = [];
    public string? CampaignId;
    public byte[]? CampaignIdJson;
    public readonly List<CartLine> Cart = new(4);
    /// <summary>Index of the next purchase line to emit, or -1 when not purchasing.</summary>
    public int PurchaseLine = -1;
    public bool HadCart;
    public bool Purchased;
}

/// <summary>Counts over finished sessions, from which conversion and cart abandonment follow.</summary>
public sealed record JourneyStats(long SessionsStarted, long SessionsEnded, long EndedWithCart, long Converted, long AbandonedCarts)
{
    /// <summary>Ended sessions with at least one purchase, over ended sessions.</summary>
    public double ConversionRate => SessionsEnded == 0 ? 0 : (double)Converted / SessionsEnded;

    /// <summary>Ended sessions that left items in the cart, over ended sessions that added to the cart.</summary>
    public double CartAbandonmentRate => EndedWithCart == 0 ? 0 : (double)AbandonedCarts / EndedWithCart;
}
