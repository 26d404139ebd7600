namespace Sluice.Streaming.Checkpoints;

/// <summary>A checkpoint write refused because another member has claimed the task since: this member no longer owns it.</summary>
public sealed class CheckpointFencedException : Core.Errors.SluiceException
{
    public CheckpointFencedException(CheckpointKey key, long epoch, long current, string location)
        : base($"checkpoint of {key} refused: this member's owner epoch {epoch} is older than the task's current owner's {current} ({location}); the task has a new owner, whose checkpoints stay", false)
    {
        Key = key;
        Epoch = epoch;
        CurrentEpoch = current;
    }

    public CheckpointFencedException() : base("checkpoint refused: the task has a newer owner") { }

    public CheckpointFencedException(string message) : base(message) { }

    public CheckpointFencedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Whose checkpoint was refused.</summary>
    public CheckpointKey Key { get; }

    /// <summary>The epoch the refused write carried.</summary>
    public long Epoch { get; }

    /// <summary>The task's latest claimed epoch.</summary>
    public long CurrentEpoch { get; }
}
