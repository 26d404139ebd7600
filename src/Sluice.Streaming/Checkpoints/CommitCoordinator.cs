using Sluice.Streaming.Diagnostics;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>Where and how often a coordinator checkpoints its tasks.</summary>
/// <param name="Store">Where checkpoints are kept.</param>
/// <param name="Group">The consumer group, part of every checkpoint's key.</param>
/// <param name="Interval">How often every task is checkpointed (besides on revocation and on stop).</param>
public sealed record CheckpointSettings(ICheckpointStore Store, string Group, TimeSpan Interval)
{
    /// <summary>How a task's state becomes a blob; the engine's own by default.</summary>
    public ITaskStateSerializer State { get; init; } = StreamTaskState.Instance;
}

/// <summary>The one place that orders flush → snapshot → persist → commit, and restores tasks on assignment.</summary>
/// <remarks>
/// <para>Call order, every time offsets are committed (on <see cref="Tick"/>, before partitions are handed back in
/// <see cref="OnRevoked"/>, and on <see cref="Stop"/>): the outputs are flushed (durable), then each task's state is
/// snapshotted and persisted with its input positions (for every input partition, the next offset to read), and only
/// then are those same positions committed. With checkpoints, offsets are committed only at a checkpoint, so the
/// committed offsets and the latest checkpoint always agree; without, every tick flushes and commits.</para>
/// <para>On assignment a new task restores its latest checkpoint and every input partition starts at the checkpoint's
/// offset, not the committed one, so state and position always match; with no checkpoint it starts empty from the
/// committed offset (or the log start). If the broker has deleted input past that offset (the embedded broker keeps
/// 5 MiB per partition), the records between are lost: that is logged as an error, counted in
/// <see cref="LostInput"/>, and reading continues from the log start; such a run is not exact.</para>
/// <para>Exactly-once (given an <see cref="ITransactionalCollector"/>): the outputs are written in a Kafka transaction, and
/// the commit is that transaction's, with the input positions sent into it, so outputs and offsets become visible together
/// or not at all: flush → snapshot → persist → send offsets → commit the transaction → then the consumer's own commit of
/// the same positions. A revocation commits every task, not only the revoked ones, because the transaction holds every
/// task's outputs. A failure anywhere in the round aborts the transaction and stops the member: its tasks' state is
/// ahead of what committed. A checkpoint persisted for a transaction that then did not commit is ahead of the committed
/// offsets; on assignment such a checkpoint is discarded and the one before it, which matches them, restored.</para>
/// <para>Used from the poll thread only, except <see cref="LostInput"/> and the counters, which any thread may read.</para>
/// </remarks>
public sealed partial class CommitCoordinator : IRestoringAssignmentListener
{
    private readonly IPartitionSource _source;
    private readonly TaskManager _tasks;
    private readonly IFlushableCollector? _outputs;
    private readonly ITransactionalCollector? _transactions;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CheckpointSettings? _checkpoints;
    private readonly string _member;
    private readonly Dictionary<int, PartitionOffset[]> _lastSaved = [];
    private readonly Dictionary<int, long> _epochs = [];
    private readonly HashSet<TopicPartition> _fenced = [];
    private readonly Dictionary<TopicPartition, long> _lostInput = [];
    private readonly Lock _lostLock = new();
    private DateTimeOffset _nextCheckpoint;
    private bool _stopped;
    private long _checkpointsWritten;

    /// <param name="transactions">When given, outputs and input offsets commit together in its transactions (exactly-once); <paramref name="outputs"/> may then be null.</param>
    public CommitCoordinator(IPartitionSource source, TaskManager tasks, IFlushableCollector? outputs, TimeProvider clock,
        ILogger? logger = null, CheckpointSettings? checkpoints = null, string member = "member", ITransactionalCollector? transactions = null)
    {
        _member = member;
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _tasks = tasks ?? throw new ArgumentNullException(nameof(tasks));
        _transactions = transactions;
        _outputs = outputs ?? transactions;
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _logger = logger ?? NullLogger.Instance;
        _checkpoints = checkpoints;
        if (checkpoints is not null)
        {
            if (checkpoints.Interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(checkpoints), "the checkpoint interval must be positive");
            _tasks.StateCheckpointed = true;
        }
        _nextCheckpoint = clock.GetUtcNow() + (checkpoints?.Interval ?? TimeSpan.Zero);
    }

    /// <summary>Checkpoints written so far (one per task and round; unchanged tasks are skipped).</summary>
    public long CheckpointsWritten => Interlocked.Read(ref _checkpointsWritten);

    /// <summary>Input records the broker deleted before they were read, per partition (log start − start offset). Non-empty means the results are not exact.</summary>
    public IReadOnlyDictionary<TopicPartition, long> LostInput
    {
        get
        {
            lock (_lostLock) return new Dictionary<TopicPartition, long>(_lostInput);
        }
    }

    /// <summary>The sum of <see cref="LostInput"/>.</summary>
    public long LostInputRecords
    {
        get
        {
            lock (_lostLock) return _lostInput.Values.Sum();
        }
    }

    /// <summary>For sources that cannot say where partitions start: tasks are created empty (no checkpoints can be restored).</summary>
    public void OnAssigned(IReadOnlyCollection<TopicPartition> partitions)
    {
        if (_checkpoints is not null)
            throw new InvalidOperationException("checkpoints need a partition source that reports where assigned partitions start (IRestoringAssignmentListener)");
        _tasks.OnAssigned(partitions);
    }

    public IReadOnlyDictionary<TopicPartition, long> OnAssigned(IReadOnlyList<PartitionStart> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        // Cooperative assignment also reports empty increments; only real ones are worth a line.
        if (partitions.Count > 0) LogAssigned(_logger, _member, string.Join(", ", partitions.Select(p => p.Partition)));
        var existing = new HashSet<int>();
        foreach (var task in _tasks.Tasks) existing.Add(task.TaskId.Partition);
        var list = new List<TopicPartition>(partitions.Count);
        foreach (var p in partitions)
        {
            list.Add(p.Partition);
            _fenced.Remove(p.Partition); // assigned again: claimed anew below
        }
        _tasks.OnAssigned(list);

        var chosen = new Dictionary<TopicPartition, long>(partitions.Count);
        foreach (var group in partitions.GroupBy(p => p.Partition.Partition))
        {
            Checkpoint? checkpoint = null;
            if (_checkpoints is not null && !existing.Contains(group.Key) && _tasks.Task(group.Key) is { } task) checkpoint = Restore(task, [.. group]);
            foreach (var start in group) chosen[start.Partition] = StartOffset(start, checkpoint);
        }
        return chosen;
    }

    public void OnRevoked(IReadOnlyCollection<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count > 0) LogRevoked(_logger, _member, string.Join(", ", partitions));
        if (!_stopped)
        {
            // The transaction holds every task's outputs, so every task is checkpointed and committed with it. Offsets are
            // only stored here: a synchronous commit from inside a rebalance callback can wait forever.
            if (_transactions is not null) CommitRound(AllTasks(), [.. AllPartitions()]);
            else CommitRound(partitions.Select(p => p.Partition).Distinct(), partitions);
        }
        Close(partitions);
    }

    public void OnLost(IReadOnlyCollection<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        Close(partitions);
    }

    /// <summary>Called by the poll loop every punctuation: without checkpoints flushes and commits; with them, checkpoints when the interval is up.</summary>
    public void Tick()
    {
        if (_stopped) return;
        if (_checkpoints is null)
        {
            Commit();
            return;
        }
        var now = _clock.GetUtcNow();
        if (now < _nextCheckpoint) return;
        Checkpoint();
        _nextCheckpoint = now + _checkpoints.Interval;
    }

    /// <summary>Flush → snapshot → persist every task (when checkpointing) → commit, now.</summary>
    public void Checkpoint() => CommitRound(_checkpoints is null ? null : AllTasks(), null);

    /// <summary>The last checkpoint and commit before leaving the group; later revocations (the consumer closing) commit nothing.</summary>
    public void Stop()
    {
        if (_stopped) return;
        Checkpoint();
        _stopped = true;
    }

    private void Commit() => CommitRound(null, null);

    // The one order: flush → snapshot and persist (tasks to save, when checkpointing) → the transaction's commit of outputs
    // and positions (exactly-once) → the consumer's commit (of every partition, or of `partitions` only, stored for its
    // auto-commit). With transactions, a failure before the transaction committed aborts it and stops the member.
    private void CommitRound(IEnumerable<int>? save, IReadOnlyCollection<TopicPartition>? partitions)
    {
        try
        {
            _outputs?.Flush();
            if (save is not null) Save(save);
            _transactions?.CommitTransaction(Positions());
        }
        catch (Exception ex) when (_transactions is not null && ex is not OutOfMemoryException)
        {
            Abort(ex);
        }
        if (_fenced.Count > 0) partitions = [.. (partitions ?? [.. AllPartitions()]).Where(p => !_fenced.Contains(p))];
        if (partitions is null) _source.Commit();
        else _source.Commit(partitions);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Abort(Exception cause)
    {
        try
        {
            _transactions!.AbortTransaction();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogAbortFailed(_logger, _member, ex.Message);
        }
        throw new Core.Errors.SluiceException(
            $"{_member}: the transaction was aborted ({cause.Message}); its outputs are discarded and no input offset moved. " +
            "Restarted, the processor resumes from the last checkpoint whose transaction committed", isTransient: true, cause);
    }

    private List<int> AllTasks() => _tasks.Tasks.Select(t => t.TaskId.Partition).ToList();

    private IEnumerable<TopicPartition> AllPartitions() => _tasks.Tasks.SelectMany(t => _tasks.PartitionsOf(t.TaskId.Partition));

    // Every assigned input partition's next offset to read, for the transaction.
    private List<PartitionOffset> Positions()
    {
        var positions = new List<PartitionOffset>();
        foreach (var tp in AllPartitions())
            if (_source.PositionOf(tp) is { } next) positions.Add(new PartitionOffset(tp, next));
        return positions;
    }

    private void Close(IReadOnlyCollection<TopicPartition> partitions)
    {
        _tasks.OnRevoked(partitions);
        foreach (var p in partitions)
        {
            _fenced.Remove(p);
            if (_tasks.Task(p.Partition) is not null) continue;
            _lastSaved.Remove(p.Partition);
            _epochs.Remove(p.Partition);
        }
    }

    /// <summary>Input partitions whose task another member took over (its checkpoint write was refused): their records are skipped and their offsets never committed here until the group takes them away.</summary>
    public bool IsFenced(TopicPartition partition) => _fenced.Count > 0 && _fenced.Contains(partition);

    // Another member owns the task now: its state here is stale. Dropped, and the partitions left alone until the
    // group revokes them (or reports them lost); committing their positions could move the new owner's offsets.
    private void Fence(int partition, IReadOnlyList<TopicPartition> inputs, CheckpointFencedException ex)
    {
        LogFenced(_logger, _member, $"task-{partition}", ex.Message);
        _tasks.OnRevoked(inputs);
        _lastSaved.Remove(partition);
        _epochs.Remove(partition);
        foreach (var tp in inputs) _fenced.Add(tp);
    }

    private Checkpoint? Restore(StreamTask task, IReadOnlyList<PartitionStart> starts)
    {
        var settings = _checkpoints!;
        var key = new CheckpointKey(settings.Group, _tasks.TopologyName, task.TaskId);
        // Claimed before loading: from here on a write by the task's previous owner is refused, so what is loaded stays the latest.
        _epochs[task.TaskId.Partition] = settings.Store.Claim(key);
        var checkpoint = settings.Store.TryLoadLatest(key);
        // With transactions the committed offsets say which checkpoint's outputs committed: one ahead of them was persisted
        // for a transaction that was aborted or never finished (the process died between persisting and committing).
        // Restoring it would skip the input whose outputs were discarded.
        while (_transactions is not null && checkpoint is not null && AheadOfCommitted(checkpoint, starts) is { } ahead)
        {
            LogDiscarded(_logger, task.TaskId.ToString(), checkpoint.Sequence, ahead, checkpoint.Location);
            settings.Store.Discard(key, checkpoint.Sequence);
            checkpoint.Dispose();
            checkpoint = settings.Store.TryLoadLatest(key);
        }
        if (checkpoint is null) return null;
        var bytes = checkpoint.State.Length;
        try
        {
            settings.State.Restore(task, checkpoint.State.Sequence);
        }
        catch (CheckpointException ex)
        {
            // The snapshot's own message says what is wrong and what to do; this names the checkpoint it came from.
            throw new CheckpointException($"checkpoint {checkpoint.Location} could not be restored into {task.TaskId}: {ex.Message}", ex);
        }
        finally
        {
            // Only the offsets and the location are kept: the state's chunks go back to the pool.
            checkpoint.Dispose();
        }
        _lastSaved[task.TaskId.Partition] = [.. checkpoint.Offsets];
        var age = _clock.GetUtcNow() - checkpoint.CreatedAt;
        LogRestored(_logger, task.TaskId.ToString(), checkpoint.Sequence, string.Join(", ", checkpoint.Offsets),
            bytes, age.TotalSeconds, checkpoint.Location);
        return checkpoint;
    }

    // Table partitions are left out: their offsets are never committed (they live in the checkpoint alone).
    private string? AheadOfCommitted(Checkpoint checkpoint, IReadOnlyList<PartitionStart> starts)
    {
        foreach (var start in starts)
        {
            if (_tasks.IsTable(start.Partition.Topic)) continue;
            var committed = start.Committed ?? start.LogStart;
            if (checkpoint.OffsetOf(start.Partition) is { } offset && offset > committed)
                return string.Create(CultureInfo.InvariantCulture, $"{start.Partition}@{offset} where the committed offset is {(start.Committed is null ? "none" : committed)}");
        }
        return null;
    }

    private long StartOffset(PartitionStart start, Checkpoint? checkpoint)
    {
        long offset;
        if (checkpoint?.OffsetOf(start.Partition) is { } restored)
        {
            // A checkpoint ahead of everything the partition ever held belongs to another incarnation of the topic.
            if (restored > start.LogEnd)
                throw new CheckpointException($"checkpoint {checkpoint.Location} says to read {start.Partition} from offset {restored:N0}, but that partition ends at {start.LogEnd:N0}: " +
                    "the topic was recreated or this is another cluster; delete the task's checkpoints to start from the committed offsets with empty state");
            offset = restored;
        }
        else
        {
            offset = start.Committed ?? start.LogStart;
            if (_checkpoints is not null)
            {
                if (start.Committed is { } committed) LogNoCheckpoint(_logger, start.Partition.ToString(), committed);
                else LogNoCheckpointNoCommit(_logger, start.Partition.ToString(), start.LogStart);
            }
        }
        if (offset < start.LogStart)
        {
            var lost = start.LogStart - offset;
            lock (_lostLock) _lostInput[start.Partition] = _lostInput.GetValueOrDefault(start.Partition) + lost;
            LogInputLost(_logger, start.Partition.ToString(), offset, start.LogStart, lost);
            offset = start.LogStart;
        }
        return offset;
    }

    private void Save(IEnumerable<int> taskPartitions)
    {
        var settings = _checkpoints!;
        var watch = Stopwatch.StartNew();
        var written = new List<string>();
        foreach (var partition in taskPartitions)
        {
            if (_tasks.Task(partition) is not { } task) continue;
            var inputs = _tasks.PartitionsOf(partition);
            var offsets = new PartitionOffset[inputs.Count];
            var known = true;
            for (var i = 0; i < inputs.Count && known; i++)
            {
                if (_source.PositionOf(inputs[i]) is { } next) offsets[i] = new PartitionOffset(inputs[i], next);
                else known = false;
            }
            if (!known)
            {
                LogPositionUnknown(_logger, task.TaskId.ToString());
                continue;
            }
            // Nothing read since the last checkpoint: that checkpoint restores the same state the same input would rebuild.
            if (_lastSaved.TryGetValue(partition, out var last) && last.AsSpan().SequenceEqual(offsets)) continue;
            using var state = settings.State.Snapshot(task);
            var key = new CheckpointKey(settings.Group, _tasks.TopologyName, task.TaskId);
            Checkpoint saved;
            try
            {
                saved = settings.Store.Save(key, offsets, state, _epochs.GetValueOrDefault(partition));
            }
            catch (CheckpointFencedException ex)
            {
                Fence(partition, inputs, ex);
                continue;
            }
            _lastSaved[partition] = offsets;
            Interlocked.Increment(ref _checkpointsWritten);
            StreamingInstruments.CheckpointSize.Record(state.Length);
            written.Add(string.Create(CultureInfo.InvariantCulture, $"{task.TaskId} #{saved.Sequence} at {string.Join(", ", offsets)} ({state.Length:N0} bytes)"));
        }
        if (written.Count > 0) StreamingInstruments.CheckpointDuration.Record(watch.Elapsed.TotalSeconds);
        if (written.Count > 0) LogCheckpointWritten(_logger, written.Count, settings.Store.Description, watch.ElapsedMilliseconds, string.Join("; ", written));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member} was assigned {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string member, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member} hands back {Partitions}")]
    private static partial void LogRevoked(ILogger logger, string member, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Task} from checkpoint #{Sequence}: reading on from {Offsets}; {Bytes} bytes of state, written {AgeSeconds:0.0} s ago ({Location})")]
    private static partial void LogRestored(ILogger logger, string task, long sequence, string offsets, long bytes, double ageSeconds, string location);

    [LoggerMessage(Level = LogLevel.Information, Message = "No checkpoint for {Partition}; starting from committed offset {Offset} with empty state")]
    private static partial void LogNoCheckpoint(ILogger logger, string partition, long offset);

    [LoggerMessage(Level = LogLevel.Information, Message = "No checkpoint and no committed offset for {Partition}; starting from the log start, offset {Offset}, with empty state")]
    private static partial void LogNoCheckpointNoCommit(ILogger logger, string partition, long offset);

    [LoggerMessage(Level = LogLevel.Error, Message = "Input lost on {Partition}: reading should resume at offset {Offset} but the broker's log starts at {LogStart}; {Lost} records were deleted unread, results of this run are not exact. Continuing from the log start")]
    private static partial void LogInputLost(ILogger logger, string partition, long offset, long logStart, long lost);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Task} was not checkpointed: the position of one of its partitions is not known")]
    private static partial void LogPositionUnknown(ILogger logger, string task);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discarded checkpoint #{Sequence} of {Task}: it reads on from {Ahead}, so the transaction it was written for did not commit (aborted, or the process stopped first); restoring the one before it ({Location})")]
    private static partial void LogDiscarded(ILogger logger, string task, long sequence, string ahead, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Member}: aborting the transaction failed too ({Reason}); the broker aborts it when the producer's transaction times out or the next instance starts")]
    private static partial void LogAbortFailed(ILogger logger, string member, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Member} lost {Task} to another member: {Reason}. Its state here is dropped; the partition's records are skipped until the group takes it away")]
    private static partial void LogFenced(ILogger logger, string member, string task, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Checkpoint written for {Count} task(s) to {Store} in {Ms} ms: {Tasks}")]
    private static partial void LogCheckpointWritten(ILogger logger, int count, string store, long ms, string tasks);
}
