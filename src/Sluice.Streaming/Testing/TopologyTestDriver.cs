using Sluice.Streaming.Processing;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Testing;

/// <summary>A record captured by the test driver from an output topic.</summary>
public sealed record CapturedRecord(string Topic, object? Key, object? Value, long Timestamp, RecordSource Source);

/// <summary>A collector that keeps every output record in memory, by topic, in emission order.</summary>
public sealed class CapturingCollector : IRecordCollector
{
    private readonly Dictionary<string, List<CapturedRecord>> _byTopic = new(StringComparer.Ordinal);
    private readonly List<CapturedRecord> _all = [];

    public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record)
    {
        if (!_byTopic.TryGetValue(topic, out var list)) _byTopic[topic] = list = [];
        var captured = new CapturedRecord(topic, record.Key, record.Value, record.Timestamp, record.Source);
        list.Add(captured);
        _all.Add(captured);
    }

    /// <summary>Every record of every topic, in the order they were sent.</summary>
    public IReadOnlyList<CapturedRecord> All => _all;

    public IReadOnlyList<CapturedRecord> Records(string topic) => _byTopic.TryGetValue(topic, out var list) ? list : [];

    public IReadOnlyCollection<string> Topics => _byTopic.Keys;

    public void Clear()
    {
        _byTopic.Clear();
        _all.Clear();
    }
}

/// <summary>Drives a topology in process, without a broker: pipe records in, move the clock and the watermark, read the outputs.</summary>
/// <remarks>
/// Same tasks, watermarks and windows as the Kafka runtime (a <see cref="TaskManager"/> underneath); the consumer
/// group is replaced by <see cref="Assign"/>/<see cref="Revoke"/>, processing time by a <see cref="ManualClock"/>.
/// </remarks>
public sealed class TopologyTestDriver : IDisposable
{
    private readonly ITopology _topology;
    private readonly TaskManager _tasks;
    private readonly Dictionary<TopicPartition, long> _nextOffset = [];

    public TopologyTestDriver(ITopology topology, WatermarkStrategy? strategy = null, ManualClock? clock = null)
    {
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        Clock = clock ?? new ManualClock();
        _tasks = new TaskManager(topology, strategy ?? WatermarkStrategy.ForBoundedOutOfOrderness(WatermarkStrategy.DefaultOutOfOrderness), Clock, Collector);
    }

    public ManualClock Clock { get; }

    public CapturingCollector Collector { get; } = new();

    public TaskManager TaskManager => _tasks;

    /// <summary>Assigns partitions of every source topic, as a consumer-group rebalance would.</summary>
    public void Assign(params int[] partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = new List<TopicPartition>();
        foreach (var p in partitions)
            foreach (var topic in _topology.SourceTopics) list.Add(new TopicPartition(topic, p));
        _tasks.OnAssigned(list);
    }

    /// <summary>Assigns <paramref name="partition"/> with its task restored from <paramref name="snapshot"/> (<see cref="StreamTask.Snapshot"/>),
    /// as a runner resuming from a checkpoint does; its records then get offsets from <paramref name="nextOffset"/> on.</summary>
    public void AssignFromSnapshot(int partition, byte[] snapshot, long nextOffset)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (_tasks.Task(partition) is not null) throw new InvalidOperationException($"partition {partition} is already assigned");
        void Restore(StreamTask task)
        {
            if (task.TaskId.Partition == partition) task.Restore(snapshot);
        }
        _tasks.TaskCreated += Restore;
        try
        {
            Assign(partition);
        }
        finally
        {
            _tasks.TaskCreated -= Restore;
        }
        foreach (var topic in _topology.SourceTopics) _nextOffset[new TopicPartition(topic, partition)] = nextOffset;
    }

    /// <summary>Revokes partitions of every source topic; their tasks close without emitting open windows.</summary>
    public void Revoke(params int[] partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = new List<TopicPartition>();
        foreach (var p in partitions)
            foreach (var topic in _topology.SourceTopics) list.Add(new TopicPartition(topic, p));
        _tasks.OnRevoked(list);
    }

    /// <summary>Feeds one record to partition <paramref name="partition"/> of <paramref name="topic"/> (assigned on first use), at the next offset.</summary>
    public void Pipe(string topic, int partition, byte[] value, byte[]? key = null, long brokerTimestamp = 0)
    {
        var tp = new TopicPartition(topic, partition);
        if (_tasks.Task(partition) is null) Assign(partition);
        _nextOffset.TryGetValue(tp, out var offset);
        _nextOffset[tp] = offset + 1;
        _tasks.Process(new SourceRecord(topic, partition, offset, brokerTimestamp, key, value));
    }

    /// <summary>Feeds one record to partition 0 of the first source topic.</summary>
    public void Pipe(byte[] value, int partition = 0) => Pipe(_topology.SourceTopics[0], partition, value);

    /// <summary>Moves processing time; idle partitions are re-evaluated.</summary>
    public void AdvanceClock(TimeSpan by)
    {
        Clock.Advance(by);
        _tasks.Punctuate();
    }

    /// <summary>Raises every task's watermark to <paramref name="watermark"/> (windows that end by then fire).</summary>
    public void AdvanceWatermarkTo(long watermark) => _tasks.AdvanceWatermarkTo(watermark);

    /// <summary>Closes every window: the input is over.</summary>
    public void EndOfInput() => _tasks.AdvanceWatermarkTo(EventTime.EndOfTime);

    public StreamTask Task(int partition = 0) =>
        _tasks.Task(partition) ?? throw new InvalidOperationException($"partition {partition} is not assigned");

    /// <summary>The values written to <paramref name="topic"/>, in order, as <typeparamref name="TValue"/>.</summary>
    public IReadOnlyList<TValue> Output<TValue>(string topic)
    {
        var records = Collector.Records(topic);
        var values = new List<TValue>(records.Count);
        foreach (var r in records) values.Add((TValue)r.Value!);
        return values;
    }

    public void Dispose() => _tasks.Dispose();
}
