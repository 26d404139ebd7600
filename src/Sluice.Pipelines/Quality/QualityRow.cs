namespace Sluice.Pipelines.Quality;

/// <summary>One partition's data-quality report for one window, written once when the window closes, keyed by (window start, partition).</summary>
/// <remarks>
/// The counts are what readers add up across partitions and windows; the rates, score and grade are computed from this
/// row's counts alone (see <see cref="QualityScore"/>), so a reader combining rows recomputes them from the summed
/// counts rather than averaging rates.
/// </remarks>
/// <param name="RecordsIn">Input records counted in this window: <see cref="Valid"/> + <see cref="Invalid"/>.</param>
/// <param name="Valid">Records that passed decoding and validation: duplicates + bots + late + accepted.</param>
/// <param name="Invalid">Dead letters, the sum of <see cref="InvalidByReason"/>.</param>
/// <param name="InvalidByReason">Dead letters per reason code, ordered by reason.</param>
/// <param name="NullCounts">Valid events lacking each field of <see cref="QualityFields.Names"/>, in that order.</param>
/// <param name="IngestLagSumMs">Sum over accepted events of processing time minus event time.</param>
/// <param name="IngestLagMaxMs">The largest of those lags; null without accepted events.</param>
/// <param name="VolumeBaseline">Mean records in of this partition's windows among the previous N that had records; null when none had.</param>
public sealed record QualityRow(
    long WindowStart, long WindowEnd, int Partition,
    long RecordsIn, long Valid, long Invalid, long Duplicates, long Bots, long Late, long Accepted,
    IReadOnlyList<KeyValuePair<string, long>> InvalidByReason, IReadOnlyList<long> NullCounts,
    long IngestLagSumMs, long? IngestLagMaxMs, double? VolumeBaseline,
    double InvalidRate, double DuplicateRate, double LateRate, double BotRate, double Completeness,
    double Score, string Grade)
{
    /// <summary>Mean ingest lag of the accepted events; null without any.</summary>
    public double? IngestLagMeanMs => Accepted == 0 ? null : (double)IngestLagSumMs / Accepted;

    /// <summary>records in over <see cref="VolumeBaseline"/>; null without a baseline.</summary>
    public double? VolumeRatio => VolumeBaseline is > 0 and var b ? RecordsIn / b : null;

    /// <summary>Nulls of <paramref name="field"/> over valid events (0 without valid events).</summary>
    public double NullRate(string field)
    {
        var i = QualityFields.IndexOf(field);
        if (i < 0) throw new ArgumentException($"'{field}' is not a tracked field", nameof(field));
        return Valid == 0 ? 0 : (double)NullCounts[i] / Valid;
    }

    /// <summary>The Kafka key and the stores' identity.</summary>
    public QualityRowKey Key => new(WindowStart, Partition);
}

/// <summary>The Kafka key of a quality row, "{window start}|{partition}".</summary>
public readonly record struct QualityRowKey(long WindowStart, int Partition)
{
    public override string ToString() => $"{WindowStart}|{Partition}";
}
