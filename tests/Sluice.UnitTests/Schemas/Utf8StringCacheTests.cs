using System.Text;
using Sluice.Schemas.Events;
using Xunit;

namespace Sluice.UnitTests.Schemas;

public class Utf8StringCacheTests
{
    // Every length the comparison treats differently: 1-3, 4-7, 8-16 (packed words), 17-64 (bytes inside the entry)
    // and longer (a separate array); past 16 bytes also look-alikes that differ only in the middle, which neither the
    // head nor the tail word sees.
    public static TheoryData<string, string> LookAlikes => new()
    {
        { Middle('a', 17), new string('a', 17) },
        { Middle('a', 40), new string('a', 40) },
        { Middle('a', 64), new string('a', 64) },
        { Middle('a', 65), new string('a', 65) },
        { Middle('a', 200), new string('a', 200) },
        { "a", "b" },
        { "ab", "ba" },
        { "abc", "acc" },
        { "abcd", "abce" },
        { "abcdefg", "abcxefg" },
        { "abcdefgh", "abcdefgi" },
        { "abcdefghij", "abcdeXghij" },
        { "abcdefghijklmnop", "abcdefgXijklmnop" },
        { "https://shop.example/product/p-000731", "https://shop.example/category/p-000731" },
    };

    [Theory]
    [MemberData(nameof(LookAlikes))]
    public void values_that_differ_in_one_byte_never_share_a_string(string a, string b)
    {
        // Four slots are one bucket of four ways, so the look-alikes are compared against each other.
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
    public void a_repeated_value_returns_the_same_string_instance()
    {
        var cache = new Utf8StringCache(64);
        Assert.True(cache.TryGet("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"u8, out var first));
        Assert.True(cache.TryGet("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"u8, out var second));
        Assert.Same(first, second);
    }

    [Fact]
    public void two_hot_values_do_not_evict_each_other()
    {
        // Two buckets of two slots: whether or not the values share a bucket, both must keep hitting.
        var cache = new Utf8StringCache(4);
        cache.TryGet("DE"u8, out var de);
        cache.TryGet("FR"u8, out var fr);
        for (var i = 0; i < 3; i++)
        {
            cache.TryGet("DE"u8, out var again);
            Assert.Same(de, again);
            cache.TryGet("FR"u8, out again);
            Assert.Same(fr, again);
        }
    }

    [Fact]
    public void non_ascii_text_decodes_and_invalid_utf8_is_refused()
    {
        var cache = new Utf8StringCache(16);
        Assert.True(cache.TryGet(Encoding.UTF8.GetBytes("Zürich"), out var city));
        Assert.Equal("Zürich", city);
        Assert.False(cache.TryGet([0x61, 0xC3, 0x28], out _));
        Assert.True(cache.TryGet(ReadOnlySpan<byte>.Empty, out var empty));
        Assert.Equal("", empty);
    }

    private static string Middle(char fill, int length) =>
        string.Concat(new string(fill, length / 2), "b", new string(fill, length - length / 2 - 1));
}
