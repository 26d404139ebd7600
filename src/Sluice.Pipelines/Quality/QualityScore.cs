using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Quality;

/// <summary>Rates, score and grade of a quality window, from its counts.</summary>
/// <remarks>
/// Every rate but the null rates is over records in; null rates are over valid events. The score weighs three
/// dimensions, each a share from 0 to 1: validity (valid / records in) <see cref="ValidityWeight"/>, completeness
/// (1 − nulls of the required fields / (required fields × valid events)) <see cref="CompletenessWeight"/> and
/// uniqueness (1 − duplicates / records in) <see cref="UniquenessWeight"/>, times 100, rounded to two decimals.
/// Bots, late events, ingest lag and volume have checks and alerts of their own but do not move the score.
/// </remarks>
public static class QualityScore
{
    public const double ValidityWeight = 0.4;
    public const double CompletenessWeight = 0.3;
    public const double UniquenessWeight = 0.3;

    /// <summary>The lowest score graded <see cref="Excellent"/>.</summary>
    public const double ExcellentFrom = 95;

    /// <summary>The lowest score graded <see cref="Acceptable"/>; below is <see cref="Poor"/>.</summary>
    public const double AcceptableFrom = 90;

    public const string Excellent = "EXCELLENT";
    public const string Acceptable = "ACCEPTABLE";
    public const string Poor = "POOR";

    /// <summary>EXCELLENT from 95, ACCEPTABLE from 90, POOR below.</summary>
    public static string Grade(double score) => score >= ExcellentFrom ? Excellent : score >= AcceptableFrom ? Acceptable : Poor;

    /// <summary>0 to 100 from the three dimensions' shares.</summary>
    public static double Score(double validity, double completeness, double uniqueness) =>
        Math.Round(100 * (ValidityWeight * validity + CompletenessWeight * completeness + UniquenessWeight * uniqueness), 2, MidpointRounding.AwayFromZero);

    /// <summary>1 − the required fields' nulls over (required fields × valid events); 1 without valid events or required fields.</summary>
    public static double Completeness(IReadOnlyList<long> nullCounts, long valid, IReadOnlyList<int> requiredFields)
    {
        ArgumentNullException.ThrowIfNull(nullCounts);
        ArgumentNullException.ThrowIfNull(requiredFields);
        if (valid == 0 || requiredFields.Count == 0) return 1;
        long nulls = 0;
        foreach (var i in requiredFields) nulls += nullCounts[i];
        return 1 - (double)nulls / ((double)requiredFields.Count * valid);
    }

    /// <summary>The row of one window's counts: rates, score and grade computed, the volume baseline as given.</summary>
    public static QualityRow Row(Window window, int partition, QualityAggregator.Acc counts, double? volumeBaseline, IReadOnlyList<int> requiredFields)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var invalid = counts.Invalid;
        var valid = counts.Valid;
        var n = counts.RecordsIn;
        double Rate(long count) => n == 0 ? 0 : (double)count / n;
        var reasons = counts.InvalidByReason.OrderBy(r => r.Key, StringComparer.Ordinal).ToArray();
        var nulls = (long[])counts.Nulls.Clone();
        var completeness = Completeness(nulls, valid, requiredFields);
        var score = Score(n == 0 ? 1 : Rate(valid), completeness, 1 - Rate(counts.Duplicates));
        return new QualityRow(window.Start, window.End, partition, n, valid, invalid, counts.Duplicates, counts.Bots, counts.Late, counts.Accepted,
            reasons, nulls, counts.IngestLagSumMs, counts.Accepted == 0 ? null : counts.IngestLagMaxMs, volumeBaseline,
            Rate(invalid), Rate(counts.Duplicates), Rate(counts.Late), Rate(counts.Bots), completeness, score, Grade(score));
    }
}
