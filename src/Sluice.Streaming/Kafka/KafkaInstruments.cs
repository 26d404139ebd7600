using System.Diagnostics.Metrics;

namespace Sluice.Streaming.Kafka;

/// <summary>The Kafka client instruments (meter <c>Sluice.Kafka</c>): consumer lag per partition of every source attached.</summary>
/// <remarks>Observed when a reader collects, from <see cref="KafkaPartitionSource.Lag"/>, which the poll thread refreshes at each commit.</remarks>
public static class KafkaInstruments
{
    public const string MeterName = "Sluice.Kafka";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static KafkaPartitionSource[] _sources = [];

    static KafkaInstruments()
    {
        Meter.CreateObservableGauge("sluice.kafka.consumer.lag", ObserveLag, "{record}",
            "Records in the partition beyond the processor's position (log end minus position)");
    }

    /// <summary>Creates the instruments (once); call before a reader subscribes to <see cref="MeterName"/>.</summary>
    public static void EnsureCreated() => Meter.GetHashCode();

    /// <summary>Reports <paramref name="source"/>'s lag until it is detached.</summary>
    public static void Attach(KafkaPartitionSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (Gate) _sources = [.. _sources, source];
    }

    /// <summary>Stops reporting <paramref name="source"/>.</summary>
    public static void Detach(KafkaPartitionSource source)
    {
        lock (Gate) _sources = Array.FindAll(_sources, s => !ReferenceEquals(s, source));
    }

    /// <summary>The lag summed over every attached source's partitions; null when no source reported one yet.</summary>
    public static long? TotalLag
    {
        get
        {
            long? sum = null;
            foreach (var source in Volatile.Read(ref _sources))
                foreach (var lag in source.Lag.Values) sum = (sum ?? 0) + lag;
            return sum;
        }
    }

    private static IEnumerable<Measurement<long>> ObserveLag()
    {
        foreach (var source in Volatile.Read(ref _sources))
            foreach (var (tp, lag) in source.Lag)
                yield return new(lag, new KeyValuePair<string, object?>("topic", tp.Topic), new KeyValuePair<string, object?>("partition", tp.Partition));
    }
}
