using System.Runtime.CompilerServices;
using Sluice.Core.Events;
using Sluice.Generate.Journeys;
using Sluice.Generate.Model;

namespace Sluice.Generate;

public sealed partial class ClickstreamGenerator
{
    private const int UserPickAttempts = 16;
    private const long RetryStartMs = 60_000;
    private const int MaxCartLines = 8;

    /// <summary>Advances the session due next by one click; false when that produced no record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Step()
    {
        var slot = _due.Dequeue(out var now);
        _clock = Math.Max(_clock, now);
        var s = _sessions[slot];

        if (!s.Active)
        {
            if (!TryStartSession(s, now))
            {
                // Every user tried is busy or resting between sessions; look again a minute later.
                _due.Enqueue(slot, now + RetryStartMs);
                return false;
            }
            s.State = _table.Start;
        }
        else if (s.PurchaseLine < 0)
        {
            var next = _table.Next(s.State, s.User.IsLoggedIn, _rng);
            // The cart states need something in the cart; with an empty cart the shopper keeps looking.
            if (next is JourneyState.Checkout or JourneyState.Purchase or JourneyState.RemoveFromCart && s.Cart.Count == 0)
                next = JourneyState.ProductView;
            if (next == JourneyState.Exit)
            {
                EndSession(s, now);
                _due.Enqueue(slot, now + 1 + (long)_rng.NextExponential(_thinkMs));
                return false;
            }
            s.State = next;
        }

        var evt = BuildEvent(s, now);
        s.User.LastEventAt = now;
        _due.Enqueue(slot, now + NextGap(s));
        return EmitWithFaults(evt);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long NextGap(Session s)
    {
        // Purchase lines of one order follow each other within a fraction of a second.
        if (s.PurchaseLine >= 0) return 20 + _rng.NextInt(180);
        // Gaps stay under the session timeout with a minute to spare, so one session never splits in two.
        var gap = 500 + (long)_rng.NextExponential(_thinkMs);
        return Math.Min(gap, _timeoutMs - 60_000);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryStartSession(Session s, long now)
    {
        UserProfile? user = null;
        for (var attempt = 0; attempt < UserPickAttempts; attempt++)
        {
            var candidate = _users[_rng.NextInt(_users.Count)];
            // A user's next session starts only after the session timeout, so sessionization agrees with the ids.
            if (!candidate.InSession && !candidate.IsDeleted && candidate.LastEventAt + _timeoutMs <= now)
            {
                user = candidate;
                break;
            }
        }
        if (user is null) return false;

        user.InSession = true;
        s.Active = true;
        s.User = user;
        (s.SessionId, s.SessionIdJson) = NewSessionId();
        s.Product = null;
        s.Category = null;
        s.Cart.Clear();
        s.PurchaseLine = -1;
        s.HadCart = false;
        s.Purchased = false;
        var entry = _rng.Pick(EntryReferrerWeights);
        s.LastPageUrl = EntryReferrers[entry];
        s.LastPageUrlJson = EntryReferrersJson[entry];
        s.CampaignId = null;
        s.CampaignIdJson = null;
        if (_rng.NextDouble() < 0.2)
        {
            var campaign = _rng.NextInt(Campaigns.Length);
            s.CampaignId = Campaigns[campaign];
            s.CampaignIdJson = CampaignsJson[campaign];
        }
        _sessionsStarted++;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EndSession(Session s, long now)
    {
        _sessionsEnded++;
        if (s.HadCart) _endedWithCart++;
        if (s.Purchased) _converted++;
        if (s.Cart.Count > 0) _abandoned++;
        s.Active = false;
        s.User.InSession = false;
        s.User.LastEventAt = Math.Max(s.User.LastEventAt, now);
    }

    /// <summary>A session id, <c>s-</c> and 16 hex digits, and its encoded JSON value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (string Id, byte[] Json) NewSessionId()
    {
        var v = _rng.NextUInt64();
        // Hand-rolled: the general formatter's hex path showed up in profiles at one call per session.
        var json = new byte[20];
        json[0] = json[19] = (byte)'"';
        json[1] = (byte)'s';
        json[2] = (byte)'-';
        for (var i = 18; i >= 3; i--, v >>= 4) json[i] = (byte)"0123456789abcdef"[(int)(v & 0xF)];
        return (System.Text.Encoding.ASCII.GetString(json, 1, 18), json);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private EventFields BuildEvent(Session s, long now)
    {
        Product? product = null;
        Category? listing = null;
        string? query = null;
        byte[]? queryJson = null;
        int? quantity = null;
        string pageUrl;
        byte[] pageJson;
        var type = s.State.EventOf();

        switch (s.State)
        {
            case JourneyState.Landing:
                pageUrl = Catalog.HomeUrl;
                pageJson = Catalog.HomeUrlJson;
                break;
            case JourneyState.Browse:
                s.Category = s.Product?.Category is { } current && _rng.NextDouble() < 0.5
                    ? current
                    : Catalog.Categories[_rng.NextInt(Catalog.Categories.Length)];
                listing = s.Category;
                pageUrl = listing.PageUrl;
                pageJson = listing.PageUrlJson;
                break;
            case JourneyState.Search:
                var search = _catalog.PickSearchEncoded(_rng);
                s.Category = search.Category;
                query = search.Query;
                queryJson = search.QueryJson;
                pageUrl = search.Url;
                pageJson = search.UrlJson;
                break;
            case JourneyState.ProductView:
                product = s.Product = s.Category is { } c ? _catalog.PickProduct(_rng, c) : _catalog.PickProduct(_rng);
                pageUrl = product.PageUrl;
                pageJson = product.PageUrlJson;
                break;
            case JourneyState.AddToCart:
                product = s.Product ??= _catalog.PickProduct(_rng);
                quantity = AddToCart(s, product);
                pageUrl = product.PageUrl;
                pageJson = product.PageUrlJson;
                break;
            case JourneyState.RemoveFromCart:
                var index = _rng.NextInt(s.Cart.Count);
                (product, var removed) = s.Cart[index];
                s.Cart.RemoveAt(index);
                quantity = removed;
                pageUrl = Catalog.CartUrl;
                pageJson = Catalog.CartUrlJson;
                break;
            case JourneyState.Wishlist:
                product = s.Product ??= _catalog.PickProduct(_rng);
                pageUrl = product.PageUrl;
                pageJson = product.PageUrlJson;
                break;
            case JourneyState.Checkout:
                pageUrl = Catalog.CheckoutUrl;
                pageJson = Catalog.CheckoutUrlJson;
                break;
            case JourneyState.Purchase:
                if (s.PurchaseLine < 0) s.PurchaseLine = 0;
                (product, var bought) = s.Cart[s.PurchaseLine];
                quantity = bought;
                pageUrl = Catalog.OrderConfirmationUrl;
                pageJson = Catalog.OrderConfirmationUrlJson;
                if (++s.PurchaseLine >= s.Cart.Count)
                {
                    s.Cart.Clear();
                    s.PurchaseLine = -1;
                    s.Purchased = true;
                }
                break;
            default:
                throw new InvalidOperationException($"state {s.State} emits no event");
        }

        var user = s.User;
        var profile = user.Current;
        var evt = NextDraft();
        evt.EventId = _rng.NextGuid();
        evt.EventType = type;
        evt.Timestamp = now;
        evt.UserId = user.UserId;
        evt.UserIdJson = user.UserIdJson;
        evt.SessionId = s.SessionId;
        evt.SessionIdJson = s.SessionIdJson;
        if (product is not null)
        {
            evt.ProductId = product.Id;
            evt.ProductIdJson = product.IdJson;
            evt.ProductCategory = product.Category.Name;
            evt.ProductCategoryJson = product.Category.NameJson;
        }
        else if (listing is not null)
        {
            evt.ProductCategory = listing.Name;
            evt.ProductCategoryJson = listing.NameJson;
        }
        // Generated views and searches carry no price (a product page view may: the validator accepts it; a search may not).
        evt.PriceCents = type is EventType.PageView or EventType.Search ? null : product?.PriceCents;
        evt.Quantity = quantity;
        evt.SearchQuery = query;
        evt.SearchQueryJson = queryJson;
        evt.PageUrl = pageUrl;
        evt.PageUrlJson = pageJson;
        evt.Referrer = s.LastPageUrl;
        evt.ReferrerJson = s.LastPageUrlJson;
        evt.Visitor = user;
        evt.VisitorProfile = profile;
        evt.CampaignId = s.CampaignId;
        evt.CampaignIdJson = s.CampaignIdJson;
        s.LastPageUrl = pageUrl;
        s.LastPageUrlJson = pageJson;
        // Per profile version: these seven values change only with a new version (a CDC update).
        evt.VisitorJson = profile.VisitorJson ??= ClickJsonWriter.VisitorBlock(
            user.UserAgent, user.IpAddress, profile.Country.Code, profile.City, EventFields.SegmentOf(user, profile), user.DeviceName, user.Browser);
        return evt;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AddToCart(Session s, Product product)
    {
        var u = _rng.NextDouble();
        var quantity = u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
        s.HadCart = true;
        if (s.Cart.Count < MaxCartLines)
        {
            s.Cart.Add(new CartLine(product, quantity));
        }
        else
        {
            var i = _rng.NextInt(s.Cart.Count);
            s.Cart[i] = s.Cart[i] with { Quantity = s.Cart[i].Quantity + quantity };
        }
        return quantity;
    }
}
