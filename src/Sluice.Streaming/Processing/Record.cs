namespace Sluice.Streaming.Processing;

/// <summary>A Kafka topic and partition.</summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public override string ToString() => $"{Topic}[{Partition}]";
}

/// <summary>Where a record was read: topic, partition and offset (offset -1 when it did not come from Kafka).</summary>
public readonly record struct RecordSource(string Topic, int Partition, long Offset)
{
    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}

/// <summary>One Kafka header.</summary>
public readonly record struct RecordHeader(string Key, byte[]? Value);

/// <summary>An immutable record flowing between processors: key, value, event time, headers and where it came from.</summary>
/// <remarks>A struct passed by <c>in</c>: forwarding a record between processors allocates nothing.</remarks>
public readonly record struct Record<TKey, TValue>(
    TKey Key, TValue Value, long Timestamp, RecordSource Source, IReadOnlyList<RecordHeader>? Headers = null)
{
    /// <summary>A record with a new key and value that keeps this record's time, headers and source.</summary>
    public Record<TKey2, TValue2> With<TKey2, TValue2>(TKey2 key, TValue2 value) => new(key, value, Timestamp, Source, Headers);

    /// <summary>The same record with another event time.</summary>
    public Record<TKey, TValue> WithTimestamp(long timestamp) => this with { Timestamp = timestamp };
}

/// <summary>A record as consumed from Kafka, before any decoding: what a dead letter carries back.</summary>
/// <remarks>A struct passed by <c>in</c>: a consumed record costs no allocation of its own on the way into a task.</remarks>
public readonly record struct SourceRecord(
    string Topic, int Partition, long Offset, long Timestamp, byte[]? Key, byte[] Value,
    IReadOnlyList<RecordHeader>? Headers = null)
{
    public TopicPartition TopicPartition => new(Topic, Partition);

    public RecordSource Source => new(Topic, Partition, Offset);
}
