namespace Sluice.Streaming.Errors;

/// <summary>Stable reason codes the engine itself assigns. Never renamed once published.</summary>
public static class StreamReasonCodes
{
    /// <summary>The event's windows had all closed (watermark past end + allowed lateness) when it arrived.</summary>
    public const string WindowClosed = "window_closed";

    /// <summary>The event's session had been closed and emitted (watermark past its end + allowed lateness).</summary>
    public const string SessionClosed = "session_closed";

    /// <summary>A processor threw on this record; the exception type and message are in the detail.</summary>
    public const string ProcessingFailed = "processing_failed";

    /// <summary>Counter-name prefix for dead letters, followed by the reason code.</summary>
    public const string DeadLetterCounterPrefix = "dead_letters.";

    /// <summary>Counter-name prefix for late events, followed by the operator name.</summary>
    public const string LateCounterPrefix = "late_events.";
}
