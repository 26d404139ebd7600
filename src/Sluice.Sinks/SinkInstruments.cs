using System.Diagnostics.Metrics;
using Sluice.Core.Diagnostics;

namespace Sluice.Sinks;

/// <summary>The sinks' instruments (meter <c>Sluice.Sinks</c>): batch latency, rows, retries and circuit state of every running <see cref="SinkRunner"/>.</summary>
/// <remarks>Rows, retries and circuit state are observed when a reader collects; the batch duration is recorded once per batch
/// and the end-to-end latency for one stored row in <see cref="LatencySampleEvery"/>.</remarks>
public static class SinkInstruments
{
    public const string MeterName = "Sluice.Sinks";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Lock Gate = new();
    private static SinkRunner[] _runners = [];

    /// <summary>Seconds to write one batch, retries included.</summary>
    public static Histogram<double> BatchDuration { get; } =
        Meter.CreateHistogram<double>("sluice.sink.batch.duration", "s", "Time to write one batch to the store, retries included");

    /// <summary>One row in <see cref="LatencySampleEvery"/>: seconds from the output record's Kafka timestamp (the event time the processor gave it) to its batch being stored.</summary>
    public static Histogram<double> Latency { get; } =
        Meter.CreateHistogram("sluice.sink.latency", "s", "End-to-end latency to the store: from the output record's timestamp (its event time) to its batch being stored, one row in " + LatencySampleEvery,
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets.Seconds });

    /// <summary>One stored row in this many is measured for <see cref="Latency"/>.</summary>
    public const int LatencySampleEvery = 100;

    static SinkInstruments()
    {
        Meter.CreateObservableCounter("sluice.sink.rows", () => Observe(r => r.Written), "{row}", "Records written to the store");
        Meter.CreateObservableCounter("sluice.sink.retries", () => Observe(r => r.Retries), "{retry}", "Failed batch writes that were retried");
        Meter.CreateObservableGauge("sluice.sink.circuit.state", () => Observe(r => r.CircuitState), "{state}",
            "Circuit breaker: 0 closed, 1 open, 2 half-open");
    }

    /// <summary>Creates the instruments (once); call before a reader subscribes to <see cref="MeterName"/>.</summary>
    public static void EnsureCreated() => Meter.GetHashCode();

    /// <summary>The runners running now.</summary>
    public static IReadOnlyList<SinkRunner> Running => Volatile.Read(ref _runners);

    internal static void Attach(SinkRunner runner)
    {
        lock (Gate) _runners = [.. _runners, runner];
    }

    internal static void Detach(SinkRunner runner)
    {
        lock (Gate) _runners = Array.FindAll(_runners, r => !ReferenceEquals(r, runner));
    }

    private static IEnumerable<Measurement<long>> Observe(Func<SinkRunner, long> read)
    {
        foreach (var runner in Volatile.Read(ref _runners))
            yield return new(read(runner), new KeyValuePair<string, object?>("sink", runner.Name));
    }
}
