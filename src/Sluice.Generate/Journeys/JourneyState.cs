using System.Runtime.CompilerServices;
using Sluice.Core.Events;

namespace Sluice.Generate.Journeys;

/// <summary>Where a shopper is in a session. The YAML names are the snake_case forms in <see cref="JourneyStates"/>.</summary>
public enum JourneyState : byte
{
    Landing,
    Browse,
    Search,
    ProductView,
    AddToCart,
    RemoveFromCart,
    Wishlist,
    Checkout,
    Purchase,
    Exit,
}

/// <summary>Names of <see cref="JourneyState"/> and the event each state emits.</summary>
public static class JourneyStates
{
    public const int Count = (int)JourneyState.Exit + 1;

    private static readonly string[] Names =
        ["landing", "browse", "search", "product_view", "add_to_cart", "remove_from_cart", "wishlist", "checkout", "purchase", "exit"];

    public static string ToName(this JourneyState state) => Names[(int)state];

    public static bool TryParse(string? name, out JourneyState state)
    {
        var index = Array.IndexOf(Names, name);
        state = (JourneyState)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>All state names, for error messages.</summary>
    public static string NameList => string.Join(", ", Names);

    /// <summary>The event type a state emits; <see cref="JourneyState.Exit"/> emits nothing.</summary>
[MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EventType EventOf(this JourneyState state) => state switch
    {
        JourneyState.Search => EventType.Search,
        JourneyState.AddToCart => EventType.AddToCart,
        JourneyState.RemoveFromCart => EventType.RemoveFromCart,
        JourneyState.Wishlist => EventType.Wishlist,
        JourneyState.Purchase => EventType.Purchase,
        _ => EventType.PageView,
    };

    /// <summary>True for the states only a logged-in customer may enter.</summary>
    public static bool RequiresLogin(this JourneyState state) =>
        state is JourneyState.AddToCart or JourneyState.RemoveFromCart or JourneyState.Wishlist
            or JourneyState.Checkout or JourneyState.Purchase;
}
