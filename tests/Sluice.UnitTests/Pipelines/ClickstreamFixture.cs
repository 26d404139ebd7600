using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Testing;

namespace Sluice.UnitTests.Pipelines;

/// <summary>Builds events and drives the clickstream topology through the in-process test driver.</summary>
internal static class ClickstreamFixture
{
    /// <summary>2025-12-31T22:00:00Z, two hours before the test clock's "now".</summary>
    public const long T0 = 1_767_218_400_000;

    public const long Minute = 60_000;

    private static int s_next;

    public static ClickEvent Event(EventType type = EventType.PageView, long at = T0, string? user = "u1", string session = "s1",
        string? product = null, string? category = null, long? price = null, int? quantity = null, string? country = "DE",
        string? userAgent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", string? page = "/home", string? query = null, Guid? id = null) =>
        new()
        {
            EventId = id ?? new Guid(Interlocked.Increment(ref s_next), 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]),
            EventType = type,
            Timestamp = at,
            UserId = user,
            SessionId = session,
            ProductId = product,
            ProductCategory = category,
            PriceCents = price,
            Quantity = quantity,
            GeoCountry = country,
            UserAgent = userAgent,
            PageUrl = page,
            SearchQuery = query,
            DeviceType = "desktop",
        };

    public static TopologyTestDriver Driver(ClickstreamOptions? options = null)
    {
        var topology = new ClickstreamTopology(options);
        return new TopologyTestDriver(topology, topology.WatermarkStrategy);
    }

    public static void Pipe(this TopologyTestDriver driver, ClickEvent e, int partition = 0) =>
        driver.Pipe(ClickEventJson.ToBytes(e), partition);

    public static List<AggregateRow> Rows(this TopologyTestDriver driver, string aggregate) =>
        driver.Output<AggregateRow>("clickstream.aggregated").Where(r => r.Aggregate == aggregate).ToList();

    public static double Metric(this IEnumerable<AggregateRow> rows, string metric, string dimension = "all", string value = "all") =>
        rows.Single(r => r.Metric == metric && r.Dimension == dimension && r.DimensionValue == value).Value;
}
