using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.UnitTests.Events;

/// <summary>event_id in JSON: any string, on the fast scanner and on the reader path alike.</summary>
public sealed class ClickEventJsonEventIdTests
{
    // The payload as sent, and the same payload behind a nested unknown field, which only the reader path takes.
    private static IEnumerable<byte[]> BothPaths(string eventIdJson)
    {
        var json = $$"""{"event_id":{{eventIdJson}},"event_type":"page_view","timestamp":5,"session_id":"s"}""";
        yield return Encoding.UTF8.GetBytes(json);
        yield return Encoding.UTF8.GetBytes("""{"x":{"y":[true]},""" + json[1..]);
    }

    [Theory]
    [InlineData("\"e1\"", "e1")]
    [InlineData("\"01ARZ3NDEKTSV4RRFFQ69G5FAV\"", "01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("\"1234567890\"", "1234567890")]
    [InlineData("\"3f2504e0-4f89-41d3-9a0c-0305e82c3301\"", "3f2504e0-4f89-41d3-9a0c-0305e82c3301")]
    [InlineData("\"3F2504E0-4F89-41D3-9A0C-0305E82C3301\"", "3f2504e0-4f89-41d3-9a0c-0305e82c3301")]
    [InlineData("\"e\\u0031\"", "e1")]
    [InlineData("\"S\\u00e3o-7\"", "São-7")]
    [InlineData("\"a \\\"quoted\\\" id\"", "a \"quoted\" id")]
    public void any_string_is_an_event_id_on_both_decode_paths(string eventIdJson, string expected)
    {
        foreach (var payload in BothPaths(eventIdJson))
        {
            Assert.True(ClickEventJson.TryRead(payload, out var e, out var error), $"{Encoding.UTF8.GetString(payload)}: {error.ReasonCode} {error.Detail}");
            Assert.Equal(expected, e!.EventId.ToString());
            Assert.Equal(EventId.Parse(expected), e.EventId);
        }
    }

    [Fact]
    public void an_empty_event_id_is_a_dead_letter_of_its_own_on_both_paths()
    {
        foreach (var payload in BothPaths("\"\""))
        {
            Assert.False(ClickEventJson.TryRead(payload, out _, out var error));
            Assert.Equal(ReasonCodes.EmptyEventId, error.ReasonCode);
            Assert.Equal("event_id is empty", error.Detail);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void an_event_id_over_the_limit_is_a_dead_letter_of_its_own_on_both_paths(bool escaped)
    {
        string Id(int length) => "\"" + string.Concat(Enumerable.Repeat(escaped ? "\\u0078" : "x", length)) + "\"";
        foreach (var payload in BothPaths(Id(EventId.MaxLength)))
        {
            Assert.True(ClickEventJson.TryRead(payload, out var e, out var error), error.Detail);
            Assert.Equal(new string('x', EventId.MaxLength), e!.EventId.ToString());
        }
        foreach (var payload in BothPaths(Id(EventId.MaxLength + 1)))
        {
            Assert.False(ClickEventJson.TryRead(payload, out _, out var error));
            Assert.Equal(ReasonCodes.EventIdTooLong, error.ReasonCode);
            Assert.Equal($"event_id is longer than {EventId.MaxLength} characters", error.Detail);
        }
    }

    [Theory]
    [InlineData("42", ReasonCodes.InvalidFieldType)]
    [InlineData("true", ReasonCodes.InvalidFieldType)]
    [InlineData("{\"id\":\"e1\"}", ReasonCodes.InvalidFieldType)]
    [InlineData("null", ReasonCodes.MissingRequiredFields)]
    public void an_event_id_that_is_no_string_is_malformed_as_before(string eventIdJson, string reason)
    {
        foreach (var payload in BothPaths(eventIdJson))
        {
            Assert.False(ClickEventJson.TryRead(payload, out _, out var error));
            Assert.Equal(reason, error.ReasonCode);
        }
    }

    [Fact]
    public void bytes_that_are_not_utf8_in_an_event_id_are_invalid_json()
    {
        var payload = Encoding.UTF8.GetBytes("""{"event_id":"e?","event_type":"page_view","timestamp":5,"session_id":"s"}""");
        payload[Array.IndexOf(payload, (byte)'?')] = 0xFF;
        Assert.False(ClickEventJson.TryRead(payload, out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Theory]
    [InlineData("e1")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("tab\tand \"quote\"")]
    public void an_event_written_with_an_id_that_is_no_uuid_reads_back_equal(string id)
    {
        var e = new ClickEvent { EventId = EventId.Parse(id), EventType = EventType.PageView, Timestamp = 5, SessionId = "s" };
        Assert.True(ClickEventJson.TryRead(ClickEventJson.ToBytes(e), out var back, out var error), error.Detail);
        Assert.Equal(e, back);
        Assert.Equal(id, back!.EventId.ToString());
    }
}
