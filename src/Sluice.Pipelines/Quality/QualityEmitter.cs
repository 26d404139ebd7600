using Sluice.Pipelines.Quality.Alerts;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Quality;

/// <summary>Turns each closed quality window into a <see cref="QualityRow"/>, with its volume baseline, and raises the alerts of its failed checks.</summary>
/// <remarks>
/// The baseline is the mean records in of this partition's windows among the <c>history</c> before this one that had
/// records, read from a key-value store of records in by window start (task state, so a restored task computes the same
/// baselines). Alerts go to an <see cref="IQualityAlertSink"/>, which never blocks.
/// </remarks>
public sealed class QualityEmitter(
    string volumeStore, TimeSpan window, int history, IReadOnlyList<int> requiredFields, QualityChecks checks, IQualityAlertSink? alerts,
    IProcessor<QualityRowKey, QualityRow> sink)
    : IProcessor<int, WindowResult<int, QualityAggregator.Acc>>
{
    private readonly long _sizeMs = (long)window.TotalMilliseconds;
    private KeyValueStore<long, long> _volumes = null!;
    private IProcessorContext _context = null!;

    /// <summary>The store of records in per window start this emitter needs, kept long enough for <paramref name="history"/> windows.</summary>
    public static KeyValueStore<long, long> VolumeStore(string name, TimeSpan window, int history) =>
        new(name, window * (history + 1), maxEntries: 2 * history + 4) { HoldsPendingResults = false };

    public void Init(IProcessorContext context)
    {
        _context = context;
        _volumes = context.GetStateStore<KeyValueStore<long, long>>(volumeStore);
    }

    public void Process(in Record<int, WindowResult<int, QualityAggregator.Acc>> record)
    {
        var result = record.Value;
        var start = result.Window.Start;
        long sum = 0;
        var windows = 0;
        for (var k = 1; k <= history; k++)
        {
            if (!_volumes.TryGet(start - k * _sizeMs, out var n)) continue;
            sum += n;
            windows++;
        }
        var counts = result.Result;
        _volumes.Put(start, counts.RecordsIn, start);
        _volumes.AdvanceTime(start);
        var row = QualityScore.Row(result.Window, result.Key, counts, windows == 0 ? null : (double)sum / windows, requiredFields);
        sink.Process(record.With(row.Key, row));
        if (alerts is null) return;
        foreach (var alert in checks.Evaluate(row, _context.NowMs)) alerts.Raise(alert);
    }

    public void Close()
    {
    }
}
