using Sluice.Core.Configuration;
using Sluice.Pipelines.Quality.Alerts;

namespace Sluice.Pipelines.Quality;

/// <summary>The thresholds of <c>quality.thresholds</c> applied to one row: the alerts it raises.</summary>
/// <remarks>
/// Checks, by name: <c>score</c> (below minScore), <c>invalid_rate</c>, <c>duplicate_rate</c>, <c>late_rate</c>,
/// <c>bot_rate</c> (above their maximum), <c>null_rate.{field}</c> per required field (above maxNullRate),
/// <c>ingest_lag_ms</c> (the mean, above maxIngestLag; only with accepted events), <c>volume_low</c> and
/// <c>volume_high</c> (records in over the baseline, outside the ratios; only with a baseline). A threshold of 0
/// turns off the score, lag and volume checks; a rate threshold of 1 can never be passed.
/// </remarks>
public sealed class QualityChecks(QualityThresholdOptions thresholds, IReadOnlyList<string> requiredFields)
{
    private readonly QualityThresholdOptions _t = thresholds ?? throw new ArgumentNullException(nameof(thresholds));
    private readonly string[] _nullChecks = [.. requiredFields.Select(f => "null_rate." + f)];
    private readonly string[] _required = [.. requiredFields];

    /// <summary>Every check <paramref name="row"/> fails, in the order listed above, raised at <paramref name="nowMs"/>.</summary>
    public List<QualityAlert> Evaluate(QualityRow row, long nowMs = 0)
    {
        ArgumentNullException.ThrowIfNull(row);
        var alerts = new List<QualityAlert>();
        void Below(string check, double value, double threshold)
        {
            if (value < threshold) alerts.Add(QualityAlert.For(row, check, value, threshold, QualityAlert.BelowThreshold, nowMs));
        }
        void Above(string check, double value, double threshold)
        {
            if (value > threshold) alerts.Add(QualityAlert.For(row, check, value, threshold, QualityAlert.AboveThreshold, nowMs));
        }

        if (_t.MinScore > 0) Below("score", row.Score, _t.MinScore);
        Above("invalid_rate", row.InvalidRate, _t.MaxInvalidRate);
        for (var i = 0; i < _required.Length; i++) Above(_nullChecks[i], row.NullRate(_required[i]), _t.MaxNullRate);
        Above("duplicate_rate", row.DuplicateRate, _t.MaxDuplicateRate);
        Above("late_rate", row.LateRate, _t.MaxLateRate);
        Above("bot_rate", row.BotRate, _t.MaxBotRate);
        if (_t.MaxIngestLag > TimeSpan.Zero && row.IngestLagMeanMs is { } lag) Above("ingest_lag_ms", lag, _t.MaxIngestLag.TotalMilliseconds);
        if (row.VolumeRatio is { } ratio)
        {
            if (_t.MinVolumeRatio > 0) Below("volume_low", ratio, _t.MinVolumeRatio);
            if (_t.MaxVolumeRatio > 0) Above("volume_high", ratio, _t.MaxVolumeRatio);
        }
        return alerts;
    }
}
