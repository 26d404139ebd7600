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
public sealed class SessionStore<TKey, TValue> : IStateStore, ISessionCounter where TKey : notnull
{
    private readonly Dictionary<TKey, Session> _byKey;
    private readonly EndIndex _byEnd = new();
    private readonly int _maxEntries;
    private long _seq;
    private long _count;
    private long _evicted;
    private readonly IStateSerde<TKey>? _keySerde;
    private readonly IStateSerde<TValue>? _valueSerde;

    /// <summary>A store of at most <paramref name="maxEntries"/> open sessions; the serdes (built-in ones for common types
    /// when omitted) write keys and values to snapshots.</summary>
    public SessionStore(string name, int maxEntries, IEqualityComparer<TKey>? comparer = null,
        IStateSerde<TKey>? keySerde = null, IStateSerde<TValue>? valueSerde = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (maxEntries < 1) ThrowHelper.ThrowConfiguration($"{name}.maxEntries", "must be at least 1");
        Name = name;
        _maxEntries = maxEntries;
        _byKey = new Dictionary<TKey, Session>(comparer);
        _keySerde = keySerde ?? StateSerdes.Default<TKey>();
        _valueSerde = valueSerde ?? StateSerdes.Default<TValue>();
    }

    /// <summary>Writes keys to snapshots (the owning operator uses it for its own per-key state too); null when none was given.</summary>
    public IStateSerde<TKey>? KeySerde => _keySerde;

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
        while (_byEnd.TryPeek(out var s, out var end))
        {
            if (s.Removed || end != s.QueuedEnd)
            {
                _byEnd.Dequeue(); // closed, or superseded by an earlier entry
                continue;
            }
            if (s.Window.End > end)
            {
                // The session grew since it was queued: its entry moves down to its current end, in one pass.
                s.QueuedEnd = s.Window.End;
                _byEnd.ReplaceFirst(s, s.Window.End, _seq++);
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
        _byEnd.Enqueue(session, session.Window.End, _seq++);
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

    /// <summary>Every key's sessions in start order, then the end index's live entries with their sequence numbers.</summary>
    /// <remarks>The entries keep their sequence numbers, so sessions ending at the same time close in the same order after
    /// a restore. Entries the index would discard when they surface (closed or superseded sessions) are left out.</remarks>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (keys, values) = StateSerdes.Required(_keySerde, _valueSerde, Name);
        writer.WriteVarInt64(_seq);
        writer.WriteCount(_byKey.Count);
        var index = 0;
        foreach (var (key, first) in _byKey)
        {
            keys.Write(writer, key);
            var n = 0;
            for (var s = first; s is not null; s = s.Next) n++;
            writer.WriteCount(n);
            for (var s = first; s is not null; s = s.Next)
            {
                s.SnapshotIndex = index++;
                writer.WriteVarInt64(s.Window.Start);
                writer.WriteVarInt64(s.Window.End);
                writer.WriteVarInt64(s.QueuedEnd);
                values.Write(writer, s.Value);
            }
        }
        // In close order: the same index always writes the same bytes, and a sorted array is already a heap to read back.
        var live = new List<EndIndex.Entry>(_byEnd.Count);
        for (var i = 0; i < _byEnd.Count; i++)
            if (_byEnd.At(i) is var e && !e.Session.Removed && e.End == e.Session.QueuedEnd) live.Add(e);
        live.Sort(static (a, b) => a.End != b.End ? a.End.CompareTo(b.End) : a.Seq.CompareTo(b.Seq));
        writer.WriteCount(live.Count);
        foreach (var e in live)
        {
            writer.WriteVarInt64(e.End);
            writer.WriteVarInt64(e.Seq);
            writer.WriteCount(e.Session.SnapshotIndex);
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var (keys, values) = StateSerdes.Required(_keySerde, _valueSerde, Name);
        if (_count != 0) ThrowHelper.Throw($"state store '{Name}' must be empty before a restore");
        _seq = reader.ReadVarInt64();
        var keyCount = reader.ReadCount();
        var sessions = new List<Session>(keyCount);
        for (var k = 0; k < keyCount; k++)
        {
            var key = keys.Read(ref reader);
            var n = reader.ReadCount();
            if (n == 0) reader.Fail($"key '{key}' has no sessions");
            Session? head = null, tail = null;
            for (var i = 0; i < n; i++)
            {
                var window = new Window(reader.ReadVarInt64(), reader.ReadVarInt64());
                if (window.End < window.Start) reader.Fail($"a session of key '{key}' ends before it starts");
                var queuedEnd = reader.ReadVarInt64();
                var session = new Session(key, window, values.Read(ref reader)) { QueuedEnd = queuedEnd };
                if (tail is null) head = session;
                else if (tail.Window.Start > window.Start) reader.Fail($"the sessions of key '{key}' are not in start order");
                else tail.Next = session;
                tail = session;
                sessions.Add(session);
            }
            if (!_byKey.TryAdd(key, head!)) reader.Fail($"key '{key}' appears twice");
        }
        var entries = reader.ReadCount();
        var previous = new EndIndex.Entry(long.MinValue, -1, null!);
        for (var i = 0; i < entries; i++)
        {
            var end = reader.ReadVarInt64();
            var seq = reader.ReadVarInt64();
            var index = reader.ReadNonNegative();
            if (index >= sessions.Count) reader.Fail($"an end-index entry points to session {index} of {sessions.Count}");
            if (seq >= _seq) reader.Fail($"an end-index entry has sequence {seq}, not below the next ({_seq})");
            var entry = new EndIndex.Entry(end, seq, sessions[index]);
            if (!EndIndex.Less(previous, entry)) reader.Fail("the end index is not in close order");
            _byEnd.Append(entry);
            previous = entry;
        }
        _count = sessions.Count;
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

        /// <summary>This session's position while a snapshot is written, for the end index's entries to refer to.</summary>
        internal int SnapshotIndex { get; set; }
    }

    /// <summary>Sessions by end time, then queueing sequence (so ties close in a deterministic order): a four-way min-heap.</summary>
    /// <remarks>PriorityQueue's layout, with the comparison written out: in its code shared by every reference type,
    /// each comparison looked up the priority's comparer through the runtime, and closing a session compares some twenty
    /// times. The generator's <c>TimeQueue</c> is the same heap, and using it here was tried: 6 % more CPU per event in
    /// the engine benchmark (same-process A/B, 22 pairs). Likely why, not verified: its methods skip tiered compilation
    /// (for the generator's start-up) and with it the profile-guided optimisation this store gets. Its ties also follow
    /// PriorityQueue's order, not queueing order.</remarks>
    private sealed class EndIndex
    {
        private Entry[] _items = new Entry[64];
        private int _count;

        public int Count => _count;

        /// <summary>The entry at <paramref name="index"/> of the heap's array (any order), for a snapshot.</summary>
        public Entry At(int index) => _items[index];

        /// <summary>Adds an entry at the end of the array: entries appended in order form a heap (restoring a snapshot).</summary>
        public void Append(in Entry entry)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            _items[_count++] = entry;
        }

        public bool TryPeek(out Session session, out long end)
        {
            if (_count == 0)
            {
                session = null!;
                end = 0;
                return false;
            }
            session = _items[0].Session;
            end = _items[0].End;
            return true;
        }

        public void Enqueue(Session session, long end, long seq)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            var item = new Entry(end, seq, session);
            var items = _items;
            var i = _count++;
            while (i > 0)
            {
                var parent = (i - 1) >> 2;
                if (!Less(item, items[parent])) break;
                items[i] = items[parent];
                i = parent;
            }
            items[i] = item;
        }

        public void Dequeue()
        {
            var last = --_count;
            var item = _items[last];
            _items[last] = default;
            if (last > 0) MoveDown(item, last);
        }

        /// <summary>Dequeue and enqueue in one: the first entry is replaced and sinks to its place.</summary>
        public void ReplaceFirst(Session session, long end, long seq) => MoveDown(new Entry(end, seq, session), _count);

        public void Clear()
        {
            Array.Clear(_items, 0, _count);
            _count = 0;
        }

        private void MoveDown(Entry item, int count)
        {
            var items = _items;
            var i = 0;
            while (true)
            {
                var first = (i << 2) + 1;
                if (first >= count) break;
                var least = first;
                var stop = Math.Min(first + 4, count);
                for (var c = first + 1; c < stop; c++)
                    if (Less(items[c], items[least])) least = c;
                if (!Less(items[least], item)) break;
                items[i] = items[least];
                i = least;
            }
            items[i] = item;
        }

        public static bool Less(in Entry a, in Entry b) => a.End < b.End || (a.End == b.End && a.Seq < b.Seq);

        public readonly record struct Entry(long End, long Seq, Session Session);
    }
}
