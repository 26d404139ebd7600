using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Clickstream;

/// <summary>How the clickstream's accumulators are written to task snapshots, one serde per accumulator type of Aggregates.cs.</summary>
/// <remarks>Sets and dictionaries are written in enumeration order and read back in it; no result depends on that order
/// (counts, and top lists ranked with ties broken by name).</remarks>
public static class ClickstreamSerdes
{
    public static IStateSerde<EventCountsAggregator.Acc> EventCounts { get; } = StateSerdes.Create<EventCountsAggregator.Acc>(Write, ReadEventCounts);

    public static IStateSerde<CommerceAggregator.Acc> Commerce { get; } = StateSerdes.Create<CommerceAggregator.Acc>(Write, ReadCommerce);

    /// <summary>Active users: each user's event count.</summary>
    public static IStateSerde<Dictionary<string, int>> ActiveUsers { get; } =
        StateSerdes.Dictionary(StateSerdes.String, StateSerdes.Int32, StringComparer.Ordinal);

    public static IStateSerde<ProductsAggregator.Acc> Products { get; } = StateSerdes.Create<ProductsAggregator.Acc>(Write, ReadProducts);

    public static IStateSerde<SessionState<SessionAggregator.Acc>> Sessions { get; } =
        new SessionStateSerde<SessionAggregator.Acc>(StateSerdes.Create<SessionAggregator.Acc>(Write, ReadSession));

    private static void WriteSet(SnapshotWriter writer, HashSet<string> set)
    {
        writer.WriteCount(set.Count);
        foreach (var item in set) writer.WriteString(item);
    }

    private static void ReadSet(ref SnapshotReader reader, HashSet<string> into)
    {
        var count = reader.ReadCount();
        into.EnsureCapacity(count);
        for (var i = 0; i < count; i++) into.Add(reader.ReadRequiredString());
    }

    private static void WriteStats(SnapshotWriter writer, in ProductStats s)
    {
        writer.WriteVarInt64(s.Views);
        writer.WriteVarInt64(s.CartAdds);
        writer.WriteVarInt64(s.Purchases);
        writer.WriteVarInt64(s.RevenueCents);
    }

    private static ProductStats ReadStats(ref SnapshotReader reader) =>
        new(reader.ReadVarInt64(), reader.ReadVarInt64(), reader.ReadVarInt64(), reader.ReadVarInt64());

    private static void WriteStatsMap(SnapshotWriter writer, Dictionary<string, ProductStats> map)
    {
        writer.WriteCount(map.Count);
        foreach (var (key, stats) in map)
        {
            writer.WriteString(key);
            WriteStats(writer, stats);
        }
    }

    private static void ReadStatsMap(ref SnapshotReader reader, Dictionary<string, ProductStats> into)
    {
        var count = reader.ReadCount();
        into.EnsureCapacity(count);
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadRequiredString();
            if (!into.TryAdd(key, ReadStats(ref reader))) reader.Fail($"'{key}' appears twice");
        }
    }

    private static void Write(SnapshotWriter writer, in EventCountsAggregator.Acc value)
    {
        writer.WriteCount(value.ByType.Length);
        foreach (var n in value.ByType) writer.WriteVarInt64(n);
        WriteSet(writer, value.Users);
        WriteSet(writer, value.Sessions);
    }

    private static EventCountsAggregator.Acc ReadEventCounts(ref SnapshotReader reader)
    {
        var acc = new EventCountsAggregator.Acc();
        var types = reader.ReadCount();
        if (types != acc.ByType.Length) reader.Fail($"{types} event types, this build has {acc.ByType.Length}");
        for (var i = 0; i < types; i++) acc.ByType[i] = reader.ReadVarInt64();
        ReadSet(ref reader, acc.Users);
        ReadSet(ref reader, acc.Sessions);
        return acc;
    }

    private static void Write(SnapshotWriter writer, in CommerceAggregator.Acc value)
    {
        writer.WriteVarInt64(value.RevenueCents);
        writer.WriteVarInt64(value.Purchases);
        writer.WriteVarInt64(value.AddToCarts);
        WriteSet(writer, value.Sessions);
        WriteSet(writer, value.ConvertedSessions);
    }

    private static CommerceAggregator.Acc ReadCommerce(ref SnapshotReader reader)
    {
        var acc = new CommerceAggregator.Acc
        {
            RevenueCents = reader.ReadVarInt64(),
            Purchases = reader.ReadVarInt64(),
            AddToCarts = reader.ReadVarInt64(),
        };
        ReadSet(ref reader, acc.Sessions);
        ReadSet(ref reader, acc.ConvertedSessions);
        return acc;
    }

    private static void Write(SnapshotWriter writer, in ProductsAggregator.Acc value)
    {
        WriteStats(writer, value.Total);
        WriteStatsMap(writer, value.Products);
        WriteStatsMap(writer, value.Categories);
    }

    private static ProductsAggregator.Acc ReadProducts(ref SnapshotReader reader)
    {
        var acc = new ProductsAggregator.Acc { Total = ReadStats(ref reader) };
        ReadStatsMap(ref reader, acc.Products);
        ReadStatsMap(ref reader, acc.Categories);
        return acc;
    }

    private static void Write(SnapshotWriter writer, in SessionAggregator.Acc value)
    {
        writer.WriteString(value.UserId);
        writer.WriteString(value.SessionId);
        writer.WriteVarInt64(value.First);
        writer.WriteVarInt64(value.Last);
        writer.WriteVarInt32(value.Events);
        writer.WriteVarInt32(value.PageViews);
        writer.WriteVarInt32(value.CartAdds);
        writer.WriteVarInt32(value.Purchases);
        writer.WriteVarInt64(value.RevenueCents);
        writer.WriteVarInt64(value.LandingAt);
        writer.WriteString(value.LandingPage);
        writer.WriteVarInt64(value.ExitAt);
        writer.WriteString(value.ExitPage);
    }

    private static SessionAggregator.Acc ReadSession(ref SnapshotReader reader) => new()
    {
        UserId = reader.ReadString(),
        SessionId = reader.ReadRequiredString(),
        First = reader.ReadVarInt64(),
        Last = reader.ReadVarInt64(),
        Events = reader.ReadVarInt32(),
        PageViews = reader.ReadVarInt32(),
        CartAdds = reader.ReadVarInt32(),
        Purchases = reader.ReadVarInt32(),
        RevenueCents = reader.ReadVarInt64(),
        LandingAt = reader.ReadVarInt64(),
        LandingPage = reader.ReadString(),
        ExitAt = reader.ReadVarInt64(),
        ExitPage = reader.ReadString(),
    };
}
