using System.Runtime.CompilerServices;
using Sluice.Generate.Randomness;

namespace Sluice.Generate.Model;

/// <summary>A product category with its price band in integer cents (no floating-point money).</summary>
public sealed record Category(string Name, long MinPriceCents, long MaxPriceCents, string[] SearchTerms)
{
    /// <summary>Listing page of the category, cached so events do not build strings.</summary>
    public string PageUrl { get; } = $"{Catalog.BaseUrl}/c/{Name}";

    // Encoded once for the event writer (ClickJsonWriter.Encode), as the strings are cached for the events. Arrays compare
    // by reference in record equality, as SearchTerms already does; catalog entries are never compared by value.
    internal byte[] NameJson { get; } = ClickJsonWriter.Encode(Name);
    internal byte[] PageUrlJson { get; } = ClickJsonWriter.Encode($"{Catalog.BaseUrl}/c/{Name}");
}

/// <summary>One product; its page URL is cached for the same reason.</summary>
public sealed record Product(string Id, Category Category, long PriceCents)
{
    public string PageUrl { get; } = $"{Catalog.BaseUrl}/p/{Id}";

    internal byte[] IdJson { get; } = ClickJsonWriter.Encode(Id);
    internal byte[] PageUrlJson { get; } = ClickJsonWriter.Encode($"{Catalog.BaseUrl}/p/{Id}");
}

/// <summary>The shop's products. Popularity is skewed: a few products get most views, as in real shops.</summary>
public sealed class Catalog
{
    public const string BaseUrl = "https://shop.example.com";
    public const string HomeUrl = BaseUrl + "/";
    public const string CartUrl = BaseUrl + "/cart";
    public const string CheckoutUrl = BaseUrl + "/checkout";
    public const string WishlistUrl = BaseUrl + "/wishlist";
    public const string OrderConfirmationUrl = BaseUrl + "/checkout/confirmation";

    internal static readonly byte[] HomeUrlJson = ClickJsonWriter.Encode(HomeUrl);
    internal static readonly byte[] CartUrlJson = ClickJsonWriter.Encode(CartUrl);
    internal static readonly byte[] CheckoutUrlJson = ClickJsonWriter.Encode(CheckoutUrl);
    internal static readonly byte[] OrderConfirmationUrlJson = ClickJsonWriter.Encode(OrderConfirmationUrl);

    public static readonly Category[] Categories =
    [
        new("electronics", 1_999, 249_999, ["headphones", "usb-c charger", "4k monitor", "mechanical keyboard"]),
        new("books", 499, 5_999, ["science fiction", "cookbook", "children's books", "biografía"]),
        new("fashion", 999, 29_999, ["running shoes", "winter jacket", "linen shirt", "sneakers"]),
        new("home", 799, 89_999, ["coffee maker", "desk lamp", "bed linen", "air purifier"]),
        new("beauty", 399, 14_999, ["sunscreen", "face serum", "shampoo"]),
        new("sports", 999, 149_999, ["yoga mat", "road bike", "dumbbells", "tent"]),
        new("toys", 599, 19_999, ["lego", "puzzle", "board game"]),
        new("grocery", 99, 4_999, ["espresso beans", "olive oil", "green tea"]),
    ];

    private readonly Product[] _products;
    private readonly (string Query, string Url, Category Category)[] _searches;
    private readonly (byte[] Query, byte[] Url)[] _searchJson;

    internal Catalog(int productCount, Prng rng)
    {
        _products = new Product[productCount];
        for (var i = 0; i < productCount; i++)
        {
            var category = Categories[rng.NextInt(Categories.Length)];
            // Prices end in 99 cents inside the band, the way shops price.
            var dollars = rng.NextLong(category.MinPriceCents / 100, category.MaxPriceCents / 100 + 1);
            _products[i] = new Product($"p-{i + 1:D6}", category, dollars * 100 + 99);
        }
        var searches = new List<(string, string, Category)>();
        foreach (var category in Categories)
        {
            foreach (var term in category.SearchTerms)
                searches.Add((term, $"{BaseUrl}/search?q={Uri.EscapeDataString(term)}", category));
        }
        _searches = [.. searches];
        _searchJson = Array.ConvertAll(_searches, search => (ClickJsonWriter.Encode(search.Query), ClickJsonWriter.Encode(search.Url)));
    }

    public int Count => _products.Length;

    public Product this[int index] => _products[index];

    /// <summary>A product drawn with popularity skew: the square of a uniform draw favours low indices.</summary>
[MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Product PickProduct(Prng rng)
    {
        var u = rng.NextDouble();
        return _products[(int)(u * u * _products.Length)];
    }

    /// <summary>A product of the given category, used after a search or a category listing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Product PickProduct(Prng rng, Category category)
    {
        // A few tries keep the draw cheap; the fallback is any popular product.
        for (var i = 0; i < 8; i++)
        {
            var p = PickProduct(rng);
            if (ReferenceEquals(p.Category, category)) return p;
        }
        return PickProduct(rng);
    }

    public (string Query, string Url, Category Category) PickSearch(Prng rng) => _searches[rng.NextInt(_searches.Length)];

    /// <summary><see cref="PickSearch"/> with the encoded query and URL, for the event writer; the same draw.</summary>
[MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (string Query, byte[] QueryJson, string Url, byte[] UrlJson, Category Category) PickSearchEncoded(Prng rng)
    {
        var i = rng.NextInt(_searches.Length);
        var (query, url, category) = _searches[i];
        return (query, _searchJson[i].Query, url, _searchJson[i].Url, category);
    }
}
