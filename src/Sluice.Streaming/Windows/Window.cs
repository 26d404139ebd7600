using Sluice.Streaming.Time;

namespace Sluice.Streaming.Windows;

/// <summary>A half-open event-time interval [<see cref="Start"/>, <see cref="End"/>), epoch milliseconds.</summary>
/// <remarks>An event at exactly <see cref="End"/> belongs to the next window, not this one.</remarks>
public readonly record struct Window(long Start, long End)
{
    public bool Contains(long timestamp) => timestamp >= Start && timestamp < End;

    public long SizeMs => End - Start;

    public override string ToString() => $"[{EventTime.Format(Start)}, {EventTime.Format(End)})";
}

/// <summary>One window's aggregate result for one key.</summary>
/// <param name="IsFinal">True for the single final result emitted when the window closes; false for early updates.</param>
public readonly record struct WindowResult<TKey, TResult>(TKey Key, Window Window, TResult Result, bool IsFinal);

/// <summary>When a windowed aggregate emits.</summary>
public enum EmitStrategy
{
    /// <summary>Once per window and key, when the watermark passes the window's end plus allowed lateness.</summary>
    OnWindowClose,

    /// <summary>An updated (non-final) result after every record, and the final result on close.</summary>
    OnEveryUpdate,
}

/// <summary>Folds values into an accumulator and turns it into a result; the per-aggregate logic of a windowed operator.</summary>
/// <remarks>
/// Accumulators may be mutable: <see cref="Add"/> and <see cref="Merge"/> may change and return their first argument,
/// but must never change <c>source</c> (hopping windows merge the same pane into several windows).
/// </remarks>
public interface IAggregator<TValue, TAcc, TResult>
{
    TAcc CreateAccumulator();

    TAcc Add(TAcc accumulator, in TValue value, long timestamp);

    TAcc Merge(TAcc target, TAcc source);

    TResult GetResult(TAcc accumulator, Window window);
}

/// <summary>An aggregator whose accumulators the window operator may clear and reuse once their result has been emitted.</summary>
/// <remarks>
/// Implement it only when nothing downstream keeps the result after processing it (an emitter that copies the
/// figures into rows, say): a reused accumulator changes under anyone who held on to it. In return the operator
/// stops allocating accumulators in steady state, and collections inside them keep their grown capacity.
/// </remarks>
public interface IRecyclingAggregator<TAcc>
{
    /// <summary>Makes <paramref name="accumulator"/> equal to a new one from <c>CreateAccumulator</c>.</summary>
    void Reset(TAcc accumulator);
}

/// <summary>An aggregator whose accumulators can be taken apart again (counts and sums), so hopping windows slide instead of re-merging.</summary>
/// <remarks>
/// With it, a hopping window operator keeps a running total of the next window to fire: each record is added to its
/// pane and to that total, and after the window fires the pane leaving it is subtracted and the pane entering it
/// added, instead of merging all size / advance panes for every window. Adding a record to the total must therefore
/// change it exactly as merging the record's pane would: <c>Add</c> has to be linear (counts and sums are; "seen in
/// this pane once" is not, because the total cannot tell whether the pane had already seen the value).
/// </remarks>
public interface IInvertibleAggregator<TAcc>
{
    /// <summary>Removes <paramref name="source"/>'s contribution from <paramref name="target"/>, which includes it; returns the target.</summary>
    TAcc Subtract(TAcc target, TAcc source);
}
