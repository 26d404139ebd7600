namespace Sluice.Pipelines.Hosting;

/// <summary>The first failure of any service of a host (a member, the generator, a sink), for the command to report once the others have stopped cleanly.</summary>
public sealed class ProcessorFailures
{
    private Exception? _first;

    /// <summary>The first failure recorded, or null.</summary>
    public Exception? First => Volatile.Read(ref _first);

    public void Record(Exception exception) => Interlocked.CompareExchange(ref _first, exception, null);
}
