using System.Runtime.Intrinsics;
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
    [Theory]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(63)]
    [InlineData(64)]
    public void a_hint_is_shown_to_start_the_data_only_when_every_byte_of_the_value_matches(int length)
    {
        var cache = new Utf8StringCache(4);
        var value = Encoding.ASCII.GetBytes(Middle('u', length));
        Assert.True(cache.TryGet(value, null, out _, out var hint));
        Assert.NotNull(hint);
        // The value, then other bytes, as it sits in a frame: the bytes after the value are not compared.
        var data = new byte[length + 70];
        value.CopyTo(data, 0);
        data.AsSpan(length).Fill((byte)'z');

        // Without 64-byte vectors the check never applies and the caller always compares the usual way.
        var applies = Vector512.IsHardwareAccelerated;
        Assert.Equal(applies, Utf8StringCache.StartsWithInline(data, length, hint));
        Assert.False(Utf8StringCache.StartsWithInline(data, length - 1, hint));
        for (var i = 0; i < length; i++)
        {
            var changed = (byte[])data.Clone();
            changed[i] ^= 0x01;
            Assert.False(Utf8StringCache.StartsWithInline(changed, length, hint));
        }
        // Fewer than 64 bytes to load: not shown (the caller then compares the usual way), even though they match.
        if (length < 64) Assert.False(Utf8StringCache.StartsWithInline(value, length, hint));
        else Assert.Equal(applies, Utf8StringCache.StartsWithInline(value, length, hint));
    }

    [Fact]
    public void a_short_value_hint_is_never_shown_by_the_vector_check()
    {
        var cache = new Utf8StringCache(4);
        var value = Encoding.ASCII.GetBytes("https://a.b/");
        Assert.True(cache.TryGet(value, null, out _, out var hint));
        var data = new byte[128];
        value.CopyTo(data, 0);

        Assert.False(Utf8StringCache.StartsWithInline(data, value.Length, hint!));
    }
}
