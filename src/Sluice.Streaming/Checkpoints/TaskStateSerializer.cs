using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>How a task's whole state becomes one blob and back.</summary>
public interface ITaskStateSerializer
{
    /// <summary>The task's state (stores, watermarks, what has fired) as one blob.</summary>
    byte[] Snapshot(StreamTask task);

    /// <summary>Loads <paramref name="state"/> into a task just created; throws <see cref="CheckpointException"/> on a blob it cannot read.</summary>
    void Restore(StreamTask task, ReadOnlySpan<byte> state);
}

/// <summary>The engine's own: <see cref="StreamTask.Snapshot"/> and <see cref="StreamTask.Restore"/>.</summary>
public sealed class StreamTaskState : ITaskStateSerializer
{
    public static StreamTaskState Instance { get; } = new();

    public byte[] Snapshot(StreamTask task) => task.Snapshot();

    public void Restore(StreamTask task, ReadOnlySpan<byte> state) => task.Restore(state);
}
