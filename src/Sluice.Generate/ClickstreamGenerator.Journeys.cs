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
    private bool Step()
    {
        _due.TryDequeue(out var slot, out var now);
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

    private long NextGap(Session s)
    {
        // Purchase lines of one order follow each other within a fraction of a second.
        if (s.PurchaseLine >= 0) return 20 + _rng.NextInt(180);
        // Gaps stay under the session timeout with a minute to spare, so one session never splits in two.
        var gap = 500 + (long)_rng.NextExponential(_thinkMs);
        return Math.Min(gap, _timeoutMs - 60_000);
    }

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
        s.SessionId = NewSessionId();
        s.Product = null;
        s.Category = null;
        s.Cart.Clear();
        s.PurchaseLine = -1;
        s.HadCart = false;
        s.Purchased = false;
        s.LastPageUrl = EntryReferrers[_rng.Pick(EntryReferrerWeights)];
        s.CampaignId = _rng.NextDouble() < 0.2 ? Campaigns[_rng.NextInt(Campaigns.Length)] : null;
        _sessionsStarted++;
        return true;
    }

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

    private string NewSessionId()
    {
        var value = _rng.NextUInt64();
        return string.Create(18, value, static (span, v) =>
        {
            span[0] = 's';
            span[1] = '-';
            // Hand-rolled: the general formatter's hex path showed up in profiles at one call per session.
            for (var i = 17; i >= 2; i--, v >>= 4) span[i] = "0123456789abcdef"[(int)(v & 0xF)];
        });
    }

    private EventFields BuildEvent(Session s, long now)
    {
        Product? product = null;
        string? category = null;
        string? query = null;
        int? quantity = null;
        string pageUrl;
        var type = s.State.EventOf();

        switch (s.State)
        {
            case JourneyState.Landing:
                pageUrl = Catalog.HomeUrl;
                break;
            case JourneyState.Browse:
                s.Category = s.Product?.Category is { } current && _rng.NextDouble() < 0.5
                    ? current
                    : Catalog.Categories[_rng.NextInt(Catalog.Categories.Length)];
                category = s.Category.Name;
                pageUrl = s.Category.PageUrl;
                break;
            case JourneyState.Search:
                var search = _catalog.PickSearch(_rng);
                s.Category = search.Category;
                query = search.Query;
                pageUrl = search.Url;
                break;
            case JourneyState.ProductView:
                product = s.Product = s.Category is { } c ? _catalog.PickProduct(_rng, c) : _catalog.PickProduct(_rng);
                pageUrl = product.PageUrl;
                break;
            case JourneyState.AddToCart:
                product = s.Product ??= _catalog.PickProduct(_rng);
                quantity = AddToCart(s, product);
                pageUrl = product.PageUrl;
                break;
            case JourneyState.RemoveFromCart:
                var index = _rng.NextInt(s.Cart.Count);
                (product, var removed) = s.Cart[index];
                s.Cart.RemoveAt(index);
                quantity = removed;
                pageUrl = Catalog.CartUrl;
                break;
            case JourneyState.Wishlist:
                product = s.Product ??= _catalog.PickProduct(_rng);
                pageUrl = product.PageUrl;
                break;
            case JourneyState.Checkout:
                pageUrl = Catalog.CheckoutUrl;
                break;
            case JourneyState.Purchase:
                if (s.PurchaseLine < 0) s.PurchaseLine = 0;
                (product, var bought) = s.Cart[s.PurchaseLine];
                quantity = bought;
                pageUrl = Catalog.OrderConfirmationUrl;
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
        evt.SessionId = s.SessionId;
        evt.ProductId = product?.Id;
        evt.ProductCategory = product?.Category.Name ?? category;
        // Views and searches never carry a price: the validator rejects them (unexpected_price).
        evt.PriceCents = type is EventType.PageView or EventType.Search ? null : product?.PriceCents;
        evt.Quantity = quantity;
        evt.SearchQuery = query;
        evt.PageUrl = pageUrl;
        evt.Referrer = s.LastPageUrl;
        evt.UserAgent = user.UserAgent;
        evt.IpAddress = user.IpAddress;
        evt.GeoCountry = profile.Country.Code;
        evt.GeoCity = profile.City;
        evt.UserSegment = user.IsLoggedIn ? profile.SegmentName : null;
        evt.DeviceType = user.DeviceName;
        evt.Browser = user.Browser;
        evt.CampaignId = s.CampaignId;
        s.LastPageUrl = pageUrl;
        _freshVisitorBlock = profile.VisitorJson ??= ClickJsonWriter.VisitorBlock(
            evt.UserAgent, evt.IpAddress, evt.GeoCountry, evt.GeoCity, evt.UserSegment, evt.DeviceType, evt.Browser);
        return evt;
    }

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
