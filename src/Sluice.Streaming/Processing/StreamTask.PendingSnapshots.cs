namespace Sluice.Streaming.Processing;

// Placeholder for the snapshot API that the snapshots branch adds (StreamTask.Snapshot / StreamTask.Restore); deleted
// when that branch is merged. Until then a checkpoint cannot be taken, and saying so is better than an empty blob.
public sealed partial class StreamTask
{
    /// <summary>The task's whole state as a blob.</summary>
    public byte[] Snapshot() => throw new NotSupportedException("task state snapshots are not available in this build");

    /// <summary>Loads a blob made by <see cref="Snapshot"/> into this task.</summary>
    public void Restore(ReadOnlySpan<byte> state) => throw new NotSupportedException("task state snapshots are not available in this build");
}
