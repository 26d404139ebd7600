namespace Sluice.Sinks;

/// <summary>A store that lands the pipeline's output records together with the Kafka offsets it has consumed.</summary>
/// <remarks>
/// One thread at a time. Call order: <see cref="Open"/> once (migrations, connectivity), <see cref="ReadOffsets"/> whenever partitions are
/// assigned, <see cref="Write"/> any number of times, then Dispose. A write is all or nothing: the rows and the
/// batch's next offsets are stored in one transaction, so the stored offsets, not Kafka's committed ones, say what
/// the store holds. Rows are upserted or skipped by their stable id, so a batch written twice (a replay after a
/// crash) changes nothing. A failed write is retried whole by the caller.
/// </remarks>
public interface ISink : IDisposable
{
    /// <summary>Short name used in configuration keys and logs: postgres, duckdb, lake, clickhouse.</summary>
    string Name { get; }

    /// <summary>Connects, applies the store's migrations, and fails with a one-line <see cref="Core.Errors.SluiceException"/> when it cannot.</summary>
    void Open(CancellationToken cancellationToken = default);

    /// <summary>The next offset to read of every partition <paramref name="groupId"/> has stored; partitions never written are absent.</summary>
    IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default);

    /// <summary>Writes the batch's rows and its next offsets atomically; on failure neither is stored.</summary>
    /// <exception cref="Core.Errors.SluiceException">With <c>IsTransient</c> true when writing the same batch again may succeed.</exception>
    void Write(SinkBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>A partition of an output topic.</summary>
public readonly record struct SinkPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}[{Partition}]";
}

/// <summary>One record read from an output topic, as Kafka holds it.</summary>
public sealed record SinkRecord(string Topic, int Partition, long Offset, long Timestamp, byte[]? Key, byte[]? Value)
{
    /// <summary>"clickstream.enriched[2]@17", for errors.</summary>
    public string Position => $"{Topic}[{Partition}]@{Offset}";
}

/// <summary>Records of one consumer group written together, and the offsets to store with them.</summary>
public sealed class SinkBatch
{
    public SinkBatch(string groupId, IReadOnlyList<SinkRecord> records)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        ArgumentNullException.ThrowIfNull(records);
        GroupId = groupId;
        Records = records;
        var next = new Dictionary<SinkPartition, long>();
        foreach (var r in records)
        {
            var p = new SinkPartition(r.Topic, r.Partition);
            if (r.Offset + 1 > next.GetValueOrDefault(p, long.MinValue)) next[p] = r.Offset + 1;
        }
        NextOffsets = next;
    }

    public string GroupId { get; }
    public IReadOnlyList<SinkRecord> Records { get; }

    /// <summary>Per partition, one past the highest offset in the batch: where reading resumes once the batch is stored.</summary>
    public IReadOnlyDictionary<SinkPartition, long> NextOffsets { get; }

    public int Count => Records.Count;
}
