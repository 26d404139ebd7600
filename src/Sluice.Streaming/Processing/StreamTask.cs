using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Streaming.Diagnostics;
using Sluice.Streaming.Errors;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Processing;

/// <summary>Processes the records of one partition number through its own instance of the topology and owns that instance's state.</summary>
/// <remarks>
/// Call order: <see cref="AddPartition"/> for each assigned input, then <see cref="Process"/> per record, interleaved
/// with <see cref="Punctuate"/>; <see cref="Dispose"/> when the partitions are revoked. One thread at a time.
/// After each record, the event time it reported (<see cref="ReportEventTime"/>) feeds the partition's watermark
/// generator; when the task watermark rises, window operators fire before the next record is processed, so
/// outputs depend only on the input order, never on timing. A processor that throws does not stop the task:
/// the record goes to the dead-letter output with <see cref="StreamReasonCodes.ProcessingFailed"/>.
/// </remarks>
public sealed partial class StreamTask : IProcessorContext, IDisposable
{
    private readonly TaskTopology _topology;
    private readonly TaskWatermark _watermark;
    private readonly TimeProvider _clock;
    private readonly string _deadLetterTopic;
    private readonly ILogger _logger;
    private readonly IWatermarkListener[] _listeners;
    private readonly IDeadLetterListener[] _deadLetterListeners;
    private readonly Dictionary<string, Counter> _deadLetterCounters = new(StringComparer.Ordinal);
    private readonly Counter _recordsIn;
    private readonly Dictionary<string, Counter> _topicCounters = new(StringComparer.Ordinal);
    private string? _lastTopic;
    private Counter? _lastTopicCounter;
    private int _latencyCountdown = LatencySampler.Every;
    private readonly string _topologyName;
    private long _nextCallback = EventTime.EndOfTime;
    private long _reportedEventTime;
    private bool _hasReportedEventTime;
    private bool _disposed;

    public StreamTask(TaskId id, TaskTopology topology, WatermarkStrategy strategy, TimeProvider clock,
        IRecordCollector collector, string deadLetterTopic, ILogger? logger = null, string topologyName = "",
        IReadOnlyList<string>? tableTopics = null)
    {
        _tableTopics = tableTopics ?? [];
        TaskId = id;
        _topologyName = topologyName ?? "";
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        _watermark = new TaskWatermark(strategy ?? throw new ArgumentNullException(nameof(strategy)));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Collector = collector ?? throw new ArgumentNullException(nameof(collector));
        ArgumentException.ThrowIfNullOrWhiteSpace(deadLetterTopic);
        _deadLetterTopic = deadLetterTopic;
        _logger = logger ?? NullLogger.Instance;
        _recordsIn = Metrics.Counter("records_in");
        NowMs = ReadClock();

        var listeners = new List<IWatermarkListener>();
        foreach (var p in topology.Processors) if (p is IWatermarkListener l) listeners.Add(l);
        _listeners = listeners.ToArray();
        _deadLetterListeners = [.. topology.Processors.OfType<IDeadLetterListener>()];
        foreach (var p in topology.Processors) p.Init(this);
    }

    /// <summary>Prefix of the per-topic input counters: <c>records_in.{topic}</c> (<c>records_in</c> counts every topic but the table topics).</summary>
    public const string RecordsInTopicPrefix = "records_in.";

    /// <summary>Prefix of the table topics' input counters (<see cref="ITopology.TableTopics"/>): <c>table_records_in.{topic}</c>.</summary>
    public const string TableRecordsInTopicPrefix = "table_records_in.";

    private readonly IReadOnlyList<string> _tableTopics;
    private bool _lastTopicIsTable;

    public TaskId TaskId { get; }

    public long Watermark => _watermark.Current;

    /// <remarks>Read once per record, when processing of it starts: every processor sees the same processing time for it.</remarks>
    public long NowMs { get; private set; }

    public SourceRecord CurrentSource { get; private set; } = new("", 0, -1, 0, null, []);

    public StreamMetrics Metrics { get; } = new();

    public IRecordCollector Collector { get; }

    /// <summary>The stores of this task, for inspection and snapshots.</summary>
    public IReadOnlyList<IStateStore> Stores => _topology.Stores;

    /// <summary>Starts reading a partition (one input topic at this task's partition number).</summary>
    public void AddPartition(string topic) => _watermark.AddPartition(topic, NowMs = ReadClock());

    /// <summary>Stops reading a partition while the task keeps its others: it no longer holds the watermark back, and windows it held fire.</summary>
    public void RemovePartition(string topic)
    {
        if (_watermark.RemovePartition(topic)) FireWatermark();
    }

    /// <summary>Whether the partition of <paramref name="topic"/> is idle (no records for the idle timeout).</summary>
    public bool IsIdle(string topic) => _watermark.IsIdle(topic);

    public T GetStateStore<T>(string name) where T : class, IStateStore
    {
        foreach (var s in _topology.Stores)
            if (s.Name == name) return s as T ?? throw new InvalidOperationException($"state store '{name}' is a {s.GetType().Name}, not a {typeof(T).Name}");
        throw new InvalidOperationException($"no state store named '{name}' in task {TaskId}");
    }

    public void RequestWatermarkCallback(long watermark)
    {
        if (watermark < _nextCallback) _nextCallback = watermark;
    }

    public void ReportEventTime(long eventTimestamp)
    {
        _reportedEventTime = eventTimestamp;
        _hasReportedEventTime = true;
    }

    /// <summary>Runs one consumed record through the topology, then advances the watermark it reported.</summary>
    public void Process(in SourceRecord record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_restoreFailed) ThrowRestoreFailed();
        _started = true;
        CurrentSource = record;
        NowMs = ReadClock();
        _hasReportedEventTime = false;
        TopicCounter(record.Topic).Increment();
        if (!_lastTopicIsTable) _recordsIn.Increment();
        try
        {
            _topology.Source.Process(new Record<byte[]?, byte[]>(record.Key, record.Value, record.Timestamp, record.Source, record.Headers));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogProcessingFailed(_logger, ex, record.Topic, record.Partition, record.Offset);
            DeadLetter(StreamReasonCodes.ProcessingFailed, $"{ex.GetType().Name}: {ex.Message}");
        }
        if (_hasReportedEventTime) _watermark.OnEvent(record.Topic, _reportedEventTime, NowMs);
        // Events only: a table record (a user change) has no event latency to speak of.
        if (!_lastTopicIsTable && --_latencyCountdown == 0) SampleLatency(record.Timestamp);
        // Not only when the watermark moved: the record may have asked for a time the watermark has already passed (a
        // hopping window whose first window was due but empty until now), and that result should not wait for the next rise.
        if (_watermark.Current >= _nextCallback) FireWatermark();
    }

    /// <summary>Re-checks idle partitions against the clock; windows fire if the watermark rises.</summary>
    public void Punctuate()
    {
        if (_restoreFailed) ThrowRestoreFailed();
        _started = true;
        NowMs = ReadClock();
        if (_watermark.OnPeriodicEmit(NowMs)) FireWatermark();
    }

    /// <summary>Raises the watermark by fiat (tests; end of a bounded input); it never goes back.</summary>
    public void AdvanceWatermarkTo(long watermark)
    {
        if (_restoreFailed) ThrowRestoreFailed();
        _started = true;
        if (_watermark.AdvanceTo(watermark)) FireWatermark();
    }

    public void DeadLetter(string reasonCode, string detail)
    {
        var source = CurrentSource;
        if (!_deadLetterCounters.TryGetValue(reasonCode, out var counter))
            _deadLetterCounters[reasonCode] = counter = Metrics.Counter(StreamReasonCodes.DeadLetterCounterPrefix + reasonCode);
        counter.Increment();
        var letter = new DeadLetterRecord(source.Value, source.Key, reasonCode, detail, source.Topic, source.Partition, source.Offset, NowMs);
        Collector.Send(_deadLetterTopic, new Record<byte[]?, DeadLetterRecord>(source.Key, letter, source.Timestamp, source.Source, source.Headers));
        foreach (var listener in _deadLetterListeners) listener.OnDeadLetter(reasonCode);
    }

    /// <summary>Closes every processor and store; open windows are not emitted, because their partition may move to another process.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _topology.Processors) p.Close();
        foreach (var s in _topology.Stores) s.Close();
    }

    // The input topic's own counter: one string comparison per record while records come from one topic.
    private Counter TopicCounter(string topic)
    {
        if (ReferenceEquals(topic, _lastTopic) || string.Equals(topic, _lastTopic, StringComparison.Ordinal)) return _lastTopicCounter!;
        var table = _tableTopics.Contains(topic);
        if (!_topicCounters.TryGetValue(topic, out var counter))
            _topicCounters[topic] = counter = Metrics.Counter((table ? TableRecordsInTopicPrefix : RecordsInTopicPrefix) + topic);
        _lastTopic = topic;
        _lastTopicIsTable = table;
        return _lastTopicCounter = counter;
    }

    // Every LatencySampler.Every-th record: its outputs were sent during Process, at NowMs.
    private void SampleLatency(long produceTimestamp)
    {
        _latencyCountdown = LatencySampler.Every;
        LatencySampler.Record(NowMs, _hasReportedEventTime ? _reportedEventTime : null, produceTimestamp);
    }

    private void ThrowRestoreFailed() =>
        throw new InvalidOperationException($"task {TaskId} failed to restore its snapshot and holds part of it: build a new task");

    private long ReadClock() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private void FireWatermark()
    {
        var watermark = _watermark.Current;
        // A listener's output can feed a later listener (chained windows) state that is already due: hence the rounds,
        // at most one per listener.
        for (var round = 0; round <= _listeners.Length && watermark >= _nextCallback; round++)
        {
            _nextCallback = EventTime.EndOfTime;
            var next = EventTime.EndOfTime;
            foreach (var listener in _listeners) next = Math.Min(next, listener.OnWatermark(watermark));
            if (next < _nextCallback) _nextCallback = next;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Processing failed for {Topic}[{Partition}]@{Offset}; the record goes to the dead-letter output")]
    private static partial void LogProcessingFailed(ILogger logger, Exception ex, string topic, int partition, long offset);
}
