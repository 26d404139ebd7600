namespace Sluice.Streaming.Diagnostics;

/// <summary>End-to-end latency of the processor: one input record in <see cref="Every"/> is measured, from its event time and from its Kafka timestamp to the moment its outputs were sent.</summary>
/// <remarks>
/// A task counts down on its own thread and records into <see cref="StreamingInstruments.Latency"/> when the count
/// reaches zero, so a record costs one decrement and one branch; the histogram's exporter aggregation runs for one
/// record in <see cref="Every"/>. The histogram's <c>_count</c> is therefore the number of samples, not of records.
/// </remarks>
public static class LatencySampler
{
    /// <summary>One input record in this many is measured.</summary>
    public const int Every = 100;

    /// <summary>Bucket upper bounds in seconds: milliseconds (a Kafka timestamp set at send time) to a day (generated traffic whose event times lie in the past).</summary>
    public static IReadOnlyList<double> Buckets { get; } =
        [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400];

    private static readonly KeyValuePair<string, object?> FromEventTime = new("from", "event_time");
    private static readonly KeyValuePair<string, object?> FromProduceTime = new("from", "produce_time");

    /// <summary>Seconds from <paramref name="thenMs"/> to <paramref name="nowMs"/> (epoch milliseconds); zero when the clocks disagree and then is later.</summary>
    public static double Seconds(long nowMs, long thenMs) => Math.Max(0, nowMs - thenMs) / 1000.0;

    /// <summary>Records one sample: from the record's event time (when it reported one) and from its Kafka timestamp (when it has one) to <paramref name="nowMs"/>.</summary>
    public static void Record(long nowMs, long? eventTimeMs, long produceTimeMs)
    {
        if (eventTimeMs is { } eventTime) StreamingInstruments.Latency.Record(Seconds(nowMs, eventTime), FromEventTime);
        if (produceTimeMs > 0) StreamingInstruments.Latency.Record(Seconds(nowMs, produceTimeMs), FromProduceTime);
    }
}
