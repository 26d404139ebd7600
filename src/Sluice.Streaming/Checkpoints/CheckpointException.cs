using Sluice.Core.Errors;

namespace Sluice.Streaming.Checkpoints;

/// <summary>A checkpoint that cannot be used: corrupt, truncated, of a newer format, or not matching the input it claims to follow.</summary>
/// <remarks>Never transient: reading it again gives the same answer. The message names the checkpoint and what to do.</remarks>
public sealed class CheckpointException : SluiceException
{
    public CheckpointException(string message) : base(message, isTransient: false) { }

    public CheckpointException(string message, Exception innerException) : base(message, false, innerException) { }

    public CheckpointException() : this("the checkpoint cannot be used") { }
}
