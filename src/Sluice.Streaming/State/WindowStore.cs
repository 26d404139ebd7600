using System.Runtime.InteropServices;
using Sluice.Core.Errors;

namespace Sluice.Streaming.State;

/// <summary>One window-store entry: the window's start, the key and the value.</summary>
public readonly record struct WindowEntry<TKey, TValue>(long WindowStart, TKey Key, TValue Value);

/// <summary>Values keyed by (window start, key), grouped by window so a closing window is found and dropped at once.</summary>
/// <remarks>
/// Windows are kept in start order and, inside a window, keys in insertion order: enumeration is deterministic
/// for a given input order. The operator that owns the store removes a window when it closes; the store enforces
/// a hard entry limit that the operator checks with <see cref="IsOverCapacity"/> and answers by closing its
/// oldest windows early (counted there), so nothing leaves the store unseen.
/// </remarks>
public sealed class WindowStore<TKey, TValue> : IStateStore, IWindowCounter where TKey : notnull
{
    private readonly SortedDictionary<long, Dictionary<TKey, TValue>> _windows = [];
    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly int _maxEntries;
    private long _cachedStart = long.MinValue;
    private Dictionary<TKey, TValue>? _cached;
    private long _count;
    private long _evicted;
    private long _earliest = long.MaxValue;
    private bool _earliestKnown = true;

    /// <summary>A store of at most <paramref name="maxEntries"/> entries; the serdes (built-in ones for common types when
    /// omitted) write keys and values to snapshots.</summary>
    public WindowStore(string name, int maxEntries, IEqualityComparer<TKey>? comparer = null,
        IStateSerde<TKey>? keySerde = null, IStateSerde<TValue>? valueSerde = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (maxEntries < 1) ThrowHelper.ThrowConfiguration($"{name}.maxEntries", "must be at least 1");
        Name = name;
        _maxEntries = maxEntries;
        _comparer = comparer;
        KeySerde = keySerde ?? StateSerdes.Default<TKey>();
        ValueSerde = valueSerde ?? StateSerdes.Default<TValue>();
    }

    /// <summary>Writes keys to snapshots (the owning operator uses it for its own per-key state too); null when none was given.</summary>
    public IStateSerde<TKey>? KeySerde { get; }

    /// <summary>Writes values to snapshots; null when none was given.</summary>
    public IStateSerde<TValue>? ValueSerde { get; }

    public string Name { get; }

    public long Count => _count;

    public long Evicted => _evicted;

    /// <summary>Number of distinct window starts held.</summary>
    public int WindowCount => _windows.Count;

    /// <summary>True when the store holds more entries than its limit.</summary>
    public bool IsOverCapacity => _count > _maxEntries;

    /// <summary>A reference to the value of (start, key), added as default when absent; valid until the next change to that window.</summary>
    public ref TValue? GetValueRefOrAddDefault(long windowStart, TKey key, out bool exists)
    {
        var window = WindowOrCreate(windowStart);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(window, key, out exists);
        if (!exists) _count++;
        return ref slot;
    }

    public void Put(long windowStart, TKey key, TValue value) => GetValueRefOrAddDefault(windowStart, key, out _) = value;

    public bool TryGet(long windowStart, TKey key, out TValue value)
    {
        if (_windows.TryGetValue(windowStart, out var window) && window.TryGetValue(key, out value!)) return true;
        value = default!;
        return false;
    }

    /// <summary>The entries of one window in insertion order, or null when the window holds nothing.</summary>
    public IReadOnlyDictionary<TKey, TValue>? Window(long windowStart) =>
        _windows.TryGetValue(windowStart, out var window) ? window : null;

    /// <summary>The earliest window start held.</summary>
    public bool TryGetEarliest(out long windowStart)
    {
        // Asked after every watermark move: answered from a cached value, recomputed only after the earliest window went.
        if (!_earliestKnown)
        {
            _earliest = long.MaxValue;
            foreach (var start in _windows.Keys)
            {
                _earliest = start;
                break;
            }
            _earliestKnown = true;
        }
        windowStart = _earliest;
        return _windows.Count > 0;
    }

    /// <summary>Window starts in [from, to), ascending.</summary>
    public void CollectStarts(long from, long to, List<long> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var start in _windows.Keys)
        {
            if (start >= to) break;
            if (start >= from) into.Add(start);
        }
    }

    /// <summary>Drops a whole window (it closed).</summary>
    public bool RemoveWindow(long windowStart)
    {
        if (!_windows.Remove(windowStart, out var window)) return false;
        _count -= window.Count;
        if (windowStart == _cachedStart) _cached = null;
        if (windowStart == _earliest) _earliestKnown = false;
        return true;
    }

    /// <summary>Records that entries left before their time (the owner closed windows early to stay under the limit).</summary>
    public void CountEvicted(long entries) => _evicted += entries;

    /// <summary>Every entry, by window start then insertion order, for a snapshot.</summary>
    public IEnumerable<WindowEntry<TKey, TValue>> All()
    {
        foreach (var (start, window) in _windows)
            foreach (var (key, value) in window) yield return new(start, key, value);
    }

    /// <summary>Loads entries from a snapshot into an empty store.</summary>
    public void Restore(IEnumerable<WindowEntry<TKey, TValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        foreach (var e in entries) Put(e.WindowStart, e.Key, e.Value);
    }

    /// <summary>Every window by start, each with its entries in insertion order (the order a window's results are emitted in).</summary>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (keys, values) = StateSerdes.Required(KeySerde, ValueSerde, Name);
        writer.WriteCount(_windows.Count);
        foreach (var (start, window) in _windows)
        {
            writer.WriteVarInt64(start);
            writer.WriteCount(window.Count);
            foreach (var (key, value) in window)
            {
                keys.Write(writer, key);
                values.Write(writer, value);
            }
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var (keys, values) = StateSerdes.Required(KeySerde, ValueSerde, Name);
        if (_count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        var windows = reader.ReadCount();
        var previous = long.MinValue;
        for (var w = 0; w < windows; w++)
        {
            var start = reader.ReadVarInt64();
            if (w > 0 && start <= previous) reader.Fail($"window starts out of order ({start} after {previous})");
            previous = start;
            var entries = reader.ReadCount();
            if (entries == 0) reader.Fail($"window {start} is empty");
            for (var i = 0; i < entries; i++)
            {
                ref var slot = ref GetValueRefOrAddDefault(start, keys.Read(ref reader), out var exists);
                if (exists) reader.Fail($"a key appears twice in window {start}");
                slot = values.Read(ref reader);
            }
        }
    }

    public void Close()
    {
        _windows.Clear();
        _cached = null;
        _count = 0;
        _earliest = long.MaxValue;
        _earliestKnown = true;
    }

    private Dictionary<TKey, TValue> WindowOrCreate(long windowStart)
    {
        // Almost every record lands in the newest window: remember it and skip the tree walk.
        if (_cached is not null && windowStart == _cachedStart) return _cached;
        if (!_windows.TryGetValue(windowStart, out var window))
        {
            _windows[windowStart] = window = new Dictionary<TKey, TValue>(_comparer);
            if (_earliestKnown && windowStart < _earliest) _earliest = windowStart;
        }
        _cachedStart = windowStart;
        _cached = window;
        return window;
    }
}
