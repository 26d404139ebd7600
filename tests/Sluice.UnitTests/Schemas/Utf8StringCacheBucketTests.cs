using System.Text;
using Sluice.Schemas.Events;
using Xunit;

namespace Sluice.UnitTests.Schemas;

public sealed class Utf8StringCacheBucketTests
{
    // Past the 16 bytes the packed words hold: bytes kept inside the entry (up to 64) and in a separate array (longer),
    // the look-alikes differing only in the middle, where neither the head nor the tail word sees the difference.
    public static TheoryData<int> Lengths => new() { 17, 40, 64, 65, 200 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void long_values_that_differ_only_in_the_middle_never_share_a_string(int length)
    {
        var a = new string('a', length);
        var b = string.Concat(a.AsSpan(0, length / 2), "b", a.AsSpan(length / 2 + 1));
        var cache = new Utf8StringCache(4);
        for (var round = 0; round < 3; round++)
        {
            Assert.True(cache.TryGet(Encoding.ASCII.GetBytes(a), out var first));
            Assert.True(cache.TryGet(Encoding.ASCII.GetBytes(b), out var second));
            Assert.Equal(a, first);
            Assert.Equal(b, second);
        }
    }

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
