using System.Text;
using Sluice.Schemas.Events;
using Xunit;

namespace Sluice.UnitTests.Schemas;

public sealed class Utf8StringCacheBucketTests
{
    [Fact]
    public void four_hot_values_in_one_bucket_all_keep_hitting()
    {
        // Four slots are one bucket of four ways.
        var cache = new Utf8StringCache(4);
        var values = new[] { "https://shop.example.com/category/books", "https://www.google.com/", "DE", "cmp-winter-sale" };
        var first = new string[values.Length];
        for (var i = 0; i < values.Length; i++) Assert.True(cache.TryGet(Encoding.ASCII.GetBytes(values[i]), out first[i]!));
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < values.Length; i++)
            {
                Assert.True(cache.TryGet(Encoding.ASCII.GetBytes(values[i]), out var again));
                Assert.Same(first[i], again);
            }
        }
    }

    [Fact]
    public void a_fifth_value_evicts_the_oldest_and_every_answer_stays_right()
    {
        var cache = new Utf8StringCache(4);
        var values = new[] { "value-number-0001", "value-number-0002", "value-number-0003", "value-number-0004", "value-number-0005" };
        for (var round = 0; round < 3; round++)
        {
            foreach (var v in values)
            {
                Assert.True(cache.TryGet(Encoding.ASCII.GetBytes(v), out var text));
                Assert.Equal(v, text);
            }
        }
    }
}
