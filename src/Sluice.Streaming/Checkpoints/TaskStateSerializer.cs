using System.Buffers;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>How a task's whole state becomes one blob (in pooled chunks) and back.</summary>
public interface ITaskStateSerializer
{
    /// <summary>The task's state (stores, watermarks, what has fired) as one blob; the caller disposes it.</summary>
    SnapshotBuffer Snapshot(StreamTask task);

    /// <summary>Loads <paramref name="state"/> into a task just created; throws <see cref="CheckpointException"/> on a blob it cannot read.</summary>
    void Restore(StreamTask task, ReadOnlySequence<byte> state);
}

/// <summary>The engine's own: <see cref="StreamTask.Snapshot"/> and <see cref="StreamTask.Restore"/>.</summary>
public sealed class StreamTaskState : ITaskStateSerializer
{
    public static StreamTaskState Instance { get; } = new();

    public SnapshotBuffer Snapshot(StreamTask task) => task.SnapshotToBuffer();

    public void Restore(StreamTask task, ReadOnlySequence<byte> state) => task.Restore(state);
}
