using System.Text;
using Sluice.Pipelines.Clickstream.Users;

namespace Sluice.UnitTests.Pipelines.Users;

public sealed class UserChangeDecoderTests
{
    private const string Row = "{\"user_id\":\"u-1\",\"email\":\"a@example.org\",\"segment\":\"vip\",\"country\":\"DE\",\"city\":\"Berlin\",\"created_at\":1767225600000}";

    private static string Envelope(string op, string? before, string? after, string source = "{\"ts_ms\":1767225601000,\"lsn\":42}") =>
        $"{{\"before\":{before ?? "null"},\"after\":{after ?? "null"},\"op\":\"{op}\",\"ts_ms\":1767225609999,\"source\":{source}}}";

    private static (UserChange? Change, string? Reason, string? Detail) Decode(string value, string? key = "u-1", long offset = 7)
    {
        var ok = UserChangeDecoder.TryDecode(key is null ? [] : Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), offset,
            out var change, out var reason, out var detail);
        Assert.Equal(ok, change is not null);
        return (change, reason, detail);
    }

    [Fact]
    public void an_update_reads_every_field_with_the_source_position_and_time()
    {
        var (c, _, _) = Decode(Envelope("u", Row, Row.Replace("vip", "new")));
        Assert.Equal(("u-1", UserChangeOp.Update, 42L, 1767225601000L), (c!.UserId, c.Op, c.Position, c.ValidFrom));
        Assert.Equal(new UserImage("u-1", "a@example.org", "new", "DE", "Berlin", 1767225600000), c.After);
        Assert.Equal(new DateOnly(2026, 1, 1), c.After!.SignupDate);
        Assert.Equal("vip", c.Before!.Segment);
    }

    [Fact]
    public void without_an_lsn_the_kafka_offset_is_the_position_and_without_source_ts_the_envelope_ts()
    {
        var (c, _, _) = Decode(Envelope("c", null, Row, source: "{}"), offset: 99);
        Assert.Equal((99L, 1767225609999L), (c!.Position, c.ValidFrom));
    }

    [Fact]
    public void a_wrapped_envelope_and_a_json_key_struct_are_read()
    {
        var (c, _, _) = Decode($"{{\"schema\":{{}},\"payload\":{Envelope("r", null, Row)}}}", key: "{\"schema\":{},\"payload\":{\"user_id\":\"u-1\"}}");
        Assert.Equal(UserChangeOp.Read, c!.Op);
    }

    [Fact]
    public void an_empty_value_is_a_tombstone_not_a_dead_letter()
    {
        Assert.Equal((null, null, null), Decode(""));
    }

    [Theory]
    [InlineData("not json", UserChangeReasons.Malformed)]
    [InlineData("[1,2]", UserChangeReasons.Malformed)]
    [InlineData("{\"id\":1}", UserChangeReasons.Malformed)]
    [InlineData("{\"before\":null,\"after\":{},\"op\":\"x\"}", UserChangeReasons.UnknownOp)]
    [InlineData("{\"before\":null,\"after\":{}}", UserChangeReasons.UnknownOp)]
    public void envelopes_that_are_not_changes_get_a_reason(string value, string reason)
    {
        Assert.Equal(reason, Decode(value).Reason);
    }

    [Fact]
    public void images_that_contradict_the_op_are_refused_naming_what_is_wrong()
    {
        Assert.Equal((UserChangeReasons.ImageMismatch, "op c with a before image"), Pick(Decode(Envelope("c", Row, Row))));
        Assert.Equal((UserChangeReasons.ImageMismatch, "op r without an after image"), Pick(Decode(Envelope("r", null, null))));
        Assert.Equal((UserChangeReasons.ImageMismatch, "op u without an after image"), Pick(Decode(Envelope("u", Row, null))));
        Assert.Equal((UserChangeReasons.ImageMismatch, "op d with an after image"), Pick(Decode(Envelope("d", Row, Row))));
        Assert.Equal((UserChangeReasons.ImageMismatch, "op d without a before image"), Pick(Decode(Envelope("d", null, null))));
        // An update without a before image is what Debezium sends without REPLICA IDENTITY FULL: accepted.
        Assert.NotNull(Decode(Envelope("u", null, Row)).Change);
    }

    [Fact]
    public void the_user_comes_from_the_key_or_the_row_and_the_two_must_agree()
    {
        Assert.Equal("u-1", Decode(Envelope("c", null, Row), key: null).Change!.UserId);
        Assert.Equal(UserChangeReasons.KeyMismatch, Decode(Envelope("c", null, Row), key: "u-2").Reason);
        Assert.Equal(UserChangeReasons.MissingKey, Decode(Envelope("c", null, Row.Replace("\"user_id\":\"u-1\",", "")), key: null).Reason);
    }

    [Fact]
    public void a_missing_time_or_a_field_of_the_wrong_type_is_refused()
    {
        Assert.Equal(UserChangeReasons.MissingTimestamp,
            Decode("{\"before\":null,\"after\":" + Row + ",\"op\":\"c\",\"source\":{}}").Reason);
        Assert.Equal((UserChangeReasons.InvalidField, "after.segment is a JSON number, not a string"),
            Pick(Decode(Envelope("c", null, Row.Replace("\"vip\"", "3")))));
        Assert.Equal(UserChangeReasons.InvalidField, Decode(Envelope("c", null, Row.Replace("1767225600000", "\"yesterday\""))).Reason);
        Assert.Equal(UserChangeReasons.InvalidField, Decode(Envelope("c", null, Row, source: "{\"ts_ms\":5,\"lsn\":\"0/16B3748\"}")).Reason);
    }

    private static (string?, string?) Pick((UserChange? Change, string? Reason, string? Detail) r) => (r.Reason, r.Detail);
}
