using Sluice.Core.Errors;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>Fixed-size windows [start, start + size) aligned to the epoch, one starting every <see cref="AdvanceMs"/>.</summary>
/// <remarks>
/// Tumbling windows (<see cref="TumblingWindows.Of"/>) have advance = size; hopping windows
/// (<see cref="HoppingWindows.Of"/>) overlap and an event belongs to size / advance of them. A window's final result
/// is emitted when the watermark reaches <c>end + allowed lateness</c>; an event whose every window has reached that
/// point is late.
/// </remarks>
public sealed class TimeWindows
{
    internal TimeWindows(TimeSpan size, TimeSpan advance, TimeSpan allowedLateness)
    {
        SizeMs = ToMs("size", size);
        AdvanceMs = ToMs("advance", advance);
        if (AdvanceMs > SizeMs) ThrowHelper.ThrowConfiguration("window.advance", $"advance {advance} must not exceed the window size {size}");
        if (allowedLateness < TimeSpan.Zero) ThrowHelper.ThrowConfiguration("window.allowedLateness", "must be zero or positive");
        AllowedLatenessMs = (long)allowedLateness.TotalMilliseconds;
        // Panes of gcd(size, advance): every event is added to exactly one pane and windows are unions of panes.
        PaneMs = Gcd(SizeMs, AdvanceMs);
    }

    public long SizeMs { get; }

    public long AdvanceMs { get; }

    public long AllowedLatenessMs { get; }

    /// <summary>The slice every window is a whole number of.</summary>
    public long PaneMs { get; }

    public bool IsTumbling => SizeMs == AdvanceMs;

    /// <summary>The same windows, keeping state and accepting events for <paramref name="lateness"/> after the end.</summary>
    public TimeWindows WithAllowedLateness(TimeSpan lateness) =>
        new(TimeSpan.FromMilliseconds(SizeMs), TimeSpan.FromMilliseconds(AdvanceMs), lateness);

    /// <summary>The start of the last (latest) window containing <paramref name="timestamp"/>.</summary>
    public long LastWindowStart(long timestamp) => EventTime.FloorTo(timestamp, AdvanceMs);

    /// <summary>The start of the first (earliest) window containing <paramref name="timestamp"/>.</summary>
    public long FirstWindowStart(long timestamp) => EventTime.FloorTo(EventTime.Add(timestamp, -SizeMs), AdvanceMs) + AdvanceMs;

    /// <summary>Every window containing <paramref name="timestamp"/>, earliest first.</summary>
    public IEnumerable<Window> WindowsFor(long timestamp)
    {
        var last = LastWindowStart(timestamp);
        // Stops at the last start rather than stepping past the timestamp, which near the end of time would wrap around.
        for (var s = FirstWindowStart(timestamp); ; s += AdvanceMs)
        {
            yield return new Window(s, EventTime.Add(s, SizeMs));
            if (s >= last) yield break;
        }
    }

    public override string ToString() =>
        IsTumbling ? $"tumbling {TimeSpan.FromMilliseconds(SizeMs)}" : $"hopping {TimeSpan.FromMilliseconds(SizeMs)} by {TimeSpan.FromMilliseconds(AdvanceMs)}";

    private static long ToMs(string what, TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        if (ms <= 0) ThrowHelper.ThrowConfiguration($"window.{what}", $"{value} must be at least one millisecond");
        return ms;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}

/// <summary>Non-overlapping windows [k·size, (k+1)·size).</summary>
public static class TumblingWindows
{
    public static TimeWindows Of(TimeSpan size) => new(size, size, TimeSpan.Zero);
}

/// <summary>Overlapping windows of <c>size</c>, a new one every <c>advance</c> (Kafka Streams' hopping, Flink's sliding).</summary>
public static class HoppingWindows
{
    public static TimeWindows Of(TimeSpan size, TimeSpan advance) => new(size, advance, TimeSpan.Zero);
}

/// <summary>Per-key sessions: events closer than the inactivity gap share a session; optionally an end event closes one early.</summary>
/// <remarks>
/// An event at t opens or extends a session; the session's window is [first event, last event + gap), so an event
/// at exactly last + gap starts a new session. An event that bridges two sessions merges them. With an end event
/// (<see cref="WithEndEvent"/>) the session's end becomes the end event's time plus the timeout, later events start a
/// new session, and the timeout bounds how long stragglers from before the end event are still accepted.
/// </remarks>
public sealed class SessionWindows
{
    private SessionWindows(long gapMs, long latenessMs, long? endTimeoutMs)
    {
        GapMs = gapMs;
        AllowedLatenessMs = latenessMs;
        EndEventTimeoutMs = endTimeoutMs;
    }

    public long GapMs { get; }

    public long AllowedLatenessMs { get; }

    /// <summary>How long after an end event the session stays open for out-of-order stragglers; null when end events are not used.</summary>
    public long? EndEventTimeoutMs { get; }

    public static SessionWindows WithGap(TimeSpan inactivityGap)
    {
        var ms = (long)inactivityGap.TotalMilliseconds;
        if (ms <= 0) ThrowHelper.ThrowConfiguration("window.sessionGap", $"{inactivityGap} must be at least one millisecond");
        return new(ms, 0, null);
    }

    public SessionWindows WithAllowedLateness(TimeSpan lateness)
    {
        if (lateness < TimeSpan.Zero) ThrowHelper.ThrowConfiguration("window.allowedLateness", "must be zero or positive");
        return new(GapMs, (long)lateness.TotalMilliseconds, EndEventTimeoutMs);
    }

    /// <summary>Sessions also end at an end event (the operator decides which events are end events), closing <paramref name="timeout"/> after it.</summary>
    public SessionWindows WithEndEvent(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero) ThrowHelper.ThrowConfiguration("window.sessionEndTimeout", "must be zero or positive");
        return new(GapMs, AllowedLatenessMs, (long)timeout.TotalMilliseconds);
    }

    public override string ToString() => $"session gap {TimeSpan.FromMilliseconds(GapMs)}";
}
