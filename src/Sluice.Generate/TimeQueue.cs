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
            int minChildIndex;
            long minTime;
            if (i + Arity <= size)
            {
                // All four children: the first one with the smallest time, by a tournament without branches (which child
                // is smaller is a coin toss the branch predictor loses half the time). Ties go to the lower index.
                var left = Earlier(nodes[i].Time, nodes[i + 1].Time, i, out var leftTime);
                var right = Earlier(nodes[i + 2].Time, nodes[i + 3].Time, i + 2, out var rightTime);
                minChildIndex = Earlier(leftTime, rightTime, left, right, out minTime);
            }
            else
            {
                minChildIndex = i;
                minTime = nodes[i].Time;
                while (++i < size)
                {
                    if (nodes[i].Time < minTime)
                    {
                        minTime = nodes[i].Time;
                        minChildIndex = i;
                    }
                }
            }
            if (node.Time <= minTime) break;
            nodes[index] = nodes[minChildIndex];
            index = minChildIndex;
        }
        nodes[index] = node;
    }

    // Of two adjacent children (indexes first and first + 1), the one with the earlier time; the first on a tie.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Earlier(long first, long second, int firstIndex, out long time) =>
        Earlier(first, second, firstIndex, firstIndex + 1, out time);

    // Branch-free: the sign of the difference picks the later index and time. Times are epoch milliseconds, so the
    // difference of two never overflows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Earlier(long first, long second, int firstIndex, int secondIndex, out long time)
    {
        var difference = second - first;
        var secondIsEarlier = difference >> 63;
        time = first + (difference & secondIsEarlier);
        return firstIndex + ((secondIndex - firstIndex) & (int)secondIsEarlier);
    }
}
