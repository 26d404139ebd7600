using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Sinks;

namespace Sluice.App.Bench;

/// <summary>Latency of one place where records become visible: how many sampled events it saw, and the percentiles.</summary>
public sealed record LatencySummary(string Where, long Samples, TimeSpan P50, TimeSpan P99, TimeSpan Max);

/// <summary>
/// Latency from produce to visible for a sample of the click events: the producer side stamps the moment the generator hands
/// an event to the Kafka client; each place the event's enriched record becomes visible (the output reader reading it, a
/// sink's write of the batch holding it returning, i.e. committed) looks its event id up and records the difference.
/// </summary>
/// <remarks>
/// One event in <see cref="SampleEvery"/> is sampled, chosen by its event id, so the sample does not follow partitions or
/// time; a duplicate keeps its first stamp, and each place counts an event once (a replayed batch does not count twice).
/// Percentiles come from the sorted sample, so they are exact for it. Everything is thread-safe.
/// </remarks>
public sealed class LatencyProbe(string enrichedTopic)
{
    /// <summary>One event in this many is stamped.</summary>
    public const int SampleEvery = 16;

    private readonly ConcurrentDictionary<Guid, long> _produced = new();
    private readonly ConcurrentDictionary<string, Place> _places = new(StringComparer.Ordinal);

    /// <summary>Wraps the generator's writer so that it stamps sampled click events just before producing them.</summary>
    public ITrafficWriter WrapProducer(ITrafficWriter inner) => new StampingWriter(inner, this);

    /// <summary>Wraps a sink: records become visible at <paramref name="name"/> when its write of their batch returns.</summary>
    public ISink WrapSink(string name, ISink inner) => new VisibleOnWrite(inner, this, "sink " + name);

    /// <summary>Records that <paramref name="value"/>, read from <paramref name="topic"/>, is visible at <paramref name="where"/> now.</summary>
    public void Visible(string where, string topic, byte[]? value)
    {
        if (topic != enrichedTopic || value is null || !TryEventId(value, out var id)) return;
        if (!_produced.TryGetValue(id, out var at)) return;
        var now = Stopwatch.GetTimestamp();
        _places.GetOrAdd(where, _ => new Place()).Add(id, now - at);
    }

    /// <summary>Every place's latencies, in the order of their names.</summary>
    public IReadOnlyList<LatencySummary> Summaries() =>
        _places.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value.Summary(p.Key)).ToList();

    private static bool Sampled(Guid id) => (id.GetHashCode() & (SampleEvery - 1)) == 0;

    // Enriched records begin {"event_id":"<uuid>", (EnrichedEventJson); the generator's ids are UUIDs, so a UUID's key is the id.
    private static bool TryEventId(byte[] json, out Guid id)
    {
        ReadOnlySpan<byte> prefix = "{\"event_id\":\""u8;
        id = default;
        return json.AsSpan().StartsWith(prefix) && Utf8Parser.TryParse(json.AsSpan(prefix.Length), out id, out _) && Sampled(id);
    }

    private sealed class Place
    {
        private readonly Lock _gate = new();
        private readonly HashSet<Guid> _seen = [];
        private readonly List<long> _ticks = [];

        public void Add(Guid id, long ticks)
        {
            lock (_gate)
            {
                if (_seen.Add(id)) _ticks.Add(ticks);
            }
        }

        public LatencySummary Summary(string where)
        {
            long[] sorted;
            lock (_gate) sorted = [.. _ticks];
            Array.Sort(sorted);
            TimeSpan At(double q) => sorted.Length == 0 ? TimeSpan.Zero
                : Stopwatch.GetElapsedTime(0, sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)]);
            return new LatencySummary(where, sorted.Length, At(0.50), At(0.99), At(1.0));
        }
    }

    private sealed class StampingWriter(ITrafficWriter inner, LatencyProbe probe) : ITrafficWriter
    {
        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click && Sampled(record.EventId.Key)) probe._produced.TryAdd(record.EventId.Key, Stopwatch.GetTimestamp());
            inner.Write(record);
        }

        public void Flush(CancellationToken cancellationToken = default) => inner.Flush(cancellationToken);

        public void Dispose() => inner.Dispose();
    }

    private sealed class VisibleOnWrite(ISink inner, LatencyProbe probe, string where) : ISink
    {
        public string Name => inner.Name;

        public void Open(CancellationToken cancellationToken = default) => inner.Open(cancellationToken);

        public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default) =>
            inner.ReadOffsets(groupId, cancellationToken);

        public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
        {
            inner.Write(batch, cancellationToken);
            foreach (var r in batch.Records) probe.Visible(where, r.Topic, r.Value);
        }

        public void Dispose() => inner.Dispose();
    }
}
