using System.Runtime.InteropServices;
using Sluice.Core.Errors;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.State;

/// <summary>One key-value entry with the event time that decides when it expires.</summary>
public readonly record struct KeyValueEntry<TKey, TValue>(TKey Key, TValue Value, long Timestamp);

/// <summary>A key-value store whose entries expire a retention period of event time after their timestamp.</summary>
/// <remarks>
/// Keys are also listed in time segments (retention / <c>segments</c> wide), so expiry drops whole segments
/// instead of scanning every key, as in Kafka Streams' segmented stores. Memory is bounded twice: by time
/// (<see cref="AdvanceTime"/> evicts what is older than the retention) and by count (above
/// <c>maxEntries</c> the oldest segment is dropped early and counted in <see cref="Evicted"/>).
/// </remarks>
public sealed class KeyValueStore<TKey, TValue> : IStateStore where TKey : notnull
{
    private readonly Dictionary<TKey, Slot> _map;
    private readonly SortedDictionary<long, List<TKey>> _segments = [];
    private readonly long _retentionMs;
    private readonly long _segmentMs;
    private readonly int _maxEntries;
    private readonly Stack<List<TKey>> _spareSegments = new();
    private long _lastSegmentId = long.MinValue;
    private List<TKey>? _lastSegment;
    private long _firstSegmentId;
    private bool _firstSegmentKnown;
    private long _evicted;
    private readonly IStateSerde<TKey>? _keySerde;
    private readonly IStateSerde<TValue>? _valueSerde;

    /// <summary>A store keeping entries for <paramref name="retention"/> of event time; the serdes (built-in ones for common
    /// types when omitted) write keys and values to snapshots.</summary>
    public KeyValueStore(string name, TimeSpan retention, int maxEntries, int segments = 4, IEqualityComparer<TKey>? comparer = null,
        IStateSerde<TKey>? keySerde = null, IStateSerde<TValue>? valueSerde = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (retention <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{name}.retention", "must be positive");
        if (maxEntries < 1) ThrowHelper.ThrowConfiguration($"{name}.maxEntries", "must be at least 1");
        if (segments < 1) ThrowHelper.ThrowConfiguration($"{name}.segments", "must be at least 1");
        Name = name;
        _retentionMs = (long)retention.TotalMilliseconds;
        _segmentMs = Math.Max(1, _retentionMs / segments);
        _maxEntries = maxEntries;
        // Grown as entries arrive rather than sized up front: the hash buckets are read at random on every lookup, and
        // a table sized for the limit instead of the live entries spreads them over more cache than the entries need.
        _map = new Dictionary<TKey, Slot>(Math.Min(maxEntries, 1024), comparer);
        _keySerde = keySerde ?? StateSerdes.Default<TKey>();
        _valueSerde = valueSerde ?? StateSerdes.Default<TValue>();
    }

    public string Name { get; }

    /// <summary>False for a store that remembers what was seen rather than holding results to emit, so closing it loses nothing pending.</summary>
    public bool HoldsPendingResults { get; init; } = true;

    public long Count => _map.Count;

    public long Evicted => _evicted;

    /// <summary>Entries older than this (event time) have been or will be expired.</summary>
    public long ExpiredBefore { get; private set; } = EventTime.NoWatermark;

    public bool TryGet(TKey key, out TValue value)
    {
        if (_map.TryGetValue(key, out var slot))
        {
            value = slot.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Adds the entry unless the key is present; one hash lookup either way. Returns false for a present key.</summary>
    public bool TryAdd(TKey key, TValue value, long timestamp)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_map, key, out var exists);
        if (exists) return false;
        slot = new Slot(value, timestamp);
        Index(key, timestamp);
        if (_map.Count > _maxEntries) EvictOldestSegment();
        return true;
    }

    /// <summary>Inserts or replaces; the entry's expiry follows the new <paramref name="timestamp"/>.</summary>
    public void Put(TKey key, TValue value, long timestamp)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_map, key, out var exists);
        var reindex = !exists || SegmentOf(slot.Timestamp) != SegmentOf(timestamp);
        slot = new Slot(value, timestamp);
        if (reindex) Index(key, timestamp);
        if (_map.Count > _maxEntries) EvictOldestSegment();
    }

    public bool Delete(TKey key) => _map.Remove(key);

    /// <summary>Expires every entry whose timestamp is older than <paramref name="eventTime"/> minus the retention.</summary>
    public void AdvanceTime(long eventTime)
    {
        var cutoff = EventTime.Add(eventTime, -_retentionMs);
        if (cutoff <= ExpiredBefore) return;
        ExpiredBefore = cutoff;
        while (_segments.Count > 0)
        {
            var first = FirstSegment();
            // A segment goes only when all of it is past the cutoff, so nothing younger than the retention expires.
            if (EventTime.Add(first, _segmentMs) > cutoff) break;
            DropSegment(first);
        }
    }

    /// <summary>Every entry, for a snapshot; order follows insertion.</summary>
    public IEnumerable<KeyValueEntry<TKey, TValue>> All()
    {
        foreach (var (key, slot) in _map) yield return new(key, slot.Value, slot.Timestamp);
    }

    /// <summary>Loads entries from a snapshot into an empty store.</summary>
    public void Restore(IEnumerable<KeyValueEntry<TKey, TValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_map.Count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        foreach (var e in entries) Put(e.Key, e.Value, e.Timestamp);
    }

    /// <summary>The expiry cutoff, then every entry (key, value, timestamp) in enumeration order.</summary>
    /// <remarks>Segments are rebuilt on reading from the timestamps: a key listed in an older segment too (re-put later)
    /// never expires with it, so leaving that listing out changes nothing.</remarks>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (keys, values) = StateSerdes.Required(_keySerde, _valueSerde, Name);
        writer.WriteVarInt64(ExpiredBefore);
        writer.WriteCount(_map.Count);
        foreach (var (key, slot) in _map)
        {
            keys.Write(writer, key);
            values.Write(writer, slot.Value);
            writer.WriteVarInt64(slot.Timestamp);
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var (keys, values) = StateSerdes.Required(_keySerde, _valueSerde, Name);
        if (_map.Count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        ExpiredBefore = reader.ReadVarInt64();
        var count = reader.ReadCount();
        for (var i = 0; i < count; i++)
        {
            var key = keys.Read(ref reader);
            var value = values.Read(ref reader);
            var timestamp = reader.ReadVarInt64();
            if (_map.ContainsKey(key)) reader.Fail($"key '{key}' appears twice");
            Put(key, value, timestamp);
        }
    }

    public void Close()
    {
        _map.Clear();
        _segments.Clear();
        _spareSegments.Clear();
        _lastSegment = null;
        _firstSegmentKnown = false;
    }

    private long SegmentOf(long timestamp) => EventTime.FloorTo(timestamp, _segmentMs);

    private void Index(TKey key, long timestamp)
    {
        var id = SegmentOf(timestamp);
        if (id != _lastSegmentId || _lastSegment is null)
        {
            if (!_segments.TryGetValue(id, out var list))
            {
                _segments[id] = list = _spareSegments.TryPop(out var spare) ? spare : [];
                if (_firstSegmentKnown && id < _firstSegmentId) _firstSegmentId = id;
            }
            _lastSegmentId = id;
            _lastSegment = list;
        }
        _lastSegment.Add(key);
    }

    private long FirstSegment()
    {
        // Asked on every watermark move: a SortedDictionary enumerator allocates, so the answer is kept until that segment goes.
        if (!_firstSegmentKnown)
        {
            using var e = _segments.Keys.GetEnumerator();
            e.MoveNext();
            _firstSegmentId = e.Current;
            _firstSegmentKnown = true;
        }
        return _firstSegmentId;
    }

    private void EvictOldestSegment()
    {
        var before = _map.Count;
        while (_map.Count > _maxEntries && _segments.Count > 0) DropSegment(FirstSegment());
        _evicted += before - _map.Count;
    }

    private void DropSegment(long id)
    {
        var keys = _segments[id];
        _segments.Remove(id);
        if (id == _lastSegmentId) _lastSegment = null;
        if (_firstSegmentKnown && id == _firstSegmentId) _firstSegmentKnown = false;
        var next = EventTime.Add(id, _segmentMs);
        foreach (var key in keys)
        {
            // A key re-put with a later timestamp is listed in a later segment too; it stays. Removing first and
            // putting back that rare key costs one hash lookup per key instead of two; a comparison with the next
            // segment's start tells it without dividing the timestamp.
            if (_map.Remove(key, out var slot) && slot.Timestamp >= next) _map[key] = slot;
        }
        // The list keeps its capacity for the next segment: a steady stream re-uses the same few lists.
        keys.Clear();
        if (_spareSegments.Count < 2) _spareSegments.Push(keys);
    }

    private readonly record struct Slot(TValue Value, long Timestamp);
}
