using System.Diagnostics;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;

namespace Sluice.App.Bench;

/// <summary>Snapshots taken in one pass: how many, how large, how long they took.</summary>
/// <param name="Count">Snapshots taken on the interval (the final one of each task not included).</param>
/// <param name="Bytes">Their state bytes, summed.</param>
/// <param name="MaxBytes">The largest.</param>
/// <param name="SnapshotTime">Time spent serialising state, summed over tasks.</param>
/// <param name="PersistTime">Time spent writing, fsyncing and renaming the files, summed over tasks.</param>
/// <param name="FinalBytes">Every task's state at the end of the input, before the last windows and sessions close (taken in the untimed warm-up pass).</param>
/// <param name="FinalSnapshotTime">The time those snapshots took to serialise, summed over tasks.</param>
public sealed record SnapshotStats(int Count, long Bytes, long MaxBytes, TimeSpan SnapshotTime, TimeSpan PersistTime, long FinalBytes, TimeSpan FinalSnapshotTime)
{
    public static SnapshotStats None { get; } = new(0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, 0, TimeSpan.Zero);

    internal SnapshotStats Add(SnapshotStats o) => new(Count + o.Count, Bytes + o.Bytes, Math.Max(MaxBytes, o.MaxBytes), SnapshotTime + o.SnapshotTime,
        PersistTime + o.PersistTime, FinalBytes + o.FinalBytes, FinalSnapshotTime + o.FinalSnapshotTime);
}

/// <summary>Passes with checkpoints off and on, alternated, over the same input.</summary>
/// <param name="Off">The median pass without checkpoints.</param>
/// <param name="On">The median pass with checkpoints.</param>
/// <param name="CpuRatios">CPU per event of each pass with checkpoints over the pass without just before it, in run order.</param>
/// <param name="Snapshots">The snapshots of the median pass with checkpoints, and the state at the end of the input.</param>
public sealed record CheckpointCostResult(EngineBenchmarkResult Off, EngineBenchmarkResult On, IReadOnlyList<double> CpuRatios, SnapshotStats Snapshots, TimeSpan Interval)
{
    /// <summary>The median of <see cref="CpuRatios"/>: the extra CPU per event checkpoints cost (1.05 is 5 % more).</summary>
    public double MedianCpuRatio => CpuRatios.Order().ElementAt(CpuRatios.Count / 2);
}

public static partial class EngineBenchmark
{
    // Records between two looks at the clock for a due checkpoint.
    private const int CheckpointCheckMask = 1023;

    /// <summary>
    /// What checkpointing costs the engine: <paramref name="pairs"/> pairs of timed passes, one without checkpoints and one
    /// that snapshots every task every <paramref name="interval"/> of processing into a directory checkpoint store in a
    /// temporary folder (as <c>process</c> does: serialise, write, fsync, rename), alternated after one untimed warm-up.
    /// </summary>
    /// <remarks>
    /// Each task snapshots on its own thread, as a member's poll thread does; the pass's CPU includes it. In the untimed
    /// warm-up every task is snapshotted once at the end of the input, to report the state's size at its largest.
    /// </remarks>
    public static CheckpointCostResult RunCheckpointComparison(List<byte[]>[] split, TimeSpan interval, int pairs = 4, ISchemaSource? schemas = null,
        ClickstreamOptions? options = null, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "the checkpoint interval must be positive");
        var topology = new ClickstreamTopology(options, schemas);
        var folder = Path.Combine(Path.GetTempPath(), $"sluice-bench-checkpoints-{Guid.NewGuid():N}");
        try
        {
            using var store = new DirectoryCheckpointStore(folder);
            store.Open();
            var passes = 0;
            var warmUp = new CheckpointPass(store, topology.Name, interval: null);
            RunAll(topology, split, new CountingCollector[split.Length], serialize: false, warmUp);
            progress?.Invoke(++passes);
            var off = new List<EngineBenchmarkResult>(pairs);
            var on = new List<(EngineBenchmarkResult Result, SnapshotStats Stats)>(pairs);
            var ratios = new List<double>(pairs);
            for (var i = 0; i < pairs; i++)
            {
                off.Add(TimedPass(topology, split, serialize: false, null));
                progress?.Invoke(++passes);
                var checkpoints = new CheckpointPass(store, topology.Name, interval);
                on.Add((TimedPass(topology, split, serialize: false, checkpoints), checkpoints.Stats));
                progress?.Invoke(++passes);
                ratios.Add(on[^1].Result.CpuMicrosPerEvent / off[^1].CpuMicrosPerEvent);
            }
            var medianOn = Median(on.ConvertAll(p => p.Result));
            var final = warmUp.Stats;
            var stats = on.First(p => p.Result.EventsPerSecond == medianOn.EventsPerSecond).Stats with
            {
                FinalBytes = final.FinalBytes, FinalSnapshotTime = final.FinalSnapshotTime,
            };
            return new CheckpointCostResult(Median(off), medianOn, ratios, stats, interval);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>One pass's checkpointing: when each task is due, and what its snapshots cost; shared by the pass's task threads.</summary>
    /// <remarks>Without an interval, only the snapshot at the end of the input is taken.</remarks>
    private sealed class CheckpointPass(ICheckpointStore store, string topology, TimeSpan? interval)
    {
        private readonly long _intervalTicks = interval is { } i ? (long)(i.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        private readonly Lock _gate = new();
        private SnapshotStats _stats = SnapshotStats.None;

        public SnapshotStats Stats
        {
            get
            {
                lock (_gate) return _stats;
            }
        }

        /// <summary>True for the pass that reports the state at the end of the input.</summary>
        public bool TakesFinal => interval is null;

        public long FirstDue() => Due(Stopwatch.GetTimestamp());

        private long Due(long now) => _intervalTicks == long.MaxValue ? long.MaxValue : now + _intervalTicks;

        /// <summary>Snapshots and persists the partition's task with its next offset; returns when the next is due.</summary>
        public long Checkpoint(TaskManager tasks, TopicPartition input, long nextOffset, bool final)
        {
            var task = tasks.Task(input.Partition)!;
            var start = Stopwatch.GetTimestamp();
            using var state = StreamTaskState.Instance.Snapshot(task);
            var snapshotted = Stopwatch.GetTimestamp();
            var snapshotTime = Stopwatch.GetElapsedTime(start, snapshotted);
            SnapshotStats taken;
            if (final)
            {
                taken = SnapshotStats.None with { FinalBytes = state.Length, FinalSnapshotTime = snapshotTime };
            }
            else
            {
                store.Save(new CheckpointKey("bench", topology, task.TaskId), [new PartitionOffset(input, nextOffset)], state);
                taken = new SnapshotStats(1, state.Length, state.Length, snapshotTime, Stopwatch.GetElapsedTime(snapshotted), 0, TimeSpan.Zero);
            }
            lock (_gate) _stats = _stats.Add(taken);
            return Due(Stopwatch.GetTimestamp());
        }
    }
}
