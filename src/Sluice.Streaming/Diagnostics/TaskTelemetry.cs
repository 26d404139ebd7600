using Sluice.Streaming.Processing;

namespace Sluice.Streaming.Diagnostics;

/// <summary>The stream tasks of this process, for instruments that read their counters at collection time.</summary>
/// <remarks>
/// Tasks keep plain counters (<see cref="StreamMetrics"/>) written only by their own thread; nothing is added per record
/// for metrics. Instruments (<see cref="StreamingInstruments"/>) read the counters here when a reader collects. A task
/// that closes (rebalance, stop) hands its final counts to the retired totals, so counters never go backwards.
/// Thread-safe: tasks are added and removed on their poll threads, read from the collector's.
/// </remarks>
public sealed class TaskTelemetry
{
    private readonly Lock _gate = new();
    private readonly List<StreamTask> _live = [];
    private readonly Dictionary<(string Counter, int Partition), long> _retired = [];

    /// <summary>The process-wide registry the instruments read; processors attach their task managers to it.</summary>
    public static TaskTelemetry Shared { get; } = new();

    /// <summary>Reports the tasks of <paramref name="tasks"/> from now on (every task created and closed).</summary>
    public void Attach(TaskManager tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        tasks.TaskCreated += Add;
        tasks.TaskClosing += Retire;
    }

    /// <summary>Starts reporting <paramref name="task"/>.</summary>
    public void Add(StreamTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (_gate) _live.Add(task);
    }

    /// <summary>Stops reading <paramref name="task"/>; its counts so far stay in the totals.</summary>
    public void Retire(StreamTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (_gate)
        {
            if (!_live.Remove(task)) return;
            foreach (var (name, value) in task.Metrics.Snapshot())
            {
                var key = (name, task.TaskId.Partition);
                _retired[key] = _retired.GetValueOrDefault(key) + value;
            }
        }
    }

    /// <summary>The open tasks now.</summary>
    public IReadOnlyList<StreamTask> LiveTasks
    {
        get
        {
            lock (_gate) return _live.ToArray();
        }
    }

    /// <summary>Every counter whose name starts with <paramref name="prefix"/>, summed over live and retired tasks, per (name without the prefix, partition).</summary>
    public IReadOnlyDictionary<(string Name, int Partition), long> Counters(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var totals = new Dictionary<(string, int), long>();
        lock (_gate)
        {
            foreach (var ((name, partition), value) in _retired)
                if (name.StartsWith(prefix, StringComparison.Ordinal)) Add(totals, (name[prefix.Length..], partition), value);
            foreach (var task in _live)
                foreach (var (name, value) in task.Metrics.Snapshot())
                    if (name.StartsWith(prefix, StringComparison.Ordinal)) Add(totals, (name[prefix.Length..], task.TaskId.Partition), value);
        }
        return totals;
    }

    /// <summary>A counter summed over every partition (live and retired tasks); zero when no task created it.</summary>
    public long Total(string counter)
    {
        long sum = 0;
        foreach (var (key, value) in Counters(counter)) if (key.Name.Length == 0) sum += value;
        return sum;
    }

    private static void Add(Dictionary<(string, int), long> totals, (string, int) key, long value) =>
        totals[key] = totals.GetValueOrDefault(key) + value;
}
