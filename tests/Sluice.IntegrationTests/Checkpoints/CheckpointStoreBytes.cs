using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.State;

namespace Sluice.IntegrationTests.Checkpoints;

/// <summary>Saves a state given as an array: the tests' states are small and written inline.</summary>
internal static class CheckpointStoreBytes
{
    public static Checkpoint Save(this ICheckpointStore store, CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, byte[] state, long epoch = 0)
    {
        using var buffer = SnapshotBuffer.From(state);
        return store.Save(key, offsets, buffer, epoch);
    }
}
