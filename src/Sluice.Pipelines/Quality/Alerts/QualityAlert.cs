namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>One failed check of one quality window: which check, its value and threshold, the window, the partition and its grade.</summary>
/// <param name="Comparison"><see cref="AboveThreshold"/> or <see cref="BelowThreshold"/>: which side of the threshold the value is on.</param>
/// <param name="RaisedAtMs">Processing time the window's row was emitted, epoch milliseconds UTC.</param>
public sealed record QualityAlert(
    string Check, double Value, double Threshold, string Comparison, long WindowStart, long WindowEnd, int Partition,
    string Grade, double Score, long RecordsIn, long RaisedAtMs)
{
    public const string AboveThreshold = "above";
    public const string BelowThreshold = "below";

    /// <summary>An alert of <paramref name="check"/> on <paramref name="row"/>'s window.</summary>
    public static QualityAlert For(QualityRow row, string check, double value, double threshold, string comparison, long raisedAtMs = 0)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new QualityAlert(check, value, threshold, comparison, row.WindowStart, row.WindowEnd, row.Partition, row.Grade, row.Score, row.RecordsIn, raisedAtMs);
    }

    /// <summary>What the cooldown is kept per: one check of one partition.</summary>
    public (string Check, int Partition) CooldownKey => (Check, Partition);

    public override string ToString() =>
        $"{Check} {Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} is {Comparison} the threshold " +
        $"{Threshold.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)} in window " +
        $"[{Sluice.Streaming.Time.EventTime.Format(WindowStart)}, {Sluice.Streaming.Time.EventTime.Format(WindowEnd)}) of partition {Partition} (grade {Grade}, score {Score.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {RecordsIn} records)";
}
