using Sluice.Core.Errors;

namespace Sluice.Streaming.State;

/// <summary>A snapshot that cannot be restored: corrupt, truncated, of a newer format, or from a topology of another shape.</summary>
/// <remarks>Never transient: reading the same bytes again fails the same way.</remarks>
public sealed class CheckpointException : SluiceException
{
    /// <summary>What to do about a snapshot that cannot be used.</summary>
    public const string DeleteAdvice =
        "Delete the checkpoint to start from the committed offset with empty state (windows and sessions open at the checkpoint then come out partial).";

    public CheckpointException(string section, string problem, string? advice = null, Exception? innerException = null)
        : base($"checkpoint section '{section}': {problem}. {advice ?? DeleteAdvice}", false, innerException)
    {
        Section = section;
        Problem = problem;
    }

    public CheckpointException() : this("?", "unreadable") { }

    public CheckpointException(string message) : base(message) => (Section, Problem) = ("?", message);

    public CheckpointException(string message, Exception innerException) : base(message, innerException) => (Section, Problem) = ("?", message);

    /// <summary>The section that could not be read (a store, an operator, the header), as named in the snapshot.</summary>
    public string Section { get; }

    /// <summary>What is wrong with it, without the advice.</summary>
    public string Problem { get; }
}
