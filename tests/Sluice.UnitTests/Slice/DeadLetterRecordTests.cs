using Sluice.Pipelines.DeadLetters;

namespace Sluice.UnitTests.Slice;

public sealed class DeadLetterRecordTests
{
    [Fact]
    public void record_round_trips_through_json_with_binary_payload_intact()
    {
        var payload = new byte[] { 0x00, 0xFF, 0x7B, 0x22, 0x80 };
        var record = new DeadLetterRecord("invalid_json", "not valid JSON at byte 0", "clickstream.events", 3, 12345,
            new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero), "u000001", payload);
        var back = DeadLetterRecord.FromJson(record.ToJson());
        Assert.Equal(record with { OriginalPayload = [] }, back with { OriginalPayload = [] });
        Assert.Equal(payload, back.OriginalPayload);
    }

    [Fact]
    public void null_key_is_kept_as_null()
    {
        var record = new DeadLetterRecord("x", "y", "t", 0, 0, DateTimeOffset.UnixEpoch, null, []);
        Assert.Null(DeadLetterRecord.FromJson(record.ToJson()).OriginalKey);
    }
}
