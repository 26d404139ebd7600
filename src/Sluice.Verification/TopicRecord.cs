namespace Sluice.Verification;

/// <summary>One record of a topic as the broker holds it (or as the producer would have written it): position, key and value bytes.</summary>
/// <param name="Key">The key bytes, or null for a record without a key.</param>
/// <param name="TimestampMs">The record's log timestamp (epoch ms): what a maxAge rule measures against; 0 when unknown.</param>
public sealed record TopicRecord(string Topic, int Partition, long Offset, byte[]? Key, byte[] Value, long TimestampMs = 0);

/// <summary>The input of a run, partition by partition in offset order, and where it came from.</summary>
/// <param name="Partitions">Index = partition number; each list in offset order from offset 0.</param>
/// <param name="Origin">For the summary: "input read from the topic ..." or "input regenerated from seed ...".</param>
public sealed record VerificationInput(string Topic, IReadOnlyList<IReadOnlyList<TopicRecord>> Partitions, string Origin)
{
    /// <summary>The user changes beside the events, when regenerated from a seed (the generator's CDC records, partitioned as the producer would); null otherwise.</summary>
    public IReadOnlyList<TopicRecord>? Changes { get; init; }

    public long Records => Partitions.Sum(p => (long)p.Count);
}
