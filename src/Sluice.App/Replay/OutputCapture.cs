using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.App.Replay;

/// <summary>One output record as the processor would have written it: topic, key and value bytes, and the input record behind it.</summary>
public sealed record CapturedOutput(string Topic, byte[]? Key, byte[] Value, long Timestamp, RecordSource Source);

/// <summary>A record collector that keeps what a topology writes, serialised exactly as the Kafka collector serialises it.</summary>
public sealed class OutputCapture(RecordSerializers serializers) : IRecordCollector
{
    private readonly RecordBuffers _buffers = new();
    private readonly List<CapturedOutput> _records = [];

    /// <summary>Everything written so far, in order.</summary>
    public IReadOnlyList<CapturedOutput> Records => _records;

    public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record)
    {
        var hasKey = _buffers.Fill(record, serializers.For<TKey>(), serializers.For<TValue>());
        _records.Add(new CapturedOutput(topic, hasKey ? _buffers.Key.ToArray() : null, _buffers.Value.ToArray(), record.Timestamp, record.Source));
    }
}
