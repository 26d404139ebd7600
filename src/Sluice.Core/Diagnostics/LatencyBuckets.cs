namespace Sluice.Core.Diagnostics;

/// <summary>What the end-to-end latency histograms of the processor and the sinks share: their buckets and how a lag becomes seconds.</summary>
public static class LatencyBuckets
{
    /// <summary>Upper bounds in seconds: milliseconds (a Kafka timestamp set at send time) to a year (generated traffic whose event times start at a fixed date in the past).</summary>
    public static IReadOnlyList<double> Seconds { get; } =
        [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 604800, 2592000, 31536000];

    /// <summary>Seconds from <paramref name="thenMs"/> to <paramref name="nowMs"/> (epoch milliseconds); zero when the clocks disagree and then is later.</summary>
    public static double Between(long thenMs, long nowMs) => Math.Max(0, nowMs - thenMs) / 1000.0;
}
