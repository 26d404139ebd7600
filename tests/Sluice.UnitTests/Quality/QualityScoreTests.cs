using Sluice.Core.Configuration;
using Sluice.Pipelines.Quality;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Quality;

public class QualityScoreTests
{
    [Theory]
    [InlineData(100, "EXCELLENT")]
    [InlineData(95, "EXCELLENT")]
    [InlineData(94.99, "ACCEPTABLE")]
    [InlineData(90, "ACCEPTABLE")]
    [InlineData(89.99, "POOR")]
    [InlineData(0, "POOR")]
    public void grades_are_excellent_from_95_acceptable_from_90_and_poor_below(double score, string grade) =>
        Assert.Equal(grade, QualityScore.Grade(score));

    [Fact]
    public void the_score_weighs_validity_four_tenths_and_completeness_and_uniqueness_three_tenths_each()
    {
        Assert.Equal(100, QualityScore.Score(1, 1, 1));
        Assert.Equal(97.3, QualityScore.Score(0.97, 1, 0.95));
        Assert.Equal(40, QualityScore.Score(1, 0, 0));
        Assert.Equal(30, QualityScore.Score(0, 1, 0));
        Assert.Equal(30, QualityScore.Score(0, 0, 1));
    }

    [Fact]
    public void completeness_is_one_minus_the_required_fields_nulls_over_fields_times_valid_events()
    {
        var nulls = new long[QualityFields.Count];
        nulls[QualityFields.IndexOf("page_url")] = 10;
        nulls[QualityFields.IndexOf("geo_country")] = 30;
        nulls[QualityFields.IndexOf("product_id")] = 100; // not required: does not count
        int[] required = [QualityFields.IndexOf("page_url"), QualityFields.IndexOf("geo_country")];
        Assert.Equal(1 - 40.0 / (2 * 100), QualityScore.Completeness(nulls, 100, required), 12);
        Assert.Equal(1, QualityScore.Completeness(nulls, 0, required));
        Assert.Equal(1, QualityScore.Completeness(nulls, 100, []));
    }

    [Fact]
    public void a_row_carries_the_counts_and_rates_over_records_in()
    {
        var counts = new QualityAggregator.Acc { RecordsIn = 200, Duplicates = 4, Bots = 10, Late = 2, Accepted = 176, IngestLagSumMs = 1760, IngestLagMaxMs = 50 };
        counts.InvalidByReason["negative_price"] = 5;
        counts.InvalidByReason["invalid_json"] = 3;
        var row = QualityScore.Row(new Window(0, 60_000), 3, counts, volumeBaseline: 100, requiredFields: []);
        Assert.Equal((200L, 192L, 8L), (row.RecordsIn, row.Valid, row.Invalid));
        Assert.Equal([new("invalid_json", 3L), new("negative_price", 5L)], row.InvalidByReason);
        Assert.Equal((0.04, 0.02, 0.01, 0.05), (row.InvalidRate, row.DuplicateRate, row.LateRate, row.BotRate));
        Assert.Equal((10.0, 50L, 2.0), (row.IngestLagMeanMs!.Value, row.IngestLagMaxMs!.Value, row.VolumeRatio!.Value));
        // validity 192/200, completeness 1, uniqueness 196/200
        Assert.Equal(Math.Round(100 * (0.4 * 0.96 + 0.3 + 0.3 * 0.98), 2), row.Score);
        Assert.Equal("EXCELLENT", row.Grade);
        Assert.Equal(new QualityRowKey(0, 3), row.Key);
        Assert.Equal("0|3", row.Key.ToString());
    }

    [Fact]
    public void checks_alert_with_the_check_value_threshold_and_window()
    {
        var counts = new QualityAggregator.Acc { RecordsIn = 100, Duplicates = 10, Bots = 20, Late = 5, Accepted = 50, IngestLagSumMs = 50 * 600_000L, IngestLagMaxMs = 900_000 };
        counts.InvalidByReason["invalid_json"] = 15;
        counts.Nulls[QualityFields.IndexOf("page_url")] = 17;
        var required = new[] { "page_url", "user_agent" };
        var row = QualityScore.Row(new Window(60_000, 120_000), 1, counts, volumeBaseline: 20, [.. required.Select(QualityFields.IndexOf)]);
        var alerts = new QualityChecks(new QualityThresholdOptions(), required).Evaluate(row, nowMs: 7);

        Assert.Equal(["score", "invalid_rate", "null_rate.page_url", "duplicate_rate", "late_rate", "bot_rate", "ingest_lag_ms", "volume_high"],
            alerts.Select(a => a.Check));
        var invalid = alerts.Single(a => a.Check == "invalid_rate");
        Assert.Equal((0.15, 0.05, "above", 60_000L, 120_000L, 1, row.Grade, 7L),
            (invalid.Value, invalid.Threshold, invalid.Comparison, invalid.WindowStart, invalid.WindowEnd, invalid.Partition, invalid.Grade, invalid.RaisedAtMs));
        Assert.Equal(("below", 90.0), (alerts[0].Comparison, alerts[0].Threshold));
        Assert.Equal((600_000.0, 300_000.0), (alerts.Single(a => a.Check == "ingest_lag_ms").Value, alerts.Single(a => a.Check == "ingest_lag_ms").Threshold));
    }

    [Fact]
    public void a_threshold_of_zero_turns_the_score_lag_and_volume_checks_off()
    {
        var counts = new QualityAggregator.Acc { RecordsIn = 10, Accepted = 10, IngestLagSumMs = 10 * 3_600_000L, IngestLagMaxMs = 3_600_000 };
        var row = QualityScore.Row(new Window(0, 60_000), 0, counts, volumeBaseline: 1000, []);
        var off = new QualityThresholdOptions { MinScore = 0, MaxIngestLag = TimeSpan.Zero, MinVolumeRatio = 0, MaxVolumeRatio = 0 };
        Assert.Empty(new QualityChecks(off, []).Evaluate(row));
        Assert.Equal(["ingest_lag_ms", "volume_low"], new QualityChecks(new QualityThresholdOptions(), []).Evaluate(row).Select(a => a.Check));
    }
}
