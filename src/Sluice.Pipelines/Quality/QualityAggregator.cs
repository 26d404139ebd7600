using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Quality;

/// <summary>Counts one window's outcomes per partition: records in, dead letters by reason, duplicates, bots, late, nulls, ingest lag.</summary>
/// <remarks>Only counts, sums and a maximum: windows of several partitions (or panes) merge by adding them.</remarks>
public readonly struct QualityAggregator
    : IAggregator<QualityObservation, QualityAggregator.Acc, QualityAggregator.Acc>, IRecyclingAggregator<QualityAggregator.Acc>
{
    public Acc CreateAccumulator() => new();

    public void Reset(Acc accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        accumulator.RecordsIn = accumulator.Duplicates = accumulator.Bots = accumulator.Late = accumulator.Accepted = 0;
        accumulator.IngestLagSumMs = accumulator.IngestLagMaxMs = 0;
        accumulator.InvalidByReason.Clear();
        Array.Clear(accumulator.Nulls);
    }

    public Acc Add(Acc accumulator, in QualityObservation value, long timestamp)
    {
        accumulator.RecordsIn++;
        switch (value.Outcome)
        {
            case QualityOutcome.Invalid:
                var reason = value.Reason ?? "unknown";
                accumulator.InvalidByReason[reason] = accumulator.InvalidByReason.GetValueOrDefault(reason) + 1;
                return accumulator;
            case QualityOutcome.Duplicate:
                accumulator.Duplicates++;
                break;
            case QualityOutcome.Bot:
                accumulator.Bots++;
                break;
            case QualityOutcome.Late:
                accumulator.Late++;
                break;
            case QualityOutcome.Accepted:
                accumulator.Accepted++;
                accumulator.IngestLagSumMs += value.IngestLagMs;
                if (accumulator.Accepted == 1 || value.IngestLagMs > accumulator.IngestLagMaxMs) accumulator.IngestLagMaxMs = value.IngestLagMs;
                break;
        }
        if (value.Event is { } e) QualityFields.CountNulls(e, accumulator.Nulls);
        return accumulator;
    }

    public Acc Merge(Acc target, Acc source)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        if (source.Accepted > 0 && (target.Accepted == 0 || source.IngestLagMaxMs > target.IngestLagMaxMs)) target.IngestLagMaxMs = source.IngestLagMaxMs;
        target.RecordsIn += source.RecordsIn;
        target.Duplicates += source.Duplicates;
        target.Bots += source.Bots;
        target.Late += source.Late;
        target.Accepted += source.Accepted;
        target.IngestLagSumMs += source.IngestLagSumMs;
        foreach (var (reason, n) in source.InvalidByReason) target.InvalidByReason[reason] = target.InvalidByReason.GetValueOrDefault(reason) + n;
        for (var i = 0; i < target.Nulls.Length; i++) target.Nulls[i] += source.Nulls[i];
        return target;
    }

    public Acc GetResult(Acc accumulator, Window window) => accumulator;

    /// <summary>One window's counts; valid = duplicates + bots + late + accepted, and records in = valid + invalid.</summary>
    public sealed class Acc
    {
        public long RecordsIn { get; set; }
        public long Duplicates { get; set; }
        public long Bots { get; set; }
        public long Late { get; set; }
        public long Accepted { get; set; }
        /// <summary>Sum of the accepted events' ingest lags.</summary>
        public long IngestLagSumMs { get; set; }
        /// <summary>Largest ingest lag of an accepted event (0 without one).</summary>
        public long IngestLagMaxMs { get; set; }
        public Dictionary<string, long> InvalidByReason { get; } = new(StringComparer.Ordinal);
        /// <summary>Valid events lacking each tracked field, in <see cref="QualityFields.Names"/> order.</summary>
        public long[] Nulls { get; } = new long[QualityFields.Count];

        public long Invalid
        {
            get
            {
                long n = 0;
                foreach (var count in InvalidByReason.Values) n += count;
                return n;
            }
        }

        public long Valid => Duplicates + Bots + Late + Accepted;
    }
}
