using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>Whose checkpoints these are: a consumer group's task of one topology.</summary>
public readonly record struct CheckpointKey(string Group, string Topology, TaskId Task)
{
    public override string ToString() => $"group {Group}, topology {Topology}, {Task}";
}

/// <summary>The next offset to read of one input partition of a task.</summary>
public readonly record struct PartitionOffset(TopicPartition Partition, long Offset)
{
    public override string ToString() => $"{Partition}@{Offset}";
}

/// <summary>A task's whole state with the input position it belongs to: restoring it and reading on from <see cref="Offsets"/> continues exactly.</summary>
/// <param name="Key">Whose checkpoint.</param>
/// <param name="Sequence">Increases by one per checkpoint of the task.</param>
/// <param name="Offsets">For every input partition of the task, the next offset to read.</param>
/// <param name="State">The task's state as one blob in pooled chunks (<c>StreamTask.SnapshotToBuffer</c>): a loaded
/// checkpoint owns it (dispose the checkpoint once restored); the one <see cref="ICheckpointStore.Save"/> returns holds the
/// caller's buffer.</param>
/// <param name="CreatedAt">When it was written.</param>
/// <param name="Location">Where it is stored, for messages: a file path or a table row.</param>
public sealed record Checkpoint(CheckpointKey Key, long Sequence, IReadOnlyList<PartitionOffset> Offsets, SnapshotBuffer State,
    DateTimeOffset CreatedAt, string Location) : IDisposable
{
    /// <summary>Gives the state's chunks back to the pool.</summary>
    public void Dispose() => State.Dispose();

    /// <summary>The offset stored for <paramref name="partition"/>, if the checkpoint has one.</summary>
    public long? OffsetOf(TopicPartition partition)
    {
        foreach (var o in Offsets) if (o.Partition == partition) return o.Offset;
        return null;
    }
}

/// <summary>Where task checkpoints are kept: a directory on this machine, or a database shared by processors on several.</summary>
/// <remarks>
/// Safe for concurrent use by several members for different tasks. A store keeps the last two checkpoints of a task
/// and deletes older ones only after a newer one is durable. A checkpoint that cannot be read (corrupt, truncated,
/// written by a newer format) is a <see cref="CheckpointException"/> naming it and what to do, never a silent fallback.
/// <para>Fencing: a member that takes a task over calls <see cref="Claim"/> before it loads the task's checkpoint, and
/// passes the owner epoch it got to every <see cref="Save"/>. A save with an epoch below the task's latest claim comes
/// from a member that lost the task (a rebalance, or a zombie paused past the session timeout) and is refused with a
/// <see cref="CheckpointFencedException"/>, so it never overwrites what the task's new owner restores or writes. The
/// check and the write are one atomic step against concurrent claims.</para>
/// </remarks>
public interface ICheckpointStore : IDisposable
{
    /// <summary>Where the checkpoints live, for logs (no secrets).</summary>
    string Description { get; }

    /// <summary>Prepares the store (creates the directory, migrates the table); fails with a one-line error when it cannot be used.</summary>
    void Open();

    /// <summary>Takes ownership of the task: returns an owner epoch above every one claimed before (1 for the first), durably.</summary>
    long Claim(CheckpointKey key);

    /// <summary>Persists a checkpoint durably with the next sequence of the task, then deletes all but the last two.</summary>
    /// <param name="key">Whose checkpoint.</param>
    /// <param name="offsets">For every input partition of the task, the next offset to read.</param>
    /// <param name="state">The task's state; streamed to the store, not copied, and not disposed here.</param>
    /// <param name="epoch">The epoch <see cref="Claim"/> gave the writer; 0 for a writer that never claims (a benchmark, a tool).</param>
    /// <exception cref="CheckpointFencedException">The task has been claimed with a higher epoch since: nothing was written.</exception>
    Checkpoint Save(CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, SnapshotBuffer state, long epoch = 0);

    /// <summary>The task's latest checkpoint, or null when it has none.</summary>
    Checkpoint? TryLoadLatest(CheckpointKey key);

    /// <summary>The sequences stored for the task, oldest first.</summary>
    IReadOnlyList<long> Sequences(CheckpointKey key);

    /// <summary>Deletes one checkpoint durably (one whose transaction never committed); the previous one becomes the latest. Nothing happens when it is absent.</summary>
    void Discard(CheckpointKey key, long sequence);
}
