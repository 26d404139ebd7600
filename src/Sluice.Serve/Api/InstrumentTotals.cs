using System.Diagnostics.Metrics;
using Sluice.Pipelines.Clickstream;
using Sluice.Sinks;
using Sluice.Streaming.Diagnostics;
using Sluice.Streaming.Kafka;

namespace Sluice.Serve.Api;

/// <summary>One sink's figures: rows written, retried batches, and its circuit (<c>closed</c>, <c>open</c>, <c>half-open</c>).</summary>
public sealed record SinkTotals(string Name, long Rows, long Retries, string Circuit);

/// <summary>The Sluice instruments at one moment, as the API reports them.</summary>
/// <param name="ConsumerLag">Summed over the partitions that report it; null while none does.</param>
/// <param name="WatermarkLagSeconds">The largest over the tasks; null while no task reports one.</param>
public sealed record InstrumentSnapshot(
    long RecordsIn, IReadOnlyDictionary<string, long> Outputs, long DeadLetters, long LateRecords, long Duplicates, long Bots,
    long? ConsumerLag, double? WatermarkLagSeconds, long OpenWindows, long StateEntries,
    long Checkpoints, double? LastCheckpointDurationMs, long? LastCheckpointSizeBytes, IReadOnlyList<SinkTotals> Sinks)
{
    /// <summary>Records sent to every output topic.</summary>
    public long OutputsTotal => Outputs.Values.Sum();
}

/// <summary>Reads every Sluice instrument through a <see cref="MeterListener"/>: the observable ones when <see cref="Read"/> asks, the checkpoint histograms as they are recorded.</summary>
/// <remarks>The same callbacks a Prometheus scrape runs; nothing is added to the processing path.</remarks>
public sealed class InstrumentTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    // The observations of the collection in progress: instrument name → (tags → value).
    private readonly Dictionary<string, Dictionary<string, (IReadOnlyDictionary<string, string> Tags, double Value)>> _observed = [];
    private long _checkpoints;
    private double? _lastCheckpointSeconds;
    private long? _lastCheckpointBytes;

    public InstrumentTotals()
    {
        StreamingInstruments.EnsureCreated();
        ClickstreamInstruments.EnsureCreated();
        KafkaInstruments.EnsureCreated();
        SinkInstruments.EnsureCreated();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ObserveServer.Meters.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Measured(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Measured(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Measured(i, v, tags));
        _listener.Start();
    }

    private void Measured(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_gate)
        {
            switch (instrument.Name)
            {
                case "sluice.checkpoint.size":
                    _checkpoints++;
                    _lastCheckpointBytes = (long)value;
                    return;
                case "sluice.checkpoint.duration":
                    _lastCheckpointSeconds = value;
                    return;
            }
            if (!instrument.IsObservable) return;
            var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var tag in tags) labels[tag.Key] = tag.Value?.ToString() ?? "";
            var key = string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));
            if (!_observed.TryGetValue(instrument.Name, out var byTags)) _observed[instrument.Name] = byTags = [];
            byTags[key] = (labels, value);
        }
    }

    /// <summary>Collects every observable instrument now.</summary>
    public InstrumentSnapshot Read()
    {
        lock (_gate)
        {
            _observed.Clear();
            _listener.RecordObservableInstruments();
            var outputs = Values("sluice.processor.outputs").GroupBy(v => v.Tags.GetValueOrDefault("topic") ?? "")
                .ToDictionary(g => g.Key, g => (long)g.Sum(v => v.Value), StringComparer.Ordinal);
            var lag = Values("sluice.kafka.consumer.lag").ToList();
            var watermark = Values("sluice.processor.watermark.lag").ToList();
            var sinks = Values("sluice.sink.rows").Select(v => v.Tags.GetValueOrDefault("sink") ?? "").Distinct().Order(StringComparer.Ordinal)
                .Select(name => new SinkTotals(name, (long)Sum("sluice.sink.rows", name), (long)Sum("sluice.sink.retries", name),
                    Sum("sluice.sink.circuit.state", name) switch { 1 => "open", 2 => "half-open", _ => "closed" }))
                .ToList();
            return new InstrumentSnapshot(
                (long)Total("sluice.processor.records"), outputs, (long)Total("sluice.processor.dead_letters"), (long)Total("sluice.processor.late_records"),
                (long)Total("sluice.clickstream.duplicates"), (long)Total("sluice.clickstream.bots"),
                lag.Count > 0 ? (long)lag.Sum(v => v.Value) : null, watermark.Count > 0 ? watermark.Max(v => v.Value) : null,
                (long)Total("sluice.processor.windows.open"), (long)Total("sluice.processor.state.entries"),
                _checkpoints, _lastCheckpointSeconds * 1000, _lastCheckpointBytes, sinks);
        }
    }

    private IEnumerable<(IReadOnlyDictionary<string, string> Tags, double Value)> Values(string name) =>
        _observed.TryGetValue(name, out var byTags) ? byTags.Values : [];

    private double Total(string name) => Values(name).Sum(v => v.Value);

    private double Sum(string name, string sink) => Values(name).Where(v => v.Tags.GetValueOrDefault("sink") == sink).Sum(v => v.Value);

    public void Dispose() => _listener.Dispose();
}
