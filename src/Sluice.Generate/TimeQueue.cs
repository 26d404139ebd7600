using System.Runtime.CompilerServices;

namespace Sluice.Generate;

/// <summary>A min-queue of items by event time (epoch ms): what the generator does next, and when.</summary>
/// <remarks>
/// The same quaternary heap as <see cref="PriorityQueue{TElement, TPriority}"/>, step for step, so items due at the same
/// millisecond come out in the same order and a seed's stream stays byte-identical. It exists because the generator
/// calls it twice per event: the framework's generic queue over the generator's types is not precompiled and runs
/// instrumented, unoptimised code for the first second of a run, a large share of a run of a few seconds.
/// </remarks>
internal sealed class TimeQueue<T>
{
    private const int Log2Arity = 2;
    private const int Arity = 1 << Log2Arity;

    private (T Item, long Time)[] _nodes;
    private int _size;

    public TimeQueue(int capacity = 16) => _nodes = new (T, long)[Math.Max(capacity, 4)];

    public int Count => _size;

    /// <summary>The earliest item's time; false when the queue is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPeekTime(out long time)
    {
        if (_size == 0)
        {
            time = 0;
            return false;
        }
        time = _nodes[0].Time;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Enqueue(T item, long time)
    {
        var index = _size++;
        if (index == _nodes.Length) Array.Resize(ref _nodes, _nodes.Length * 2);
        MoveUp((item, time), index);
    }

    /// <summary>Removes the earliest item; the queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public T Dequeue(out long time)
    {
        if (_size == 0) throw new InvalidOperationException("the queue is empty");
        (var item, time) = _nodes[0];
        var last = --_size;
        if (last > 0) MoveDown(_nodes[last], 0);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) _nodes[last] = default;
        return item;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MoveUp((T Item, long Time) node, int index)
    {
        var nodes = _nodes;
        while (index > 0)
        {
            var parentIndex = (index - 1) >> Log2Arity;
            var parent = nodes[parentIndex];
            if (node.Time >= parent.Time) break;
            nodes[index] = parent;
            index = parentIndex;
        }
        nodes[index] = node;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MoveDown((T Item, long Time) node, int index)
    {
        var nodes = _nodes;
        var size = _size;
        int i;
        while ((i = (index << Log2Arity) + 1) < size)
        {
            var minChild = nodes[i];
            var minChildIndex = i;
            var end = Math.Min(i + Arity, size);
            while (++i < end)
            {
                if (nodes[i].Time < minChild.Time)
                {
                    minChild = nodes[i];
                    minChildIndex = i;
                }
            }
            if (node.Time <= minChild.Time) break;
            nodes[index] = minChild;
            index = minChildIndex;
        }
        nodes[index] = node;
    }
}
