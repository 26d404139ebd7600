namespace Sluice.Core.Events;

/// <summary>What a shopper did. The wire names are the snake_case strings in <see cref="EventTypes"/>.</summary>
public enum EventType : byte
{
    PageView,
    Search,
    AddToCart,
    RemoveFromCart,
    Wishlist,
    Purchase,
}

/// <summary>Wire names of <see cref="EventType"/> and the conversions between them.</summary>
public static class EventTypes
{
    /// <summary>Every event type in declaration order.</summary>
    public static readonly IReadOnlyList<EventType> All = Enum.GetValues<EventType>();

    private static readonly string[] Names =
        ["page_view", "search", "add_to_cart", "remove_from_cart", "wishlist", "purchase"];

    private static readonly byte[][] Utf8Names = Names.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    /// <summary>The wire name, for example <c>add_to_cart</c>.</summary>
    public static string ToWireName(this EventType type) => Names[(int)type];

    /// <summary>Parses a wire name; false for anything else (case matters on the wire).</summary>
    public static bool TryParse(string? name, out EventType type)
    {
        var index = Array.IndexOf(Names, name);
        type = (EventType)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Parses UTF-8 wire-name bytes without allocating a string.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Name, out EventType type)
    {
        for (var i = 0; i < Utf8Names.Length; i++)
        {
            if (utf8Name.SequenceEqual(Utf8Names[i]))
            {
                type = (EventType)i;
                return true;
            }
        }
        type = default;
        return false;
    }

    /// <summary>True for the event types that need a logged-in user (cart, wishlist, purchase).</summary>
    public static bool RequiresUser(this EventType type) =>
        type is EventType.AddToCart or EventType.RemoveFromCart or EventType.Wishlist or EventType.Purchase;
}
