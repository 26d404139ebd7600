using System.Text;
using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

/// <summary>The comparison by stable id on small hand-made outputs: each kind of difference is found, and only it.</summary>
public class OutputComparisonTests
{
    private static OutputRecord Enriched(string id, int revenue, long processingTime = 1, string key = "u1") =>
        new(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(
            $$"""{"event_id":"{{id}}","revenue_cents":{{revenue}},"processing_time":{{processingTime}},"ingest_lag_ms":{{processingTime - 5}}}"""));

    private static OutputRecord Row(string key, double value, bool pending = false) =>
        new(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($$"""{"metric":"events","value":{{value}}}"""), pending);

    private static OutputReport Compare(IReadOnlyList<OutputRecord> expected, IReadOnlyList<OutputRecord> actual,
        ClickstreamOutput output = ClickstreamOutput.Enriched) =>
        OutputComparison.Compare(output, "t", expected, actual);

    [Fact]
    public void equal_outputs_are_equal_whatever_the_processing_time()
    {
        var r = Compare([Enriched("a", 1), Enriched("b", 2)], [Enriched("b", 2, processingTime: 99), Enriched("a", 1, processingTime: 42)]);
        Assert.True(r.IsEqual);
        Assert.Equal((2L, 2L, 0L, 0L, 0L, 0L, 0L), (r.Expected, r.Actual, r.Missing, r.Extra, r.Different, r.IdenticalDuplicates, r.ConflictingDuplicates));
        Assert.Empty(r.Examples);
    }

    [Fact]
    public void a_record_not_in_the_output_is_missing()
    {
        var r = Compare([Enriched("a", 1), Enriched("b", 2)], [Enriched("a", 1)]);
        Assert.False(r.IsEqual);
        Assert.Equal((1L, 0L, 0L), (r.Missing, r.Extra, r.Different));
        Assert.Equal((DifferenceKind.Missing, "b"), (r.Examples.Single().Kind, r.Examples.Single().Id));
    }

    [Fact]
    public void a_record_nothing_expected_is_extra()
    {
        var r = Compare([Enriched("a", 1)], [Enriched("a", 1), Enriched("z", 3)]);
        Assert.False(r.IsEqual);
        Assert.Equal((0L, 1L, 0L), (r.Missing, r.Extra, r.Different));
        Assert.Equal("z", r.Examples.Single(e => e.Kind == DifferenceKind.Extra).Id);
    }

    [Fact]
    public void same_id_with_other_content_is_different_and_names_the_field()
    {
        var r = Compare([Enriched("a", 1)], [Enriched("a", 7)]);
        Assert.False(r.IsEqual);
        Assert.Equal((0L, 0L, 1L), (r.Missing, r.Extra, r.Different));
        var d = r.Examples.Single();
        Assert.Equal(DifferenceKind.Different, d.Kind);
        Assert.Contains("revenue_cents: 1 expected, 7 found", d.Detail);
    }

    [Fact]
    public void another_key_is_a_difference_too()
    {
        var r = Compare([Enriched("a", 1, key: "u1")], [Enriched("a", 1, key: "u2")]);
        Assert.Equal(1, r.Different);
        Assert.Contains("(key)", r.Examples.Single().Detail);
    }

    [Fact]
    public void an_identical_repeat_is_counted_apart_and_does_not_fail()
    {
        var r = Compare([Enriched("a", 1)], [Enriched("a", 1), Enriched("a", 1, processingTime: 50)]);
        Assert.True(r.IsEqual);
        Assert.Equal((1L, 0L), (r.IdenticalDuplicates, r.ConflictingDuplicates));
    }

    [Fact]
    public void a_repeat_with_other_content_beside_the_right_record_is_a_conflicting_duplicate()
    {
        var r = Compare([Enriched("a", 1)], [Enriched("a", 1), Enriched("a", 2)]);
        Assert.False(r.IsEqual);
        Assert.Equal((0L, 0L, 0L, 1L), (r.Missing, r.Different, r.IdenticalDuplicates, r.ConflictingDuplicates));
        Assert.Contains("revenue_cents: 1 expected, 2 found", r.Examples.Single().Detail);
    }

    [Fact]
    public void a_pending_window_may_be_absent_but_not_wrong()
    {
        Assert.True(Compare([Row("k|1", 3), Row("k|2", 4, pending: true)], [Row("k|1", 3)], ClickstreamOutput.Aggregated).IsEqual);
        Assert.True(Compare([Row("k|1", 3), Row("k|2", 4, pending: true)], [Row("k|1", 3), Row("k|2", 4)], ClickstreamOutput.Aggregated).IsEqual);
        var wrong = Compare([Row("k|1", 3), Row("k|2", 4, pending: true)], [Row("k|1", 3), Row("k|2", 5)], ClickstreamOutput.Aggregated);
        Assert.Equal(1, wrong.Different);
        Assert.Equal((1L, 1L), (wrong.Expected, wrong.Pending));
    }

    [Fact]
    public void aggregate_rows_are_matched_by_kafka_key_and_numbers_by_value()
    {
        var r = Compare([Row("events_1m|60000|all=all|0|events", 2)],
            [new OutputRecord(Encoding.UTF8.GetBytes("events_1m|60000|all=all|0|events"), Encoding.UTF8.GetBytes("""{"metric":"events","value":2.0}"""))],
            ClickstreamOutput.Aggregated);
        Assert.True(r.IsEqual);
    }

    [Fact]
    public void dead_letters_are_matched_by_source_position_ignoring_when_they_failed()
    {
        static OutputRecord Letter(long offset, long failedAt, string reason = "invalid_json") => new(null, Encoding.UTF8.GetBytes(
            $$"""{"reason_code":"{{reason}}","topic":"in","partition":1,"offset":{{offset}},"failed_at":{{failedAt}}}"""));
        var r = Compare([Letter(5, 0), Letter(6, 0)], [Letter(6, 123), Letter(5, 456, "negative_price")], ClickstreamOutput.DeadLetters);
        Assert.Equal((1L, 0L, 0L), (r.Different, r.Missing, r.Extra));
        Assert.Equal("in[1]@5", r.Examples.Single().Id);
    }
}
