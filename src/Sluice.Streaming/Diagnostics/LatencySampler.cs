using Sluice.Core.Diagnostics;

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

    private static readonly KeyValuePair<string, object?> FromEventTime = new("from", "event_time");
    private static readonly KeyValuePair<string, object?> FromProduceTime = new("from", "produce_time");

    /// <summary>Records one sample: from the record's event time (when it reported one) and from its Kafka timestamp (when it has one) to <paramref name="nowMs"/>.</summary>
    public static void Record(long nowMs, long? eventTimeMs, long produceTimeMs)
    {
        if (eventTimeMs is { } eventTime) StreamingInstruments.Latency.Record(LatencyBuckets.Between(eventTime, nowMs), FromEventTime);
        if (produceTimeMs > 0) StreamingInstruments.Latency.Record(LatencyBuckets.Between(produceTimeMs, nowMs), FromProduceTime);
    }
}
