namespace Sluice.Streaming.State;

/// <summary>A task's state store: in memory, bounded, and a <see cref="ISnapshotParticipant"/> so its contents can be snapshotted and restored.</summary>
/// <remarks>
/// One family, as in Kafka Streams: <see cref="KeyValueStore{TKey,TValue}"/>, <see cref="WindowStore{TKey,TValue}"/>
/// and <see cref="SessionStore{TKey,TValue}"/>. Each store is owned by one task and touched by one thread.
/// Every store has a hard entry limit; what it drops to stay under it is counted in <see cref="Evicted"/>.
/// A store writes everything that decides its future behaviour to a snapshot (a store restored from one answers every
/// later operation as the original would, evictions included), but not its counters: those count what this process did.
/// </remarks>
public interface IStateStore : ISnapshotParticipant
{
    string Name { get; }

    string ISnapshotParticipant.SnapshotName => Name;

    /// <summary>Entries held now.</summary>
    long Count { get; }

    /// <summary>Entries removed before their time to respect the entry limit (expiry by time is not counted here).</summary>
    long Evicted { get; }

    /// <summary>Whether the entries are results still to be emitted (open windows, sessions), which closing the store
    /// loses; false for a memory of what was seen (deduplication ids).</summary>
    bool HoldsPendingResults => true;

    /// <summary>Drops the contents; the store is not used again.</summary>
    void Close();
}
