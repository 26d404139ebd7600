using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Hosting;

/// <summary>The members a processor host runs, added as their services start: what the host reports on (records, partitions owned, input lost).</summary>
public sealed class ProcessorGroup
{
    // Replaced whole on every add, so readers on other threads see one list or the other.
    private IReadOnlyList<ProcessorMemberService> _services = [];
    private readonly Lock _gate = new();

    /// <summary>The members started so far, in start order.</summary>
    public IReadOnlyList<ClickstreamProcessor> Members => Volatile.Read(ref _services).Select(s => s.Member!).ToList();

    /// <summary>Records processed by every member so far.</summary>
    public long Processed => Members.Sum(m => m.Processed);

    /// <summary>User changes processed by every member together.</summary>
    public long ChangesProcessed => Members.Sum(m => m.ChangesProcessed);

    /// <summary>Members that own at least one partition, and the partitions owned in all.</summary>
    public (int Members, int Partitions) Ownership => (Members.Count(m => m.OwnedPartitions > 0), Members.Sum(m => m.OwnedPartitions));

    /// <summary>Input records the broker deleted before a member read them, per partition; non-empty means the results are not exact.</summary>
    public IReadOnlyList<KeyValuePair<TopicPartition, long>> LostInput => Members.SelectMany(m => m.LostInput).ToList();

    /// <summary>Completes when every member started so far has stopped (its input ended, the host stopped, or it failed).</summary>
    public Task Stopped => Task.WhenAll(Volatile.Read(ref _services).Select(s => s.ExecuteTask ?? Task.CompletedTask));

    internal void Add(ProcessorMemberService service)
    {
        lock (_gate) Volatile.Write(ref _services, [.. _services, service]);
    }
}
