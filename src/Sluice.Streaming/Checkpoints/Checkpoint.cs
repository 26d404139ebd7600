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
/// <param name="State">The task's state as one blob (<c>StreamTask.Snapshot</c>).</param>
/// <param name="CreatedAt">When it was written.</param>
/// <param name="Location">Where it is stored, for messages: a file path or a table row.</param>
public sealed record Checkpoint(CheckpointKey Key, long Sequence, IReadOnlyList<PartitionOffset> Offsets, byte[] State,
    DateTimeOffset CreatedAt, string Location)
{
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
/// </remarks>
public interface ICheckpointStore : IDisposable
{
    /// <summary>Where the checkpoints live, for logs (no secrets).</summary>
    string Description { get; }

    /// <summary>Prepares the store (creates the directory, migrates the table); fails with a one-line error when it cannot be used.</summary>
    void Open();

    /// <summary>Persists a checkpoint durably with the next sequence of the task, then deletes all but the last two.</summary>
    Checkpoint Save(CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, ReadOnlySpan<byte> state);

    /// <summary>The task's latest checkpoint, or null when it has none.</summary>
    Checkpoint? TryLoadLatest(CheckpointKey key);

    /// <summary>The sequences stored for the task, oldest first.</summary>
    IReadOnlyList<long> Sequences(CheckpointKey key);

    /// <summary>Deletes one checkpoint durably (one whose transaction never committed); the previous one becomes the latest. Nothing happens when it is absent.</summary>
    void Discard(CheckpointKey key, long sequence);
}
