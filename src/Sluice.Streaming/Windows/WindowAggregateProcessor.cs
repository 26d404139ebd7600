using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>Aggregates records per key over tumbling or hopping windows and emits each window's final result once.</summary>
/// <remarks>
/// Each record is added to exactly one pane (a slice of gcd(size, advance)); a window's result is the merge of its
/// panes, computed when the watermark reaches its end plus the allowed lateness. A pane is evicted when the last
/// window containing it has fired, so state is bounded by the open time span. A record whose every window has
/// closed goes to the late output with the window and the reason; a record some of whose windows have already
/// fired is counted in the remaining ones and in <c>late_partial.{name}</c>. When the store passes its entry
/// limit, the oldest windows are closed early (emitted as final, counted in <c>windows_closed_early.{name}</c>).
/// </remarks>
/// <typeparam name="TAggregator">The aggregator's own type: a struct aggregator has this operator compiled for it, its
/// <c>Add</c> called directly (and inlined) on every record rather than through the interface.</typeparam>
public class WindowAggregateProcessor<TKey, TValue, TAcc, TResult, TAggregator> : IProcessor<TKey, TValue>, IWatermarkListener, ISnapshotParticipant
    where TKey : notnull
    where TAggregator : IAggregator<TValue, TAcc, TResult>
{
    private const int MaxFreeAccumulators = 256;
    private const long NoSlide = long.MinValue;

    private readonly string _name;
    private readonly TimeWindows _windows;
    private readonly TAggregator _aggregator;
    private readonly IProcessor<TKey, WindowResult<TKey, TResult>> _downstream;
    private readonly IProcessor<TKey, LateRecord<TValue>> _late;
    private readonly EmitStrategy _emit;
    private readonly WindowStore<TKey, TAcc> _panes;
    private readonly Dictionary<TKey, TAcc> _merged;
    private readonly List<long> _starts = [];
    private readonly IRecyclingAggregator<TAcc>? _recycler;
    private readonly IInvertibleAggregator<TAcc>? _inverse;
    // Sliding state (hopping windows with an invertible aggregator): per key, the total of the panes in
    // [_slideStart, _mergedTo) and how many of those panes hold the key. Valid while _slideStart != NoSlide. The panes
    // from _mergedTo to the next window's end are merged in when it fires: a pane still filling takes each record once,
    // and is merged once, per key, rather than every record being added to the pane and to the total.
    private readonly Dictionary<TKey, Sliding> _sliding;
    private long _slideStart = NoSlide;
    private long _mergedTo = NoSlide;
    private readonly Stack<TAcc> _free = new();
    private PaneLocator _pane = new();
    private IProcessorContext _context = null!;
    private RecordSource _origin;
    private long _lastFiredStart = long.MinValue;
    // No window fires before this watermark: a lower bound of the earliest pane's due time, lowered as records arrive and
    // recomputed after firing; unknown (the lowest time) until the first call, so restored panes are found too. Every
    // operator is called whenever any of them has work (sessions close every few records), and most calls then cost
    // this one comparison instead of finding the earliest pane and dividing.
    private long _nextDue = EventTime.NoWatermark;
    // Marks the running totals emitted by the current fire (each key once, in pane order).
    private long _fires;
    private Counter _lateCount = null!, _partialCount = null!, _closedEarly = null!;

    public WindowAggregateProcessor(
        string name, TimeWindows windows, TAggregator aggregator, WindowStore<TKey, TAcc> store,
        IProcessor<TKey, WindowResult<TKey, TResult>> downstream, IProcessor<TKey, LateRecord<TValue>> lateOutput,
        EmitStrategy emit = EmitStrategy.OnWindowClose, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
        _windows = windows ?? throw new ArgumentNullException(nameof(windows));
        if (aggregator is null) throw new ArgumentNullException(nameof(aggregator));
        _aggregator = aggregator;
        _panes = store ?? throw new ArgumentNullException(nameof(store));
        _downstream = downstream ?? throw new ArgumentNullException(nameof(downstream));
        _late = lateOutput ?? throw new ArgumentNullException(nameof(lateOutput));
        _emit = emit;
        _merged = new Dictionary<TKey, TAcc>(comparer);
        _recycler = aggregator as IRecyclingAggregator<TAcc>;
        _sliding = new Dictionary<TKey, Sliding>(comparer);
        if (!windows.IsTumbling && emit == EmitStrategy.OnWindowClose) _inverse = aggregator as IInvertibleAggregator<TAcc>;
    }

    public string Name => _name;

    public string SnapshotName => _name;

    /// <summary>The window shape (checked on reading), what has fired, the next due time and the sliding running totals;
    /// the panes are in the store's own section.</summary>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarInt64(_windows.SizeMs);
        writer.WriteVarInt64(_windows.AdvanceMs);
        writer.WriteVarInt64(_lastFiredStart);
        writer.WriteVarInt64(_nextDue);
        writer.WriteVarInt64(_slideStart);
        writer.WriteVarInt64(_mergedTo);
        writer.WriteCount(_sliding.Count);
        if (_sliding.Count == 0) return;
        var (keys, values) = StateSerdes.Required(_panes.KeySerde, _panes.ValueSerde, _panes.Name);
        foreach (var (key, total) in _sliding)
        {
            keys.Write(writer, key);
            writer.WriteCount(total.Panes);
            values.Write(writer, total.Total);
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var size = reader.ReadVarInt64();
        var advance = reader.ReadVarInt64();
        if (size != _windows.SizeMs || advance != _windows.AdvanceMs)
            reader.Fail($"written for windows of {size} ms advancing by {advance} ms, but this operator's are {_windows.SizeMs} ms by {_windows.AdvanceMs} ms");
        _lastFiredStart = reader.ReadVarInt64();
        _nextDue = reader.ReadVarInt64();
        _slideStart = reader.ReadVarInt64();
        _mergedTo = reader.ReadVarInt64();
        var count = reader.ReadCount();
        if (count == 0) return;
        var (keys, values) = StateSerdes.Required(_panes.KeySerde, _panes.ValueSerde, _panes.Name);
        for (var i = 0; i < count; i++)
        {
            var key = keys.Read(ref reader);
            var panes = reader.ReadNonNegative();
            if (!_sliding.TryAdd(key, new Sliding(values.Read(ref reader), panes))) reader.Fail($"key '{key}' appears twice in the running totals");
        }
    }

    public void Init(IProcessorContext context)
    {
        _context = context;
        _origin = new RecordSource(_name, context.TaskId.Partition, -1);
        _lateCount = context.Metrics.Counter(StreamReasonCodes.LateCounterPrefix + _name);
        _partialCount = context.Metrics.Counter("late_partial." + _name);
        _closedEarly = context.Metrics.Counter("windows_closed_early." + _name);
    }

    public void Process(in Record<TKey, TValue> record)
    {
        var ts = record.Timestamp;
        _pane.Locate(_windows, ts);
        var lastStart = _pane.LastWindowStart;
        var lastEnd = EventTime.Add(lastStart, _windows.SizeMs);
        var watermark = _context.Watermark;
        if (lastStart <= _lastFiredStart || EventTime.Add(lastEnd, _windows.AllowedLatenessMs) <= watermark)
        {
            _lateCount.Increment();
            _late.Process(record.With(record.Key, new LateRecord<TValue>(
                _name, StreamReasonCodes.WindowClosed, ts, lastStart, lastEnd, watermark, record.Source, record.Value)));
            return;
        }
        if (!_windows.IsTumbling && _pane.FirstWindowStart <= _lastFiredStart) _partialCount.Increment();

        var paneStart = _pane.PaneStart;
        ref var acc = ref _panes.GetValueRefOrAddDefault(paneStart, record.Key, out var exists);
        if (!exists) acc = NewAccumulator();
        acc = _aggregator.Add(acc!, record.Value, ts);
        if (paneStart < _mergedTo && paneStart >= _slideStart)
        {
            // A record for a pane already in the running total (late, but not too late for the next window).
            ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(_sliding, record.Key, out var tracked);
            if (!tracked) total = new Sliding(NewAccumulator(), 0);
            if (!exists) total.Panes++;
            total.Total = _aggregator.Add(total.Total, record.Value, ts);
        }

        var due = DueTimeOfFirstWindow(_pane.FirstWindowStart);
        if (due < _nextDue) _nextDue = due;
        _context.RequestWatermarkCallback(due);

        if (_emit == EmitStrategy.OnEveryUpdate) EmitUpdates(record.Key, ts);
        if (!_panes.IsOverCapacity) return;
        while (_panes.IsOverCapacity && _panes.Count > 0) CloseEarliest(force: true, EventTime.EndOfTime);
        _nextDue = _panes.TryGetEarliest(out var earliest) ? DueTime(earliest) : EventTime.EndOfTime;
    }

    public long OnWatermark(long watermark)
    {
        if (watermark < _nextDue) return _nextDue;
        while (_panes.Count > 0 && CloseEarliest(force: false, watermark))
        {
        }
        return _nextDue = _panes.TryGetEarliest(out var pane) ? DueTime(pane) : EventTime.EndOfTime;
    }

    public void Close()
    {
        _nextDue = EventTime.NoWatermark;
        _panes.Close();
        _sliding.Clear();
        _slideStart = _mergedTo = NoSlide;
    }

    /// <summary>The watermark at which the earliest unfired window containing <paramref name="paneStart"/> fires.</summary>
    private long DueTime(long paneStart) => DueTimeOfFirstWindow(_windows.FirstWindowStart(paneStart));

    private long DueTimeOfFirstWindow(long firstWindowStart)
    {
        var start = Math.Max(firstWindowStart, EventTime.Add(_lastFiredStart, _windows.AdvanceMs));
        return EventTime.Add(EventTime.Add(start, _windows.SizeMs), _windows.AllowedLatenessMs);
    }

    /// <summary>Fires the earliest window still holding data if it is due (or <paramref name="force"/>d); false when nothing was due.</summary>
    private bool CloseEarliest(bool force, long watermark)
    {
        if (!_panes.TryGetEarliest(out var earliestPane)) return false;
        if (!force && DueTime(earliestPane) > watermark) return false;
        var start = Math.Max(_windows.FirstWindowStart(earliestPane), EventTime.Add(_lastFiredStart, _windows.AdvanceMs));
        var end = EventTime.Add(start, _windows.SizeMs);

        var before = _panes.Count;
        Fire(start, end);
        _lastFiredStart = start;
        // A pane goes once the last window containing it (the one starting at its floor to the advance) has fired.
        while (_panes.TryGetEarliest(out var pane) && _windows.LastWindowStart(pane) <= start)
        {
            if (_recycler is not null) RecycleAll(_panes.Window(pane));
            _panes.RemoveWindow(pane);
        }
        if (force)
        {
            _closedEarly.Increment();
            _panes.CountEvicted(before - _panes.Count);
        }
        return true;
    }

    private void Fire(long start, long end)
    {
        var window = new Window(start, end);
        var ts = end - 1;
        if (_windows.IsTumbling)
        {
            var entries = _panes.Window(start);
            if (entries is null) return;
            foreach (var (key, acc) in entries) Emit(key, window, _aggregator.GetResult(acc, window), ts, isFinal: true);
            return;
        }
        if (_inverse is not null)
        {
            FireSliding(start, end, window, ts);
            return;
        }
        MergePanes(start, end, default!, allKeys: true);
        foreach (var (key, acc) in _merged) Emit(key, window, _aggregator.GetResult(acc, window), ts, isFinal: true);
        ClearMerged();
    }

    /// <summary>Emits the running totals of [start, end), then slides them to the next window: minus the panes leaving.</summary>
    private void FireSliding(long start, long end, Window window, long ts)
    {
        if (_slideStart != start)
        {
            // First window, or windows skipped for lack of data: the totals start again from the window's first pane.
            ClearSliding();
            _slideStart = _mergedTo = start;
        }
        // The panes that entered the window since the last one fired.
        _starts.Clear();
        _panes.CollectStarts(_mergedTo, end, _starts);
        foreach (var paneStart in _starts) AddPaneToSliding(paneStart);
        _mergedTo = end;
        // Keys in the order they first appear in the window's panes, as the other window kinds emit them: an order the
        // panes decide, not the totals' table, whose order follows its history and so differs in a task restored from a snapshot.
        var fire = ++_fires;
        _starts.Clear();
        _panes.CollectStarts(start, end, _starts);
        foreach (var paneStart in _starts)
        {
            foreach (var key in _panes.Window(paneStart)!.Keys)
            {
                ref var total = ref CollectionsMarshal.GetValueRefOrNullRef(_sliding, key);
                if (Unsafe.IsNullRef(ref total) || total.Fired == fire) continue;
                total.Fired = fire;
                Emit(key, window, _aggregator.GetResult(total.Total, window), ts, isFinal: true);
            }
        }

        var next = EventTime.Add(start, _windows.AdvanceMs);
        _starts.Clear();
        _panes.CollectStarts(start, next, _starts);
        foreach (var paneStart in _starts)
        {
            foreach (var (key, acc) in _panes.Window(paneStart)!)
            {
                ref var total = ref CollectionsMarshal.GetValueRefOrNullRef(_sliding, key);
                total.Total = _inverse!.Subtract(total.Total, acc);
                if (--total.Panes > 0) continue;
                Recycle(total.Total);
                _sliding.Remove(key);
            }
        }
        _slideStart = next;
    }

    private void AddPaneToSliding(long paneStart)
    {
        foreach (var (key, acc) in _panes.Window(paneStart)!)
        {
            ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(_sliding, key, out var tracked);
            if (!tracked) total = new Sliding(NewAccumulator(), 0);
            total.Panes++;
            total.Total = _aggregator.Merge(total.Total, acc);
        }
    }

    private void ClearSliding()
    {
        foreach (var total in _sliding.Values) Recycle(total.Total);
        _sliding.Clear();
    }

    private void Recycle(TAcc acc)
    {
        if (_recycler is null || _free.Count >= MaxFreeAccumulators) return;
        _recycler.Reset(acc);
        _free.Push(acc);
    }

    private void EmitUpdates(TKey key, long ts)
    {
        var first = Math.Max(_windows.FirstWindowStart(ts), EventTime.Add(_lastFiredStart, _windows.AdvanceMs));
        var last = _windows.LastWindowStart(ts);
        // Stops at the last start rather than stepping past ts, which near the end of time would wrap around and never end.
        for (var start = first; start <= last; start += _windows.AdvanceMs)
        {
            var window = new Window(start, EventTime.Add(start, _windows.SizeMs));
            MergePanes(window.Start, window.End, key, allKeys: false);
            if (_merged.TryGetValue(key, out var acc)) Emit(key, window, _aggregator.GetResult(acc, window), window.End - 1, isFinal: false);
            ClearMerged();
            if (start == last) break;
        }
    }

    private void MergePanes(long start, long end, TKey onlyKey, bool allKeys)
    {
        _starts.Clear();
        _panes.CollectStarts(start, end, _starts);
        foreach (var paneStart in _starts)
        {
            var entries = _panes.Window(paneStart)!;
            if (allKeys)
            {
                foreach (var (key, acc) in entries) MergeInto(key, acc);
            }
            else if (entries.TryGetValue(onlyKey, out var acc))
            {
                MergeInto(onlyKey, acc);
            }
        }
    }

    private void MergeInto(TKey key, TAcc source)
    {
        ref var target = ref CollectionsMarshal.GetValueRefOrAddDefault(_merged, key, out var exists);
        if (!exists) target = NewAccumulator();
        target = _aggregator.Merge(target!, source);
    }

    private TAcc NewAccumulator() => _free.TryPop(out var acc) ? acc : _aggregator.CreateAccumulator();

    private void ClearMerged()
    {
        if (_recycler is not null) RecycleAll(_merged);
        _merged.Clear();
    }

    private void RecycleAll(IReadOnlyDictionary<TKey, TAcc>? accumulators)
    {
        if (accumulators is null) return;
        foreach (var acc in accumulators.Values)
        {
            // Enough to cover one window's worth of keys; beyond that, reuse would only hold memory.
            if (_free.Count >= MaxFreeAccumulators) return;
            _recycler!.Reset(acc);
            _free.Push(acc);
        }
    }

    private void Emit(TKey key, Window window, TResult result, long ts, bool isFinal) =>
        _downstream.Process(new Record<TKey, WindowResult<TKey, TResult>>(key, new WindowResult<TKey, TResult>(key, window, result, isFinal), ts, _origin));

    /// <summary>A key's running total over the panes of the next window, and how many of those panes hold the key.</summary>
    private struct Sliding(TAcc total, int panes)
    {
        public TAcc Total = total;
        public int Panes = panes;
        public long Fired;
    }
}

/// <summary>A <see cref="WindowAggregateProcessor{TKey,TValue,TAcc,TResult,TAggregator}"/> over any aggregator, called through its interface.</summary>
public sealed class WindowAggregateProcessor<TKey, TValue, TAcc, TResult>(
    string name, TimeWindows windows, IAggregator<TValue, TAcc, TResult> aggregator, WindowStore<TKey, TAcc> store,
    IProcessor<TKey, WindowResult<TKey, TResult>> downstream, IProcessor<TKey, LateRecord<TValue>> lateOutput,
    EmitStrategy emit = EmitStrategy.OnWindowClose, IEqualityComparer<TKey>? comparer = null)
    : WindowAggregateProcessor<TKey, TValue, TAcc, TResult, IAggregator<TValue, TAcc, TResult>>(
        name, windows, aggregator, store, downstream, lateOutput, emit, comparer)
    where TKey : notnull;
