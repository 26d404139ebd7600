using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Errors;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Processing;

/// <summary>Told by the consumer group which partitions this process owns.</summary>
public interface IAssignmentListener
{
    /// <summary>These partitions are now ours: create or extend their tasks before their first record.</summary>
    void OnAssigned(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>These partitions are being handed back: close their tasks; their state belongs to the new owner.</summary>
    void OnRevoked(IReadOnlyCollection<TopicPartition> partitions);

    /// <summary>These partitions already belong to someone else (a missed rebalance, or the consumer is closing): close their tasks, commit nothing for them.</summary>
    void OnLost(IReadOnlyCollection<TopicPartition> partitions) => OnRevoked(partitions);
}

/// <summary>Where a newly assigned partition could start: what the group committed and what the broker still holds.</summary>
/// <param name="Committed">The group's committed offset, or null when it has none.</param>
/// <param name="LogStart">The first offset the broker still holds (older records were deleted).</param>
/// <param name="LogEnd">The offset the next record written will get.</param>
public readonly record struct PartitionStart(TopicPartition Partition, long? Committed, long LogStart, long LogEnd);

/// <summary>An assignment listener that restores state on assignment and therefore chooses where each new partition starts reading.</summary>
public interface IRestoringAssignmentListener : IAssignmentListener
{
    /// <summary>Creates (and restores) the tasks of <paramref name="partitions"/>; returns the offset each partition starts from.</summary>
    IReadOnlyDictionary<TopicPartition, long> OnAssigned(IReadOnlyList<PartitionStart> partitions);
}

/// <summary>Creates a task per assigned partition number and closes it when its partitions are revoked.</summary>
/// <remarks>
/// The unit of parallelism and of state is the partition: records of partition <c>p</c> of any source topic go
/// to task <c>p</c>. Consumer-group callbacks drive the task set (<see cref="IAssignmentListener"/>); a task is
/// disposed when its last partition is revoked. Used from one thread (the poll loop).
/// </remarks>
public sealed partial class TaskManager : IAssignmentListener, IDisposable
{
    private readonly ITopology _topology;
    private readonly WatermarkStrategy _strategy;
    private readonly TimeProvider _clock;
    private readonly IRecordCollector _collector;
    private readonly ILogger _logger;
    private readonly SortedDictionary<int, TaskEntry> _tasks = [];
    // Records come in runs of one partition: the last lookup answers most of them.
    private TaskEntry? _lastEntry;
    private string? _lastTopic;
    private int _lastPartition;

    public TaskManager(ITopology topology, WatermarkStrategy strategy, TimeProvider clock, IRecordCollector collector, ILogger? logger = null)
    {
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        _strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _collector = collector ?? throw new ArgumentNullException(nameof(collector));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The open tasks, by partition number.</summary>
    public IReadOnlyCollection<StreamTask> Tasks
    {
        get
        {
            var list = new List<StreamTask>(_tasks.Count);
            foreach (var entry in _tasks.Values) list.Add(entry.Task);
            return list;
        }
    }

    /// <summary>Entries of results still to be emitted (open windows' panes, open sessions) that closed tasks dropped.</summary>
    /// <remarks>Only without checkpoints (<see cref="StateCheckpointed"/> false): the partition's next owner starts those
    /// windows and sessions empty, so their results come out partial (and deduplication forgets the ids it had seen).
    /// Each close that drops results also logs a warning naming the stores.</remarks>
    public long DroppedStateEntries { get; private set; }

    /// <summary>Raised after a task is created (for example to restore its state from a checkpoint).</summary>
    public event Action<StreamTask>? TaskCreated;

    /// <summary>Raised before a task is disposed (for example to checkpoint it).</summary>
    public event Action<StreamTask>? TaskClosing;

    public StreamTask? Task(int partition) => _tasks.TryGetValue(partition, out var e) ? e.Task : null;

    /// <summary>The topology's name (where its checkpoints are filed).</summary>
    public string TopologyName => _topology.Name;

    /// <summary>
    /// True when a checkpoint holds each task's state before it closes (a commit coordinator with a store): closing a
    /// task then drops nothing, because the partition's next owner restores it.
    /// </summary>
    public bool StateCheckpointed { get; set; }

    /// <summary>The input partitions the task of <paramref name="partition"/> reads, sorted by topic; empty when there is no such task.</summary>
    public IReadOnlyList<TopicPartition> PartitionsOf(int partition)
    {
        if (!_tasks.TryGetValue(partition, out var entry)) return [];
        var list = new List<TopicPartition>(entry.Topics.Count);
        foreach (var topic in entry.Topics) list.Add(new TopicPartition(topic, partition));
        list.Sort((a, b) => string.CompareOrdinal(a.Topic, b.Topic));
        return list;
    }

    public void OnAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        foreach (var tp in partitions)
        {
            if (!IsSource(tp.Topic)) continue;
            if (!_tasks.TryGetValue(tp.Partition, out var entry))
            {
                var id = new TaskId(tp.Partition);
                var task = new StreamTask(id, _topology.Build(id), _strategy, _clock, _collector, _topology.DeadLetterTopic, _logger, _topology.Name,
                    _topology.TableTopics);
                _tasks[tp.Partition] = entry = new TaskEntry(task);
                LogTaskCreated(_logger, id.ToString(), _topology.Name);
                TaskCreated?.Invoke(task);
            }
            // A table topic's partition is read by the task but has no watermark of its own to wait for.
            if (entry.Topics.Add(tp.Topic) && !IsTable(tp.Topic)) entry.Task.AddPartition(tp.Topic);
        }
    }

    public void OnRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        foreach (var tp in partitions)
        {
            if (!_tasks.TryGetValue(tp.Partition, out var entry)) continue;
            if (!entry.Topics.Remove(tp.Topic)) continue;
            _lastEntry = null;
            if (entry.Topics.Count > 0)
            {
                // The task lives on with its other partitions; the revoked one must not hold their watermark back.
                entry.Task.RemovePartition(tp.Topic);
                continue;
            }
            CloseTask(tp.Partition, entry);
        }
    }

    /// <summary>Processes one record in the task of its partition.</summary>
    public void Process(in SourceRecord record)
    {
        if (_lastEntry is not null && record.Partition == _lastPartition && string.Equals(record.Topic, _lastTopic, StringComparison.Ordinal))
        {
            _lastEntry.Task.Process(record);
            return;
        }
        if (!_tasks.TryGetValue(record.Partition, out var entry) || !entry.Topics.Contains(record.Topic))
            ThrowHelper.Throw($"received {record.Topic}[{record.Partition}]@{record.Offset} but that partition is not assigned to this process; the partition source must report assignments before records");
        (_lastEntry, _lastTopic, _lastPartition) = (entry, record.Topic, record.Partition);
        entry.Task.Process(record);
    }

    /// <summary>Lets every task re-check idleness against the clock.</summary>
    public void Punctuate()
    {
        foreach (var entry in _tasks.Values) entry.Task.Punctuate();
    }

    /// <summary>Raises every task's watermark (end of a bounded input closes every window with <see cref="EventTime.EndOfTime"/>).</summary>
    public void AdvanceWatermarkTo(long watermark)
    {
        foreach (var entry in _tasks.Values) entry.Task.AdvanceWatermarkTo(watermark);
    }

    public void Dispose()
    {
        foreach (var partition in new List<int>(_tasks.Keys)) CloseTask(partition, _tasks[partition]);
    }

    private void CloseTask(int partition, TaskEntry entry)
    {
        _lastEntry = null;
        TaskClosing?.Invoke(entry.Task);
        CountDroppedState(entry.Task);
        entry.Task.Dispose();
        _tasks.Remove(partition);
        LogTaskClosed(_logger, entry.Task.TaskId.ToString(), _topology.Name);
    }

    // Not silent: a task closed with open state (a rebalance, or a stop before the end of the input) loses it.
    private void CountDroppedState(StreamTask task)
    {
        if (StateCheckpointed) return;
        long held = 0;
        foreach (var store in task.Stores)
            if (store.HoldsPendingResults) held += store.Count;
        if (held == 0) return;
        DroppedStateEntries += held;
        if (!_logger.IsEnabled(LogLevel.Warning)) return;
        var stores = new List<string>();
        foreach (var store in task.Stores)
            if (store.HoldsPendingResults && store.Count > 0) stores.Add($"{store.Name}={store.Count}");
        LogStateDropped(_logger, task.TaskId.ToString(), held, string.Join(", ", stores));
    }

    /// <summary>Whether <paramref name="topic"/> is one of the topology's table topics (<see cref="ITopology.TableTopics"/>).</summary>
    public bool IsTable(string topic)
    {
        foreach (var t in _topology.TableTopics) if (t == topic) return true;
        return false;
    }

    private bool IsSource(string topic)
    {
        foreach (var t in _topology.SourceTopics) if (t == topic) return true;
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Task} of topology {Topology}")]
    private static partial void LogTaskCreated(ILogger logger, string task, string topology);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Task} drops {Entries} state entries ({Stores}): state is not checkpointed, so the partition's next owner starts these windows and sessions empty and their results will be partial")]
    private static partial void LogStateDropped(ILogger logger, string task, long entries, string stores);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Task} of topology {Topology}")]
    private static partial void LogTaskClosed(ILogger logger, string task, string topology);

    private sealed class TaskEntry(StreamTask task)
    {
        public StreamTask Task { get; } = task;
        public HashSet<string> Topics { get; } = new(StringComparer.Ordinal);
    }
}
