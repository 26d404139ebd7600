using Sluice.Core.Memory;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>The engine's bookkeeping around a session aggregate: the accumulator plus the event-time facts that decide its end.</summary>
/// <remarks>A struct held inside the store's session object: one object less to allocate and to reach per session.</remarks>
public struct SessionState<TAcc>(TAcc accumulator, long maxTimestamp)
{
    public TAcc Accumulator { readonly get; internal set; } = accumulator;

    /// <summary>Latest event time in the session.</summary>
    public long MaxTimestamp { readonly get; internal set; } = maxTimestamp;

    /// <summary>Time of the end event that ended the session, or null while it is open-ended.</summary>
    public long? EndedAt { readonly get; internal set; }
}

/// <summary>Writes a <see cref="SessionState{TAcc}"/> to snapshots: the accumulator through <paramref name="accumulator"/>, then the event-time facts.</summary>
public sealed class SessionStateSerde<TAcc>(IStateSerde<TAcc> accumulator) : IStateSerde<SessionState<TAcc>>
{
    private readonly IStateSerde<TAcc> _accumulator = accumulator ?? throw new ArgumentNullException(nameof(accumulator));

    public void Write(SnapshotWriter writer, in SessionState<TAcc> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _accumulator.Write(writer, value.Accumulator);
        writer.WriteVarInt64(value.MaxTimestamp);
        writer.WriteBoolean(value.EndedAt.HasValue);
        if (value.EndedAt is { } endedAt) writer.WriteVarInt64(endedAt);
    }

    public SessionState<TAcc> Read(ref SnapshotReader reader)
    {
        var state = new SessionState<TAcc>(_accumulator.Read(ref reader), reader.ReadVarInt64());
        if (reader.ReadBoolean()) state.EndedAt = reader.ReadVarInt64();
        return state;
    }
}

/// <summary>Aggregates records per key into sessions separated by an inactivity gap (or an end event) and emits each session once.</summary>
/// <remarks>
/// A session closes when the watermark reaches its end (last event + gap, or end event + timeout) plus the allowed
/// lateness; its result is emitted then, and a later event of the same key opens a new session: a new session never
/// overwrites an earlier one. A record that would open a session that is already closed goes to the late output, and
/// so does one that falls inside a session of its key that the watermark has closed, which a session of its own would overlap.
/// When the store passes its limit, the earliest-ending sessions are closed early (emitted, counted in
/// <c>sessions_closed_early.{name}</c>).
/// </remarks>
/// <typeparam name="TAggregator">The aggregator's own type: a struct aggregator has this operator compiled for it, as
/// for <see cref="WindowAggregateProcessor{TKey,TValue,TAcc,TResult,TAggregator}"/>.</typeparam>
public class SessionWindowProcessor<TKey, TValue, TAcc, TResult, TAggregator> : IProcessor<TKey, TValue>, IWatermarkListener, ISnapshotParticipant
    where TKey : notnull
    where TAggregator : IAggregator<TValue, TAcc, TResult>
{
    private const int MaxFreeAccumulators = 1024;

    private readonly string _name;
    private readonly SessionWindows _windows;
    private readonly TAggregator _aggregator;
    private readonly SessionStore<TKey, SessionState<TAcc>> _store;
    private readonly IProcessor<TKey, WindowResult<TKey, TResult>> _downstream;
    private readonly IProcessor<TKey, LateRecord<TValue>> _late;
    private readonly Func<TValue, bool>? _isEndEvent;
    private readonly EmitStrategy _emit;
    private readonly List<SessionStore<TKey, SessionState<TAcc>>.Session> _joined = [];
    private readonly IRecyclingAggregator<TAcc>? _recycler;
    private readonly Stack<TAcc> _free = new();
    // The last session the watermark closed, per key, kept while a record that passes the late test could still fall
    // inside it (until the watermark passes its end plus gap and lateness): such a record is late too, instead of
    // opening a session that overlaps one already emitted. Entries go in expiry order; a lingering one changes nothing.
    private readonly Dictionary<TKey, ClosedSession> _closed = [];
    private readonly Queue<(TKey Key, long Expires)> _closedExpiry = new();
    private IProcessorContext _context = null!;
    private RecordSource _origin;
    private Counter _lateCount = null!, _closedEarly = null!;

    public SessionWindowProcessor(
        string name, SessionWindows windows, TAggregator aggregator,
        SessionStore<TKey, SessionState<TAcc>> store, IProcessor<TKey, WindowResult<TKey, TResult>> downstream,
        IProcessor<TKey, LateRecord<TValue>> lateOutput, Func<TValue, bool>? isEndEvent = null,
        EmitStrategy emit = EmitStrategy.OnWindowClose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
        _windows = windows ?? throw new ArgumentNullException(nameof(windows));
        if (aggregator is null) throw new ArgumentNullException(nameof(aggregator));
        _aggregator = aggregator;
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _downstream = downstream ?? throw new ArgumentNullException(nameof(downstream));
        _late = lateOutput ?? throw new ArgumentNullException(nameof(lateOutput));
        if (isEndEvent is not null && windows.EndEventTimeoutMs is null)
            throw new ArgumentException("an end-event predicate needs SessionWindows.WithEndEvent(timeout)", nameof(isEndEvent));
        _isEndEvent = isEndEvent;
        _emit = emit;
        _recycler = aggregator as IRecyclingAggregator<TAcc>;
    }

    public void Init(IProcessorContext context)
    {
        _context = context;
        _origin = new RecordSource(_name, context.TaskId.Partition, -1);
        _lateCount = context.Metrics.Counter(StreamReasonCodes.LateCounterPrefix + _name);
        _closedEarly = context.Metrics.Counter("sessions_closed_early." + _name);
    }

    public string SnapshotName => _name;

    /// <summary>The session shape (checked on reading) and each key's memory of its last closed session, with its expiry
    /// queue; the open sessions are in the store's own section.</summary>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarInt64(_windows.GapMs);
        writer.WriteVarInt64(_windows.EndEventTimeoutMs ?? -1);
        writer.WriteCount(_closed.Count);
        writer.WriteCount(_closedExpiry.Count);
        if (_closed.Count == 0 && _closedExpiry.Count == 0) return;
        var keys = StateSerdes.Required(_store.KeySerde, _store.Name, "keys");
        foreach (var (key, c) in _closed)
        {
            keys.Write(writer, key);
            writer.WriteVarInt64(c.Start);
            writer.WriteVarInt64(c.End);
            writer.WriteVarInt64(c.JoinBefore);
            writer.WriteVarInt64(c.Expires);
        }
        foreach (var (key, expires) in _closedExpiry)
        {
            keys.Write(writer, key);
            writer.WriteVarInt64(expires);
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var gap = reader.ReadVarInt64();
        var timeout = reader.ReadVarInt64();
        var ours = _windows.EndEventTimeoutMs ?? -1;
        if (gap != _windows.GapMs || timeout != ours)
            reader.Fail($"written for sessions with a gap of {gap} ms and end-event timeout {timeout} ms, but this operator's are {_windows.GapMs} ms and {ours} ms (-1: none)");
        var closed = reader.ReadCount();
        var queued = reader.ReadCount();
        if (closed == 0 && queued == 0) return;
        var keys = StateSerdes.Required(_store.KeySerde, _store.Name, "keys");
        for (var i = 0; i < closed; i++)
        {
            var key = keys.Read(ref reader);
            var c = new ClosedSession(reader.ReadVarInt64(), reader.ReadVarInt64(), reader.ReadVarInt64(), reader.ReadVarInt64());
            if (!_closed.TryAdd(key, c)) reader.Fail($"key '{key}' has two closed sessions");
        }
        for (var i = 0; i < queued; i++) _closedExpiry.Enqueue((keys.Read(ref reader), reader.ReadVarInt64()));
    }

    public void Process(in Record<TKey, TValue> record)
    {
        var ts = record.Timestamp;
        var gap = _windows.GapMs;
        FindJoinable(record.Key, ts);

        SessionStore<TKey, SessionState<TAcc>>.Session session;
        if (_joined.Count == 0)
        {
            var end = EventTime.Add(ts, gap);
            var watermark = _context.Watermark;
            if (EventTime.Add(end, _windows.AllowedLatenessMs) <= watermark)
            {
                _lateCount.Increment();
                _late.Process(record.With(record.Key, new LateRecord<TValue>(
                    _name, StreamReasonCodes.SessionClosed, ts, ts, end, watermark, record.Source, record.Value)));
                return;
            }
            // A closed session took events before its join limit, and the watermark had passed that limit (less one
            // millisecond, for an ended session without timeout) when it closed: a record at or ahead of the watermark,
            // as nearly every new session's first is, cannot fall inside one, and skips the lookup.
            if (ts <= watermark && _closed.Count > 0 && _closed.TryGetValue(record.Key, out var closed) && ts < closed.JoinBefore)
            {
                _lateCount.Increment();
                _late.Process(record.With(record.Key, new LateRecord<TValue>(
                    _name, StreamReasonCodes.SessionClosed, ts, closed.Start, closed.End, watermark, record.Source, record.Value)));
                return;
            }
            session = _store.Add(record.Key, new Window(ts, end), NewState(ts));
        }
        else
        {
            session = _joined[0];
            for (var i = 1; i < _joined.Count; i++)
            {
                var other = _joined[i];
                ref var merged = ref session.ValueRef;
                merged.Accumulator = _aggregator.Merge(merged.Accumulator, other.Value.Accumulator);
                merged.MaxTimestamp = Math.Max(merged.MaxTimestamp, other.Value.MaxTimestamp);
                var start = Math.Min(session.Window.Start, other.Window.Start);
                _store.Move(record.Key, session, new Window(start, session.Window.End));
                _store.Remove(record.Key, other);
                Recycle(other.Value.Accumulator);
            }
            _joined.Clear();
        }

        ref var state = ref session.ValueRef;
        state.Accumulator = _aggregator.Add(state.Accumulator, record.Value, ts);
        if (ts > state.MaxTimestamp) state.MaxTimestamp = ts;
        if (state.EndedAt is null && _isEndEvent is not null && _isEndEvent(record.Value)) state.EndedAt = Math.Max(ts, state.MaxTimestamp);
        var newEnd = state.EndedAt is { } endedAt
            ? EventTime.Add(endedAt, _windows.EndEventTimeoutMs!.Value)
            : EventTime.Add(state.MaxTimestamp, gap);
        var window = new Window(Math.Min(session.Window.Start, ts), newEnd);
        if (window != session.Window) _store.Move(record.Key, session, window);

        _context.RequestWatermarkCallback(EventTime.Add(session.Window.End, _windows.AllowedLatenessMs));

        if (_emit == EmitStrategy.OnEveryUpdate) Emit(record.Key, session.Window, state, isFinal: false);
        while (_store.IsOverCapacity && _store.TryPeekEarliest(out var key, out var earliest))
        {
            CloseSession(key, earliest);
            _closedEarly.Increment();
            _store.CountEvicted(1);
        }
    }

    public long OnWatermark(long watermark)
    {
        while (_closedExpiry.TryPeek(out var expiring) && expiring.Expires <= watermark)
        {
            _closedExpiry.Dequeue();
            // One hash operation for the usual case; a key closed again since keeps its newer entry (put back).
            if (_closed.Remove(expiring.Key, out var c) && c.Expires != expiring.Expires) _closed[expiring.Key] = c;
        }
        while (_store.TryPeekEarliest(out var key, out var session))
        {
            var due = EventTime.Add(session.Window.End, _windows.AllowedLatenessMs);
            if (due > watermark)
            {
                // This session closes next, some records from now. Its key (hashed to remove it) and accumulator (read
                // into the summary) were written long ago and are out of cache: start loading them now.
                if (!typeof(TKey).IsValueType) CacheHints.Prefetch(key);
                if (!typeof(TAcc).IsValueType) CacheHints.Prefetch(session.Value.Accumulator, lines: 2);
                return due;
            }
            Remember(key, session);
            CloseSession(key, session);
        }
        return EventTime.EndOfTime;
    }

    public void Close()
    {
        _store.Close();
        _closed.Clear();
        _closedExpiry.Clear();
    }

    private void FindJoinable(TKey key, long ts)
    {
        _joined.Clear();
        var first = _store.FirstOf(key);
        if (first is null) return;
        var gap = _windows.GapMs;
        // An ended session takes only events up to its end event; it never merges with the sessions after it.
        for (var s = first; s is not null; s = s.Next)
        {
            if (s.Value.EndedAt is { } endedAt && ts <= endedAt && EventTime.Add(ts, gap) > s.Window.Start)
            {
                // First, so that the merge keeps its end. The event may also bridge it to open sessions before the end
                // event (their events arrived first and were too far from the ended session alone): they join it too.
                _joined.Add(s);
                for (var o = first; o is not null; o = o.Next)
                {
                    if (o.Value.EndedAt is null && o.Window.Start <= endedAt && ts < o.Window.End && EventTime.Add(ts, gap) > o.Window.Start)
                        _joined.Add(o);
                }
                return;
            }
        }
        for (var s = first; s is not null; s = s.Next)
        {
            if (s.Value.EndedAt is null && ts < s.Window.End && EventTime.Add(ts, gap) > s.Window.Start) _joined.Add(s);
        }
    }

    // Only sessions the watermark closed: after an early close (store limit) the key's next events must still count.
    private void Remember(TKey key, SessionStore<TKey, SessionState<TAcc>>.Session session)
    {
        // A gap session takes events before its end; an ended one, events up to its end event.
        var joinBefore = session.Value.EndedAt is { } endedAt ? EventTime.Add(endedAt, 1) : session.Window.End;
        var expires = EventTime.Add(EventTime.Add(joinBefore, _windows.GapMs), _windows.AllowedLatenessMs);
        _closed[key] = new ClosedSession(session.Window.Start, session.Window.End, joinBefore, expires);
        _closedExpiry.Enqueue((key, expires));
    }

    private void CloseSession(TKey key, SessionStore<TKey, SessionState<TAcc>>.Session session)
    {
        _store.Remove(key, session);
        Emit(key, session.Window, session.Value, isFinal: true);
        Recycle(session.Value.Accumulator);
    }

    // With a recycling aggregator, closed sessions' accumulators (long-lived, hence costly to collect) are reused.
    private SessionState<TAcc> NewState(long ts) =>
        new(_free.TryPop(out var accumulator) ? accumulator : _aggregator.CreateAccumulator(), ts);

    private void Recycle(TAcc accumulator)
    {
        if (_recycler is null || _free.Count >= MaxFreeAccumulators) return;
        _recycler.Reset(accumulator);
        _free.Push(accumulator);
    }

    private void Emit(TKey key, Window window, in SessionState<TAcc> state, bool isFinal) =>
        _downstream.Process(new Record<TKey, WindowResult<TKey, TResult>>(
            key, new WindowResult<TKey, TResult>(key, window, _aggregator.GetResult(state.Accumulator, window), isFinal),
            state.MaxTimestamp, _origin));

    private readonly record struct ClosedSession(long Start, long End, long JoinBefore, long Expires);
}

/// <summary>A <see cref="SessionWindowProcessor{TKey,TValue,TAcc,TResult,TAggregator}"/> over any aggregator, called through its interface.</summary>
public sealed class SessionWindowProcessor<TKey, TValue, TAcc, TResult>(
    string name, SessionWindows windows, IAggregator<TValue, TAcc, TResult> aggregator,
    SessionStore<TKey, SessionState<TAcc>> store, IProcessor<TKey, WindowResult<TKey, TResult>> downstream,
    IProcessor<TKey, LateRecord<TValue>> lateOutput, Func<TValue, bool>? isEndEvent = null,
    EmitStrategy emit = EmitStrategy.OnWindowClose)
    : SessionWindowProcessor<TKey, TValue, TAcc, TResult, IAggregator<TValue, TAcc, TResult>>(
        name, windows, aggregator, store, downstream, lateOutput, isEndEvent, emit)
    where TKey : notnull;
