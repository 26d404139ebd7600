using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>Routes records whose window has already closed to the late output, and forwards the rest.</summary>
/// <remarks>
/// Put in front of several windowed aggregates, it makes lateness one decision per record instead of one per
/// aggregate: with the finest windows of the topology, whatever passes is on time for every coarser window that
/// contains its window, and a late record is routed (and counted in <c>late_events.{name}</c>) exactly once.
/// The test is the aggregates' own: the latest window containing the record ends, plus the allowed lateness,
/// at or before the watermark.
/// </remarks>
public sealed class LateEventFilter<TKey, TValue>(string name, TimeWindows windows, IProcessor<TKey, TValue> next, IProcessor<TKey, LateRecord<TValue>> lateOutput)
    : IProcessor<TKey, TValue>
{
    private readonly TimeWindows _windows = windows ?? throw new ArgumentNullException(nameof(windows));
    private readonly IProcessor<TKey, TValue> _next = next ?? throw new ArgumentNullException(nameof(next));
    private readonly IProcessor<TKey, LateRecord<TValue>> _late = lateOutput ?? throw new ArgumentNullException(nameof(lateOutput));
    private PaneLocator _pane = new();
    private IProcessorContext _context = null!;
    private Counter _lateCount = null!;

    public void Init(IProcessorContext context)
    {
        _context = context;
        _lateCount = context.Metrics.Counter(StreamReasonCodes.LateCounterPrefix + name);
    }

    public void Process(in Record<TKey, TValue> record)
    {
        _pane.Locate(_windows, record.Timestamp);
        var lastStart = _pane.LastWindowStart;
        var lastEnd = EventTime.Add(lastStart, _windows.SizeMs);
        var watermark = _context.Watermark;
        if (EventTime.Add(lastEnd, _windows.AllowedLatenessMs) > watermark)
        {
            _next.Process(record);
            return;
        }
        _lateCount.Increment();
        _late.Process(record.With(record.Key, new LateRecord<TValue>(
            name, StreamReasonCodes.WindowClosed, record.Timestamp, lastStart, lastEnd, watermark, record.Source, record.Value)));
    }

    public void Close()
    {
    }
}
