using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Core.Errors;
using Sluice.Core.Memory;
using Sluice.Streaming.Windows;

namespace Sluice.Streaming.State;

/// <summary>One session-store entry: key, the session's window and its aggregate.</summary>
public readonly record struct SessionEntry<TKey, TValue>(TKey Key, Window Window, TValue Value);

/// <summary>Open sessions per key, plus an index by end time so the sessions the watermark closes are found without a scan.</summary>
/// <remarks>
/// A key usually has one open session, sometimes a few (an out-of-order event can open an earlier one); they form a
/// list linked through the sessions themselves, sorted by start, whose head is the key's dictionary value: finding a
/// key's sessions is one hash lookup and no list object. The end index is a heap with lazy updates: a session that
/// grows keeps its old entry, which is re-queued at the session's current end when it surfaces, so the heap holds
/// about one entry per session however often sessions grow. Ties on end are broken by queueing sequence, so the close
/// order is deterministic. The owner enforces the entry limit (<see cref="IsOverCapacity"/>) by closing the
/// earliest-ending sessions early.
/// </remarks>
public sealed class SessionStore<TKey, TValue> : IStateStore where TKey : notnull
{
    private readonly Dictionary<TKey, Session> _byKey;
    // A struct priority without a comparer object: the queue then compares through an inlined IComparable call.
    private readonly PriorityQueue<Session, Due> _byEnd = new();
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
        _byKey = new Dictionary<TKey, Session>(comparer);
    }

    public string Name { get; }

    public long Count => _count;

    public long Evicted => _evicted;

    public bool IsOverCapacity => _count > _maxEntries;

    /// <summary>The open session of <paramref name="key"/> that starts first, or null; the others follow through <see cref="Session.Next"/>, by start.</summary>
    public Session? FirstOf(TKey key) => _byKey.GetValueOrDefault(key);

    /// <summary>The open sessions of <paramref name="key"/>, sorted by start, as a new list; null when there are none.</summary>
    public IReadOnlyList<Session>? SessionsOf(TKey key)
    {
        if (FirstOf(key) is not { } first) return null;
        var list = new List<Session>();
        for (var s = first; s is not null; s = s.Next) list.Add(s);
        return list;
    }

    /// <summary>Adds a session for <paramref name="key"/>.</summary>
    public Session Add(TKey key, Window window, TValue value)
    {
        var session = new Session(key, window, value);
        Link(ref CollectionsMarshal.GetValueRefOrAddDefault(_byKey, key, out _), session);
        _count++;
        Queue(session);
        return session;
    }

    /// <summary>Changes a session's window (it grew or merged) and its value.</summary>
    public void Update(TKey key, Session session, Window window, TValue value)
    {
        ArgumentNullException.ThrowIfNull(session);
        session.Value = value;
        Move(key, session, window);
    }

    /// <summary>Changes a session's window (it grew or merged); its value was updated in place.</summary>
    public void Move(TKey key, Session session, Window window)
    {
        ArgumentNullException.ThrowIfNull(session);
        var startChanged = session.Window.Start != window.Start;
        session.Window = window;
        // Most updates only move the end: the key's list (a hash lookup away) is needed only to re-sort by start.
        if (startChanged)
        {
            ref var head = ref CollectionsMarshal.GetValueRefOrNullRef(_byKey, key);
            if (!Unsafe.IsNullRef(ref head) && Unlink(ref head!, session)) Link(ref head, session);
        }
        // A later end is picked up when the old entry surfaces; only an earlier end (an end event) needs a new entry.
        if (window.End < session.QueuedEnd) Queue(session);
    }

    /// <summary>Removes a session (merged into another, or closed).</summary>
    public void Remove(TKey key, Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        ref var head = ref CollectionsMarshal.GetValueRefOrNullRef(_byKey, key);
        if (Unsafe.IsNullRef(ref head) || !Unlink(ref head!, session)) return;
        session.Removed = true;
        _count--;
        if (head is null) _byKey.Remove(key);
        // A closing session is usually the earliest: its entry goes now, and the next earliest session, whose fields the
        // next close reads and which was written minutes of event time ago, starts loading while this one is emitted.
        if (_byEnd.TryPeek(out var earliest, out _) && ReferenceEquals(earliest, session))
        {
            _byEnd.Dequeue();
            if (_byEnd.TryPeek(out var next, out _)) CacheHints.Prefetch(next, lines: 2);
        }
    }

    /// <summary>The open session that ends first (ties: the one indexed first).</summary>
    public bool TryPeekEarliest(out TKey key, out Session session)
    {
        while (_byEnd.TryPeek(out var s, out var priority))
        {
            if (s.Removed || priority.End != s.QueuedEnd)
            {
                _byEnd.Dequeue(); // closed, or superseded by an earlier entry
                continue;
            }
            if (s.Window.End > priority.End)
            {
                _byEnd.Dequeue(); // the session grew since it was queued
                Queue(s);
                continue;
            }
            key = s.Key;
            session = s;
            return true;
        }
        key = default!;
        session = null!;
        return false;
    }

    // Inserts after the sessions that start at the same time or earlier, so equal starts keep their arrival order.
    private static void Link(ref Session? head, Session session)
    {
        if (head is null || head.Window.Start > session.Window.Start)
        {
            session.Next = head;
            head = session;
            return;
        }
        var previous = head;
        while (previous.Next is { } next && next.Window.Start <= session.Window.Start) previous = next;
        session.Next = previous.Next;
        previous.Next = session;
    }

    private static bool Unlink(ref Session? head, Session session)
    {
        if (ReferenceEquals(head, session))
        {
            head = session.Next;
            session.Next = null;
            return true;
        }
        for (var s = head; s is not null; s = s.Next)
        {
            if (!ReferenceEquals(s.Next, session)) continue;
            s.Next = session.Next;
            session.Next = null;
            return true;
        }
        return false;
    }

    private void Queue(Session session)
    {
        session.QueuedEnd = session.Window.End;
        _byEnd.Enqueue(session, new Due(session.Window.End, _seq++));
    }

    /// <summary>Records that sessions were closed before their time to respect the limit.</summary>
    public void CountEvicted(long sessions) => _evicted += sessions;

    /// <summary>Every open session, by key insertion order then start, for a snapshot.</summary>
    public IEnumerable<SessionEntry<TKey, TValue>> All()
    {
        foreach (var (key, first) in _byKey)
            for (var s = first; s is not null; s = s.Next) yield return new(key, s.Window, s.Value);
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
        _byEnd.Clear();
        _count = 0;
    }

    /// <summary>An open session: its key, its window [first event, last event + gap) and aggregate.</summary>
    public sealed class Session
    {
        private TValue _value;

        internal Session(TKey key, Window window, TValue value)
        {
            Key = key;
            Window = window;
            _value = value;
        }

        public TKey Key { get; }

        public Window Window { get; internal set; }

        public TValue Value { get => _value; internal set => _value = value; }

        /// <summary>The value in place, so that an owner holding a struct value updates it without copying it out and back.</summary>
        internal ref TValue ValueRef => ref _value;

        /// <summary>The key's next open session by start, or null.</summary>
        public Session? Next { get; internal set; }

        internal long QueuedEnd { get; set; }

        internal bool Removed { get; set; }
    }

    /// <summary>Heap order: end time, then queueing sequence, so that ties close in a deterministic order.</summary>
    private readonly record struct Due(long End, long Seq) : IComparable<Due>
    {
        public int CompareTo(Due other) => End != other.End ? End.CompareTo(other.End) : Seq.CompareTo(other.Seq);
    }
}
