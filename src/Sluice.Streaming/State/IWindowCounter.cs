namespace Sluice.Streaming.State;

/// <summary>A store that holds time windows and can say how many are open (for the open-windows gauge).</summary>
public interface IWindowCounter
{
    /// <summary>Windows holding at least one entry; read from other threads, so it may lag by a record.</summary>
    int WindowCount { get; }
}
