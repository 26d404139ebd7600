using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>Where a timestamp falls in a <see cref="TimeWindows"/>: its pane and the first and last window containing it, kept for the pane of the last call.</summary>
/// <remarks>
/// Records arrive nearly in time order, so most fall in the pane of the record before. The three divisions that
/// locate a pane (a 64-bit division costs tens of cycles) then run once per pane rather than once per record and
/// operator. Every answer is constant within a pane because the pane width divides both the size and the advance.
/// </remarks>
internal struct PaneLocator
{
    private long _start;
    private long _end;

    public PaneLocator()
    {
        _start = EventTime.EndOfTime; // an empty range: the first call locates
        _end = EventTime.NoWatermark;
    }

    /// <summary>Start of the pane of the last located timestamp.</summary>
    public long PaneStart { get; private set; }

    /// <summary>Start of the latest window containing the last located timestamp.</summary>
    public long LastWindowStart { get; private set; }

    /// <summary>Start of the earliest window containing the last located timestamp.</summary>
    public long FirstWindowStart { get; private set; }

    public void Locate(TimeWindows windows, long timestamp)
    {
        if (timestamp >= _start && timestamp < _end) return;
        _start = EventTime.FloorTo(timestamp, windows.PaneMs);
        _end = EventTime.Add(_start, windows.PaneMs);
        PaneStart = _start;
        LastWindowStart = windows.LastWindowStart(timestamp);
        FirstWindowStart = windows.FirstWindowStart(timestamp);
    }
}
