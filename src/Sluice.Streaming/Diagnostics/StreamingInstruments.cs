using System.Diagnostics.Metrics;
using Sluice.Core.Diagnostics;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Diagnostics;

/// <summary>The engine's instruments (meter <c>Sluice.Streaming</c>), read from <see cref="TaskTelemetry.Shared"/> when a reader collects.</summary>
/// <remarks>
/// Observable instruments only, except the checkpoint histograms (recorded once per checkpoint, not per record), so
/// the hot path is what it is without metrics: a plain increment of a task-owned counter. Names and units follow the
/// OpenTelemetry conventions; the Prometheus exporter turns <c>sluice.processor.records</c> into
/// <c>sluice_processor_records_total</c>.
/// </remarks>
public static class StreamingInstruments
{
    public const string MeterName = "Sluice.Streaming";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Seconds a round of task checkpoints took (snapshot and store), one measurement per round that wrote one.</summary>
    public static Histogram<double> CheckpointDuration { get; } =
        Meter.CreateHistogram<double>("sluice.checkpoint.duration", "s", "Time to snapshot and store one round of task checkpoints");

    /// <summary>Bytes of one task checkpoint.</summary>
    public static Histogram<long> CheckpointSize { get; } =
        Meter.CreateHistogram<long>("sluice.checkpoint.size", "By", "Size of one task's checkpoint");

    /// <summary>Seconds from an input record's event time (<c>from="event_time"</c>) or Kafka timestamp (<c>from="produce_time"</c>) to its outputs being sent; one record in <see cref="LatencySampler.Every"/>.</summary>
    public static Histogram<double> Latency { get; } =
        Meter.CreateHistogram("sluice.processor.latency", "s", "End-to-end latency to the processor's outputs, sampled: one input record in " + LatencySampler.Every,
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets.Seconds });

    static StreamingInstruments()
    {
        var tasks = TaskTelemetry.Shared;
        Meter.CreateObservableCounter("sluice.processor.records", () => PerTopicPartition(tasks), "{record}",
            "Input records processed, per topic and partition");
        Meter.CreateObservableCounter("sluice.processor.outputs", () => PerName(tasks, "records_out.", "topic"), "{record}",
            "Records sent to each output topic");
        Meter.CreateObservableCounter("sluice.processor.dead_letters", () => PerName(tasks, StreamReasonCodes.DeadLetterCounterPrefix, "reason"), "{record}",
            "Records routed to the dead-letter topic, per reason code");
        Meter.CreateObservableCounter("sluice.processor.late_records", () => PerName(tasks, StreamReasonCodes.LateCounterPrefix, "aggregate"), "{record}",
            "Records behind the watermark beyond the allowed lateness, per aggregate");
        Meter.CreateObservableGauge("sluice.processor.watermark.lag", () => WatermarkLag(tasks), "s",
            "Processing time minus the task's watermark, per partition");
        Meter.CreateObservableGauge("sluice.processor.windows.open", () => OpenWindows(tasks), "{window}",
            "Time windows holding entries, per store");
        Meter.CreateObservableGauge("sluice.processor.state.entries", () => StateEntries(tasks), "{entry}",
            "Entries in each state store (sessions for session stores)");
        Meter.CreateObservableGauge("sluice.processor.state.size", () => StateBytes(tasks), "By",
            "Estimated bytes in each state store: entries now times the encoded bytes per entry in the last checkpoint");
        Meter.CreateObservableGauge("sluice.processor.sessions.open", () => OpenSessions(tasks), "{session}",
            "Sessions open, per session store");
        Meter.CreateObservableGauge("sluice.processor.tasks", () => (long)tasks.LiveTasks.Count, "{task}",
            "Open tasks (assigned partition numbers)");
    }

    /// <summary>Creates the instruments (once); call before a reader subscribes to <see cref="MeterName"/>.</summary>
    public static void EnsureCreated() => _ = CheckpointDuration;

    private static IEnumerable<Measurement<long>> PerTopicPartition(TaskTelemetry tasks)
    {
        foreach (var ((topic, partition), value) in tasks.Counters(StreamTask.RecordsInTopicPrefix))
            yield return new(value, new KeyValuePair<string, object?>("topic", topic), new KeyValuePair<string, object?>("partition", partition));
    }

    private static IEnumerable<Measurement<long>> PerName(TaskTelemetry tasks, string prefix, string label)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ((name, _), value) in tasks.Counters(prefix)) sums[name] = sums.GetValueOrDefault(name) + value;
        foreach (var (name, value) in sums) yield return new(value, new KeyValuePair<string, object?>(label, name));
    }

    private static IEnumerable<Measurement<double>> WatermarkLag(TaskTelemetry tasks)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var task in tasks.LiveTasks)
        {
            var watermark = task.Watermark;
            // No watermark yet (no event seen) or the end of a bounded input: no lag to report.
            if (watermark <= 0 || watermark >= EventTime.EndOfTime) continue;
            yield return new((now - watermark) / 1000.0, new KeyValuePair<string, object?>("partition", task.TaskId.Partition));
        }
    }

    private static IEnumerable<Measurement<long>> OpenWindows(TaskTelemetry tasks)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var task in tasks.LiveTasks)
            foreach (var store in task.Stores)
                if (store is IWindowCounter windows) sums[store.Name] = sums.GetValueOrDefault(store.Name) + windows.WindowCount;
        foreach (var (name, value) in sums) yield return new(value, new KeyValuePair<string, object?>("store", name));
    }

    private static IEnumerable<Measurement<long>> StateEntries(TaskTelemetry tasks)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var task in tasks.LiveTasks)
            foreach (var store in task.Stores) sums[store.Name] = sums.GetValueOrDefault(store.Name) + store.Count;
        foreach (var (name, value) in sums) yield return new(value, new KeyValuePair<string, object?>("store", name));
    }

    private static IEnumerable<Measurement<long>> StateBytes(TaskTelemetry tasks)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var task in tasks.LiveTasks)
        {
            var stores = task.Stores;
            for (var i = 0; i < stores.Count; i++)
                if (task.EstimatedStateBytes(i) is { } bytes) sums[stores[i].Name] = sums.GetValueOrDefault(stores[i].Name) + bytes;
        }
        foreach (var (name, value) in sums) yield return new(value, new KeyValuePair<string, object?>("store", name));
    }

    private static IEnumerable<Measurement<long>> OpenSessions(TaskTelemetry tasks)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var task in tasks.LiveTasks)
            foreach (var store in task.Stores)
                if (store is ISessionCounter) sums[store.Name] = sums.GetValueOrDefault(store.Name) + store.Count;
        foreach (var (name, value) in sums) yield return new(value, new KeyValuePair<string, object?>("store", name));
    }
}
