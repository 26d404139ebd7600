using System.Runtime.InteropServices;
using Sluice.Core.Errors;
using Sluice.Streaming.Windows;

namespace Sluice.Streaming.State;

/// <summary>One session-store entry: key, the session's window and its aggregate.</summary>
public readonly record struct SessionEntry<TKey, TValue>(TKey Key, Window Window, TValue Value);

/// <summary>Open sessions per key, plus an index by end time so the sessions the watermark closes are found without a scan.</summary>
/// <remarks>
/// A key usually has one open session, sometimes a few (an out-of-order event can open an earlier one); they are
/// kept sorted by start. The end index is a heap with lazy updates: a session that grows keeps its old entry, which
/// is re-queued at the session's current end when it surfaces, so the heap holds about one entry per session
/// however often sessions grow. Ties on end are broken by queueing sequence, so the close order is deterministic. The owner enforces the entry limit (<see cref="IsOverCapacity"/>) by closing the
/// earliest-ending sessions early.
/// </remarks>
public sealed class SessionStore<TKey, TValue> : IStateStore where TKey : notnull
{
    private const int MaxSpareLists = 1024;

    private readonly Dictionary<TKey, List<Session>> _byKey;
    // A struct priority without a comparer object: the queue then compares through an inlined IComparable call.
    private readonly PriorityQueue<(TKey Key, Session Session), Due> _byEnd = new();
    private readonly Stack<List<Session>> _spareLists = new();
    private readonly int _maxEntries;
    private long _seq;
    private long _count;
    private long _evicted;

    public SessionStore(string name, int maxEntries, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (maxEntries < 1) ThrowHelper.ThrowConfiguration($"{name}.maxEntries", "must be at least 1");
        Name = name;
        _maxEntries = maxEntries;
        _byKey = new Dictionary<TKey, List<Session>>(comparer);
    }

    public string Name { get; }

    public long Count => _count;

    public long Evicted => _evicted;

    public bool IsOverCapacity => _count > _maxEntries;

    /// <summary>The open sessions of <paramref name="key"/>, sorted by start; null when there are none. Do not modify.</summary>
    public IReadOnlyList<Session>? SessionsOf(TKey key) => _byKey.TryGetValue(key, out var list) ? list : null;

    /// <summary>Adds a session for <paramref name="key"/>.</summary>
    public Session Add(TKey key, Window window, TValue value)
    {
        ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(_byKey, key, out _);
        list ??= _spareLists.TryPop(out var spare) ? spare : new List<Session>(1);
        var session = new Session(window, value);
        var i = list.Count;
        while (i > 0 && list[i - 1].Window.Start > window.Start) i--;
        list.Insert(i, session);
        _count++;
        Queue(key, session);
        return session;
    }

    /// <summary>Changes a session's window (it grew or merged) and its value.</summary>
    public void Update(TKey key, Session session, Window window, TValue value)
    {
        ArgumentNullException.ThrowIfNull(session);
        var startChanged = session.Window.Start != window.Start;
        session.Window = window;
        session.Value = value;
        // Most updates only move the end: the key's list (a hash lookup away) is needed only to re-sort by start.
        if (startChanged) _byKey[key].Sort(static (a, b) => a.Window.Start.CompareTo(b.Window.Start));
        // A later end is picked up when the old entry surfaces; only an earlier end (an end event) needs a new entry.
        if (window.End < session.QueuedEnd) Queue(key, session);
    }

    /// <summary>Removes a session (merged into another, or closed).</summary>
    public void Remove(TKey key, Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!_byKey.TryGetValue(key, out var list) || !list.Remove(session)) return;
        session.Removed = true;
        _count--;
        if (list.Count > 0) return;
        _byKey.Remove(key);
        // Most keys hold one session at a time: their lists are reused rather than left to the collector.
        if (_spareLists.Count < MaxSpareLists) _spareLists.Push(list);
    }

    /// <summary>The open session that ends first (ties: the one indexed first).</summary>
    public bool TryPeekEarliest(out TKey key, out Session session)
    {
        while (_byEnd.TryPeek(out var item, out var priority))
        {
            var s = item.Session;
            if (s.Removed || priority.End != s.QueuedEnd)
            {
                _byEnd.Dequeue(); // closed, or superseded by an earlier entry
                continue;
            }
            if (s.Window.End > priority.End)
            {
                _byEnd.Dequeue(); // the session grew since it was queued
                Queue(item.Key, s);
                continue;
            }
            key = item.Key;
            session = s;
            return true;
        }
        key = default!;
        session = null!;
        return false;
    }

    private void Queue(TKey key, Session session)
    {
        session.QueuedEnd = session.Window.End;
        _byEnd.Enqueue((key, session), new Due(session.Window.End, _seq++));
    }

    /// <summary>Records that sessions were closed before their time to respect the limit.</summary>
    public void CountEvicted(long sessions) => _evicted += sessions;

    /// <summary>Every open session, by key insertion order then start, for a snapshot.</summary>
    public IEnumerable<SessionEntry<TKey, TValue>> All()
    {
        foreach (var (key, list) in _byKey)
            foreach (var s in list) yield return new(key, s.Window, s.Value);
    }

    /// <summary>Loads sessions from a snapshot into an empty store.</summary>
    public void Restore(IEnumerable<SessionEntry<TKey, TValue>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        foreach (var e in entries) Add(e.Key, e.Window, e.Value);
    }

    public void Close()
    {
        _byKey.Clear();
        _spareLists.Clear();
        _byEnd.Clear();
        _count = 0;
    }

    /// <summary>An open session: its window [first event, last event + gap) and aggregate.</summary>
    public sealed class Session
    {
        internal Session(Window window, TValue value)
        {
            Window = window;
            Value = value;
        }

        public Window Window { get; internal set; }

        public TValue Value { get; internal set; }

        internal long QueuedEnd { get; set; }

        internal bool Removed { get; set; }
    }

    /// <summary>Heap order: end time, then queueing sequence, so that ties close in a deterministic order.</summary>
    private readonly record struct Due(long End, long Seq) : IComparable<Due>
    {
        public int CompareTo(Due other) => End != other.End ? End.CompareTo(other.End) : Seq.CompareTo(other.Seq);
    }
}
