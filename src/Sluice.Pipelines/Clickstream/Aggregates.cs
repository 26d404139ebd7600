using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Core.Events;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Names of the clickstream aggregates, as written in <see cref="AggregateRow.Aggregate"/>.</summary>
public static class AggregateNames
{
    public const string Events1m = "events_1m";
    public const string Commerce5m = "commerce_5m";
    public const string ActiveUsers5m = "active_users_5m";
    public const string Products1h = "products_1h";
    public const string Sessions = "sessions";
}

/// <summary>1-minute tumbling: events per type, unique users, unique sessions.</summary>
public readonly struct EventCountsAggregator
    : IAggregator<EnrichedEvent, EventCountsAggregator.Acc, EventCountsAggregator.Acc>, IRecyclingAggregator<EventCountsAggregator.Acc>
{
    public Acc CreateAccumulator() => new();

    /// <remarks>The emitter copies the figures into rows, so the operator may reuse accumulators.</remarks>
    public void Reset(Acc accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        Array.Clear(accumulator.ByType);
        accumulator.Users.Clear();
        accumulator.Sessions.Clear();
    }

    public Acc Add(Acc accumulator, in EnrichedEvent value, long timestamp)
    {
        accumulator.ByType[(int)value.EventType]++;
        if (value.Event.UserId is { } user) accumulator.Users.Add(user);
        accumulator.Sessions.Add(value.Event.SessionId);
        return accumulator;
    }

    public Acc Merge(Acc target, Acc source)
    {
        for (var i = 0; i < target.ByType.Length; i++) target.ByType[i] += source.ByType[i];
        target.Users.UnionWith(source.Users);
        target.Sessions.UnionWith(source.Sessions);
        return target;
    }

    public Acc GetResult(Acc accumulator, Window window) => accumulator;

    /// <summary>Per-pane state: counts by <see cref="EventType"/> ordinal, distinct users and sessions.</summary>
    public sealed class Acc
    {
        public long[] ByType { get; } = new long[EventTypes.All.Count];
        public HashSet<string> Users { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>5-minute tumbling: revenue, purchases, add-to-carts, sessions.</summary>
public readonly struct CommerceAggregator
    : IAggregator<EnrichedEvent, CommerceAggregator.Acc, CommerceAggregator.Acc>, IRecyclingAggregator<CommerceAggregator.Acc>
{
    public Acc CreateAccumulator() => new();

    public void Reset(Acc accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.RevenueCents = accumulator.Purchases = accumulator.AddToCarts = 0;
        accumulator.Sessions.Clear();
        accumulator.ConvertedSessions.Clear();
    }

    public Acc Add(Acc accumulator, in EnrichedEvent value, long timestamp)
    {
        switch (value.EventType)
        {
            case EventType.Purchase:
                accumulator.Purchases++;
                accumulator.RevenueCents += value.RevenueCents;
                accumulator.ConvertedSessions.Add(value.Event.SessionId);
                break;
            case EventType.AddToCart:
                accumulator.AddToCarts++;
                break;
        }
        accumulator.Sessions.Add(value.Event.SessionId);
        return accumulator;
    }

    public Acc Merge(Acc target, Acc source)
    {
        target.Purchases += source.Purchases;
        target.AddToCarts += source.AddToCarts;
        target.RevenueCents += source.RevenueCents;
        target.Sessions.UnionWith(source.Sessions);
        target.ConvertedSessions.UnionWith(source.ConvertedSessions);
        return target;
    }

    public Acc GetResult(Acc accumulator, Window window) => accumulator;

    public sealed class Acc
    {
        public long RevenueCents { get; set; }
        public long Purchases { get; set; }
        public long AddToCarts { get; set; }
        public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);

        /// <summary>Sessions with at least one purchase in the window: the numerator of the session conversion rate, never above <see cref="Sessions"/>.</summary>
        public HashSet<string> ConvertedSessions { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>5-minute hopping by 1 minute: distinct logged-in users.</summary>
/// <remarks>
/// The accumulator counts each user's events; the result is the number of users. Merging a pane adds its counts and
/// subtracting it takes them away, dropping users that reach zero: the window slides by one pane a minute, one pane in
/// and one out, instead of uniting all five panes' user sets for every window. Counting events rather than marking a
/// user present keeps <c>Add</c> linear, which the operator's running total relies on: a user's later event in another
/// pane must still count once the first pane has left the window.
/// </remarks>
public readonly struct ActiveUsersAggregator
    : IAggregator<EnrichedEvent, Dictionary<string, int>, int>, IRecyclingAggregator<Dictionary<string, int>>, IInvertibleAggregator<Dictionary<string, int>>
{
    public Dictionary<string, int> CreateAccumulator() => new(StringComparer.Ordinal);

    public void Reset(Dictionary<string, int> accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.Clear();
    }

    public Dictionary<string, int> Add(Dictionary<string, int> accumulator, in EnrichedEvent value, long timestamp)
    {
        if (value.Event.UserId is { } user) CollectionsMarshal.GetValueRefOrAddDefault(accumulator, user, out _)++;
        return accumulator;
    }

    public Dictionary<string, int> Merge(Dictionary<string, int> target, Dictionary<string, int> source)
    {
        foreach (var (user, events) in source) CollectionsMarshal.GetValueRefOrAddDefault(target, user, out _) += events;
        return target;
    }

    public Dictionary<string, int> Subtract(Dictionary<string, int> target, Dictionary<string, int> source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        foreach (var (user, events) in source)
        {
            ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(target, user);
            if (Unsafe.IsNullRef(ref count)) continue;
            count -= events;
            if (count <= 0) target.Remove(user);
        }
        return target;
    }

    public int GetResult(Dictionary<string, int> accumulator, Window window) => accumulator.Count;
}

/// <summary>Counts of one product or category in a window.</summary>
/// <remarks>A struct held inline in the window's dictionaries and updated through references: no object per product and pane.</remarks>
public record struct ProductStats(long Views, long CartAdds, long Purchases, long RevenueCents)
{
    public void Add(in ProductStats other)
    {
        Views += other.Views;
        CartAdds += other.CartAdds;
        Purchases += other.Purchases;
        RevenueCents += other.RevenueCents;
    }

    public void Subtract(in ProductStats other)
    {
        Views -= other.Views;
        CartAdds -= other.CartAdds;
        Purchases -= other.Purchases;
        RevenueCents -= other.RevenueCents;
    }

    /// <summary>True when nothing was counted (an entry left with this after a subtraction is dropped).</summary>
    public readonly bool IsEmpty => Views == 0 && CartAdds == 0 && Purchases == 0 && RevenueCents == 0;

    /// <summary>Ranking: revenue, then purchases, then views, descending (the caller breaks remaining ties by name).</summary>
    public static int CompareDescending(in ProductStats a, in ProductStats b)
    {
        var c = b.RevenueCents.CompareTo(a.RevenueCents);
        if (c != 0) return c;
        c = b.Purchases.CompareTo(a.Purchases);
        return c != 0 ? c : b.Views.CompareTo(a.Views);
    }
}

/// <summary>1-hour hopping by 5 minutes: product views, cart adds, purchases and revenue, per product and category; null products excluded.</summary>
/// <remarks>Counts and sums subtract, so the hourly window slides by one pane every 5 minutes instead of merging twelve.</remarks>
public readonly struct ProductsAggregator
    : IAggregator<EnrichedEvent, ProductsAggregator.Acc, ProductsAggregator.Acc>, IRecyclingAggregator<ProductsAggregator.Acc>,
      IInvertibleAggregator<ProductsAggregator.Acc>
{
    public Acc CreateAccumulator() => new();

    public void Reset(Acc accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.Total = default;
        accumulator.Products.Clear();
        accumulator.Categories.Clear();
    }

    public Acc Add(Acc accumulator, in EnrichedEvent value, long timestamp)
    {
        var e = value.Event;
        if (e.ProductId is not { } product) return accumulator;
        var views = e.EventType == EventType.PageView ? 1 : 0;
        var carts = e.EventType == EventType.AddToCart ? 1 : 0;
        var purchases = e.EventType == EventType.Purchase ? 1 : 0;
        if (views + carts + purchases == 0) return accumulator;
        ref var total = ref accumulator.Total;
        total.Views += views;
        total.CartAdds += carts;
        total.Purchases += purchases;
        total.RevenueCents += value.RevenueCents;
        Bump(accumulator.Products, product, views, carts, purchases, value.RevenueCents);
        if (e.ProductCategory is { } category) Bump(accumulator.Categories, category, views, carts, purchases, value.RevenueCents);
        return accumulator;
    }

    public Acc Merge(Acc target, Acc source)
    {
        target.Total.Add(source.Total);
        MergeInto(target.Products, source.Products);
        MergeInto(target.Categories, source.Categories);
        return target;
    }

    public Acc Subtract(Acc target, Acc source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        target.Total.Subtract(source.Total);
        SubtractFrom(target.Products, source.Products);
        SubtractFrom(target.Categories, source.Categories);
        return target;
    }

    public Acc GetResult(Acc accumulator, Window window) => accumulator;

    /// <summary>The <paramref name="n"/> best of <paramref name="stats"/> by <see cref="ProductStats.CompareDescending"/>, ties by name.</summary>
    public static List<KeyValuePair<string, ProductStats>> Top(Dictionary<string, ProductStats> stats, int n)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 0);
        // A bounded insertion selection instead of sorting every product: an hourly window holds thousands of
        // products and wants ten, and most fail the single comparison with the current last place.
        var list = new List<KeyValuePair<string, ProductStats>>(Math.Min(n, stats.Count) + 1);
        if (n == 0) return list;
        foreach (var entry in stats)
        {
            if (list.Count == n && Compare(entry, list[n - 1]) >= 0) continue;
            var i = list.Count;
            while (i > 0 && Compare(entry, list[i - 1]) < 0) i--;
            list.Insert(i, entry);
            if (list.Count > n) list.RemoveAt(n);
        }
        return list;
    }

    private static int Compare(KeyValuePair<string, ProductStats> a, KeyValuePair<string, ProductStats> b)
    {
        var c = ProductStats.CompareDescending(a.Value, b.Value);
        return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
    }

    private static void Bump(Dictionary<string, ProductStats> map, string key, int views, int carts, int purchases, long revenue)
    {
        ref var stats = ref CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
        stats.Views += views;
        stats.CartAdds += carts;
        stats.Purchases += purchases;
        stats.RevenueCents += revenue;
    }

    // A product whose counts fall back to zero left the window: it goes, as if it had never been added.
    private static void SubtractFrom(Dictionary<string, ProductStats> target, Dictionary<string, ProductStats> source)
    {
        foreach (var (key, s) in source)
        {
            ref var stats = ref CollectionsMarshal.GetValueRefOrNullRef(target, key);
            if (Unsafe.IsNullRef(ref stats)) continue;
            stats.Subtract(s);
            if (stats.IsEmpty) target.Remove(key);
        }
    }

    private static void MergeInto(Dictionary<string, ProductStats> target, Dictionary<string, ProductStats> source)
    {
        foreach (var (key, s) in source)
        {
            CollectionsMarshal.GetValueRefOrAddDefault(target, key, out _).Add(s);
        }
    }

    public sealed class Acc
    {
        /// <summary>Totals over every product; a field so that it is updated in place.</summary>
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1051", Justification = "updated through a reference on the hot path")]
        public ProductStats Total;

        public Dictionary<string, ProductStats> Products { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, ProductStats> Categories { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>Sessions: counts, revenue, landing and exit page of one user's session.</summary>
public readonly struct SessionAggregator
    : IAggregator<EnrichedEvent, SessionAggregator.Acc, SessionAggregator.Acc>, IRecyclingAggregator<SessionAggregator.Acc>
{
    public Acc CreateAccumulator() => new();

    /// <remarks>The emitter copies a closed session into a <see cref="SessionSummary"/>, so the operator may reuse accumulators.</remarks>
    public void Reset(Acc accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.UserId = accumulator.LandingPage = accumulator.ExitPage = null;
        accumulator.SessionId = "";
        accumulator.First = accumulator.LandingAt = long.MaxValue;
        accumulator.Last = accumulator.ExitAt = long.MinValue;
        accumulator.Events = accumulator.PageViews = accumulator.CartAdds = accumulator.Purchases = 0;
        accumulator.RevenueCents = 0;
    }

    public Acc Add(Acc accumulator, in EnrichedEvent value, long timestamp)
    {
        var e = value.Event;
        var a = accumulator;
        a.Events++;
        a.UserId ??= e.UserId;
        switch (e.EventType)
        {
            case EventType.PageView: a.PageViews++; break;
            case EventType.AddToCart: a.CartAdds++; break;
            case EventType.Purchase: a.Purchases++; break;
        }
        a.RevenueCents += value.RevenueCents;
        // Earliest and latest by event time, not arrival: an out-of-order event can be the real landing page.
        if (timestamp < a.First)
        {
            a.First = timestamp;
            a.SessionId = e.SessionId;
        }
        if (timestamp >= a.Last) a.Last = timestamp;
        if (e.PageUrl is { } url)
        {
            if (timestamp < a.LandingAt) (a.LandingAt, a.LandingPage) = (timestamp, url);
            if (timestamp >= a.ExitAt) (a.ExitAt, a.ExitPage) = (timestamp, url);
        }
        return a;
    }

    public Acc Merge(Acc target, Acc source)
    {
        target.Events += source.Events;
        target.PageViews += source.PageViews;
        target.CartAdds += source.CartAdds;
        target.Purchases += source.Purchases;
        target.RevenueCents += source.RevenueCents;
        target.UserId ??= source.UserId;
        if (source.First < target.First) (target.First, target.SessionId) = (source.First, source.SessionId);
        if (source.Last > target.Last) target.Last = source.Last;
        if (source.LandingAt < target.LandingAt) (target.LandingAt, target.LandingPage) = (source.LandingAt, source.LandingPage);
        if (source.ExitAt > target.ExitAt) (target.ExitAt, target.ExitPage) = (source.ExitAt, source.ExitPage);
        return target;
    }

    public Acc GetResult(Acc accumulator, Window window) => accumulator;

    public sealed class Acc
    {
        public string? UserId { get; set; }
        public string SessionId { get; set; } = "";
        public long First { get; set; } = long.MaxValue;
        public long Last { get; set; } = long.MinValue;
        public int Events { get; set; }
        public int PageViews { get; set; }
        public int CartAdds { get; set; }
        public int Purchases { get; set; }
        public long RevenueCents { get; set; }
        public long LandingAt { get; set; } = long.MaxValue;
        public string? LandingPage { get; set; }
        public long ExitAt { get; set; } = long.MinValue;
        public string? ExitPage { get; set; }
    }
}
