using Sluice.Pipelines.Clickstream;

namespace Sluice.UnitTests.Pipelines;

public class ProductsTopTests
{
    [Theory]
    [InlineData(0, 10)]
    [InlineData(5, 10)]
    [InlineData(3_000, 10)]
    [InlineData(3_000, 1)]
    public void top_selection_equals_a_full_sort_by_revenue_purchases_views_then_name(int products, int n)
    {
        var random = new Random(products + n);
        var stats = new Dictionary<string, ProductStats>(StringComparer.Ordinal);
        for (var i = 0; i < products; i++)
        {
            // Few distinct values, so ties on every measure (broken by name) are common.
            stats[$"p-{random.Next(100_000):D6}"] = new ProductStats
            {
                RevenueCents = random.Next(4) * 1999, Purchases = random.Next(3), Views = random.Next(5),
            };
        }
        var expected = stats.ToList();
        expected.Sort((a, b) =>
        {
            var c = ProductStats.CompareDescending(a.Value, b.Value);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });
        var top = ProductsAggregator.Top(stats, n);
        Assert.Equal(expected.Take(n).Select(e => e.Key), top.Select(e => e.Key));
    }
}
