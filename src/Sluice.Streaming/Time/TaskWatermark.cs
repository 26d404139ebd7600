using Sluice.Streaming.State;

namespace Sluice.Streaming.Time;

/// <summary>Combines the watermarks of a task's partitions: the minimum over the partitions that are not idle.</summary>
/// <remarks>
/// The task watermark never goes back. A partition that has been silent for the strategy's idle timeout is left
/// out of the minimum so that it does not hold the task back forever; when it speaks again it rejoins, and its
/// records that are now behind the watermark are routed as late, not dropped. When every partition is idle the
/// watermark becomes the largest of theirs: nothing is arriving, so what each has seen is as complete as it gets.
/// A snapshot holds the task watermark and every partition's state (generator, watermark, last activity, idleness) by
/// topic; a partition restored from one keeps that state when it is added again.
/// </remarks>
public sealed class TaskWatermark : ISnapshotParticipant
{
    private readonly WatermarkStrategy _strategy;
    private readonly long _idleTimeoutMs;
    private readonly List<PartitionState> _partitions = [];
    // Restored partitions not added again yet: they rejoin the minimum when added, with their state.
    private readonly Dictionary<string, PartitionState> _restored = new(StringComparer.Ordinal);

    public TaskWatermark(WatermarkStrategy strategy)
    {
        _strategy = strategy;
        _idleTimeoutMs = strategy.IdleTimeout is { } t ? (long)t.TotalMilliseconds : long.MaxValue;
    }

    /// <summary>The current task watermark.</summary>
    public long Current { get; private set; } = EventTime.NoWatermark;

    /// <summary>Starts tracking a partition (an input topic of this task); its last activity is <paramref name="nowMs"/>.</summary>
    public void AddPartition(string topic, long nowMs)
    {
        if (Find(topic) is not null) return;
        if (_restored.Remove(topic, out var restored))
        {
            _partitions.Add(restored);
            return;
        }
        _partitions.Add(new PartitionState(topic, _strategy.CreateGenerator(), nowMs));
    }

    /// <summary>Stops tracking a partition (revoked while the task keeps others); returns true when the task watermark rose.</summary>
    public bool RemovePartition(string topic)
    {
        if (Find(topic) is not { } p) return false;
        _partitions.Remove(p);
        return Recompute();
    }

    /// <summary>Records an event from <paramref name="topic"/>; returns true when the task watermark rose.</summary>
    public bool OnEvent(string topic, long eventTimestamp, long nowMs)
    {
        var p = _partitions.Count == 1 ? _partitions[0] : Find(topic);
        if (p is null)
        {
            AddPartition(topic, nowMs);
            p = _partitions[^1];
        }
        p.Generator.OnEvent(eventTimestamp);
        p.LastActivityMs = nowMs;
        p.Idle = false;
        p.Watermark = p.Generator.OnPeriodicEmit();
        return Recompute();
    }

    /// <summary>Re-evaluates idleness at processing time <paramref name="nowMs"/>; returns true when the task watermark rose.</summary>
    public bool OnPeriodicEmit(long nowMs)
    {
        foreach (var p in _partitions)
        {
            p.Watermark = p.Generator.OnPeriodicEmit();
            if (!p.Idle && _idleTimeoutMs != long.MaxValue && nowMs - p.LastActivityMs >= _idleTimeoutMs) p.Idle = true;
        }
        return Recompute();
    }

    /// <summary>Moves the watermark forward by fiat (test harness, end of input); it never moves back.</summary>
    public bool AdvanceTo(long watermark)
    {
        if (watermark <= Current) return false;
        Current = watermark;
        return true;
    }

    /// <summary>Whether the partition of <paramref name="topic"/> is currently idle.</summary>
    public bool IsIdle(string topic) => Find(topic)?.Idle ?? false;

    public string SnapshotName => "watermark";

    /// <summary>The task watermark, then each partition (added or restored and not added yet): topic, generator, watermark, last activity, idleness.</summary>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarInt64(Current);
        writer.WriteCount(_partitions.Count + _restored.Count);
        foreach (var p in _partitions) Write(writer, p);
        foreach (var p in _restored.Values) Write(writer, p);
    }

    /// <summary>Restores the watermark and the partitions' states: an added partition takes its state now, another when it is added.</summary>
    public void ReadSnapshot(ref SnapshotReader reader)
    {
        Current = reader.ReadVarInt64();
        var count = reader.ReadCount();
        for (var i = 0; i < count; i++)
        {
            var topic = reader.ReadRequiredString();
            var generator = _strategy.CreateGenerator();
            generator.ReadSnapshot(ref reader);
            var state = new PartitionState(topic, generator, 0)
            {
                Watermark = reader.ReadVarInt64(),
                LastActivityMs = reader.ReadVarInt64(),
                Idle = reader.ReadBoolean(),
            };
            var added = _partitions.FindIndex(p => p.Topic == topic);
            if (added >= 0) _partitions[added] = state;
            else if (!_restored.TryAdd(topic, state)) reader.Fail($"partition '{topic}' appears twice");
        }
    }

    private static void Write(SnapshotWriter writer, PartitionState p)
    {
        writer.WriteString(p.Topic);
        p.Generator.WriteSnapshot(writer);
        writer.WriteVarInt64(p.Watermark);
        writer.WriteVarInt64(p.LastActivityMs);
        writer.WriteBoolean(p.Idle);
    }

    private bool Recompute()
    {
        var min = long.MaxValue;
        var max = long.MinValue;
        var any = false;
        foreach (var p in _partitions)
        {
            if (p.Watermark > max) max = p.Watermark;
            if (p.Idle) continue;
            any = true;
            if (p.Watermark < min) min = p.Watermark;
        }
        var candidate = any ? min : max;
        if (_partitions.Count == 0 || candidate <= Current) return false;
        Current = candidate;
        return true;
    }

    private PartitionState? Find(string topic)
    {
        foreach (var p in _partitions) if (p.Topic == topic) return p;
        return null;
    }

    private sealed class PartitionState(string topic, IWatermarkGenerator generator, long nowMs)
    {
        public string Topic { get; } = topic;
        public IWatermarkGenerator Generator { get; } = generator;
        public long Watermark { get; set; } = EventTime.NoWatermark;
        public long LastActivityMs { get; set; } = nowMs;
        public bool Idle { get; set; }
    }
}
