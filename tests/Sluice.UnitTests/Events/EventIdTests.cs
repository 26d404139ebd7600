using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.UnitTests.Events;

public sealed class EventIdTests
{
    private const string Uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    [Theory]
    [InlineData("e1")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("1234567890")]
    [InlineData("{3f2504e0-4f89-41d3-9a0c-0305e82c3301}")]
    [InlineData("3f2504e04f8941d39a0c0305e82c3301")]
    [InlineData("ünïcødé 日本 😀")]
    [InlineData(" ")]
    public void any_non_empty_text_is_an_id_that_keeps_its_text(string text)
    {
        Assert.Equal(EventIdStatus.Valid, EventId.TryParse(Encoding.UTF8.GetBytes(text), out var fromUtf8));
        Assert.Equal(EventIdStatus.Valid, EventId.TryParse(text, out var fromString));
        Assert.False(fromUtf8.IsUuid);
        Assert.Equal(text, fromUtf8.ToString());
        Assert.Equal(fromUtf8, fromString);
        Assert.Equal(fromUtf8.Key, fromString.Key);
    }

    [Fact]
    public void a_uuid_of_either_case_is_one_id_written_in_lower_case()
    {
        var lower = EventId.Parse(Uuid);
        var upper = EventId.Parse(Uuid.ToUpperInvariant());
        Assert.Equal(EventIdStatus.Valid, EventId.TryParse(Encoding.ASCII.GetBytes(Uuid.ToUpperInvariant()), out var upperUtf8));
        Assert.True(lower.IsUuid);
        Assert.Equal(Guid.Parse(Uuid), lower.Key);
        Assert.Equal(lower, upper);
        Assert.Equal(lower, upperUtf8);
        Assert.Equal(Uuid, upper.ToString());
        Assert.Equal(Uuid, upperUtf8.ToString());
        Assert.Equal(lower, (EventId)Guid.Parse(Uuid));
    }

    [Fact]
    public void ids_are_equal_by_text_and_a_different_text_is_a_different_id()
    {
        Assert.Equal(EventId.Parse("e1"), EventId.Parse("e1"));
        Assert.Equal(EventId.Parse("e1").GetHashCode(), EventId.Parse("e1").GetHashCode());
        Assert.NotEqual(EventId.Parse("e1"), EventId.Parse("E1"));
        Assert.NotEqual(EventId.Parse("e1"), EventId.Parse("e1 "));
        Assert.True(EventId.Parse("1") != EventId.Parse("01"));
    }

    [Fact]
    public void the_key_of_an_id_that_is_no_uuid_is_its_xxhash128_the_same_in_every_process()
    {
        // Checkpoints store keys: a change here would make every restored dedup table forget its ids.
        Assert.Equal(Guid.Parse("675c1137-7503-2f4b-1f7e-24023b50eaef"), EventId.Parse("e1").Key);
        Span<byte> hash = stackalloc byte[16];
        System.IO.Hashing.XxHash128.Hash("01ARZ3NDEKTSV4RRFFQ69G5FAV"u8, hash);
        Assert.Equal(new Guid(hash), EventId.Parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").Key);
    }

    [Fact]
    public void empty_text_is_not_an_id()
    {
        Assert.Equal(EventIdStatus.Empty, EventId.TryParse(""u8, out _));
        Assert.Equal(EventIdStatus.Empty, EventId.TryParse("", out _));
        Assert.Equal(ReasonCodes.EmptyEventId, EventId.Error(EventIdStatus.Empty).ReasonCode);
        Assert.Throws<FormatException>(() => EventId.Parse(""));
    }

    [Fact]
    public void the_limit_counts_characters_not_bytes()
    {
        Assert.Equal(128, EventId.MaxLength);
        foreach (var c in new[] { "x", "é", "日" })
        {
            var atLimit = string.Concat(Enumerable.Repeat(c, EventId.MaxLength));
            var over = atLimit + c;
            Assert.Equal(EventIdStatus.Valid, EventId.TryParse(Encoding.UTF8.GetBytes(atLimit), out var id));
            Assert.Equal(atLimit, id.ToString());
            Assert.Equal(EventIdStatus.Valid, EventId.TryParse(atLimit, out _));
            Assert.Equal(EventIdStatus.TooLong, EventId.TryParse(Encoding.UTF8.GetBytes(over), out _));
            Assert.Equal(EventIdStatus.TooLong, EventId.TryParse(over, out _));
        }
        Assert.Equal(EventIdStatus.TooLong, EventId.TryParse(new byte[100_000], out _));
        Assert.Equal(ReasonCodes.EventIdTooLong, EventId.Error(EventIdStatus.TooLong).ReasonCode);
    }

    [Fact]
    public void bytes_that_are_not_utf8_and_lone_surrogates_are_invalid_text()
    {
        Assert.Equal(EventIdStatus.InvalidText, EventId.TryParse([(byte)'e', 0xFF], out _));
        Assert.Equal(EventIdStatus.InvalidText, EventId.TryParse("e\uD800", out _));
    }

    [Fact]
    public void the_default_id_is_the_nil_uuid()
    {
        Assert.True(default(EventId).IsUuid);
        Assert.Equal(Guid.Empty.ToString(), default(EventId).ToString());
        Assert.Equal(default, EventId.Parse(Guid.Empty.ToString()));
    }
}
