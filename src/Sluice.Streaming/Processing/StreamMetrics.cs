using System.Collections.Concurrent;

namespace Sluice.Streaming.Processing;

/// <summary>A monotonically increasing count owned by one task thread; other threads may read it.</summary>
public sealed class Counter
{
    private long _value;

    internal Counter(string name) => Name = name;

    public string Name { get; }

    public long Value => Volatile.Read(ref _value);

    /// <summary>Adds one. Only the owning task's thread writes, so no interlocked operation is needed.</summary>
    public void Increment() => _value++;

    public void Add(long amount) => _value += amount;

    public override string ToString() => $"{Name}={Value}";
}

/// <summary>Named counters of one task (records in, dead letters by reason, late events, evictions...).</summary>
/// <remarks>Processors fetch their counters once in Init so that counting on the hot path is one increment.</remarks>
public sealed class StreamMetrics
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);

    /// <summary>The counter with this name, created at zero the first time.</summary>
    public Counter Counter(string name) => _counters.GetOrAdd(name, static n => new Counter(n));

    /// <summary>The current value of a counter; zero when it was never created.</summary>
    public long Get(string name) => _counters.TryGetValue(name, out var c) ? c.Value : 0;

    /// <summary>Every counter, sorted by name so reports are stable.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Snapshot()
    {
        var list = new List<KeyValuePair<string, long>>(_counters.Count);
        foreach (var (name, counter) in _counters) list.Add(new(name, counter.Value));
        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }
}
