using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming.Checkpoints;

/// <summary>The commit coordinator's order and its restore decisions, with task state as plain blobs.</summary>
public sealed class CommitCoordinatorTests : IDisposable
{
    private const string Topic = "in";
    private readonly List<string> _events = [];
    private readonly ManualClock _clock = new(DateTimeOffset.UnixEpoch);
    private readonly FakeSource _source;
    private readonly BlobState _state;
    private readonly MemoryStore _store;
    private readonly TaskManager _tasks;
    private readonly CommitCoordinator _coordinator;
    private readonly TransactionalCollector _transactions;
    private readonly CommitCoordinator _exactlyOnce;

    public CommitCoordinatorTests()
    {
        _source = new FakeSource(_events);
        _state = new BlobState(_events);
        _store = new MemoryStore(_events);
        var topology = new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100)));
        _tasks = new TaskManager(topology, WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero), _clock, new LoggingCollector(_events));
        _coordinator = new CommitCoordinator(_source, _tasks, new LoggingCollector(_events), _clock,
            checkpoints: new CheckpointSettings(_store, "g", TimeSpan.FromSeconds(10)) { State = _state });
        _transactions = new TransactionalCollector(_events);
        _exactlyOnce = new CommitCoordinator(_source, _tasks, null, _clock,
            checkpoints: new CheckpointSettings(_store, "g", TimeSpan.FromSeconds(10)) { State = _state }, transactions: _transactions);
    }

    private static PartitionStart Start(int partition, long? committed, long logStart = 0, long logEnd = 1000) =>
        new(new TopicPartition(Topic, partition), committed, logStart, logEnd);

    // As the Kafka source does: the offsets the coordinator chooses become the partitions' positions.
    private IReadOnlyDictionary<TopicPartition, long> Assign(params PartitionStart[] starts) => Assign(_coordinator, starts);

    private IReadOnlyDictionary<TopicPartition, long> Assign(CommitCoordinator coordinator, params PartitionStart[] starts)
    {
        var chosen = coordinator.OnAssigned(starts);
        _source.Started(chosen);
        return chosen;
    }

    private static CheckpointKey Key(int partition) => new("g", "test", new TaskId(partition));

    [Fact]
    public void a_checkpoint_flushes_then_snapshots_and_persists_each_task_then_commits()
    {
        Assign(Start(0, 5), Start(1, 7));
        _source.Advance(new TopicPartition(Topic, 0), 9);
        _events.Clear();

        _coordinator.Checkpoint();

        Assert.Equal(["flush", "snapshot task-0", "save task-0 in[0]@9", "snapshot task-1", "save task-1 in[1]@7", "commit all"], _events);
    }

    [Fact]
    public void a_member_whose_task_was_claimed_by_another_drops_it_and_neither_saves_nor_commits_it()
    {
        // 1. This member owns tasks 0 and 1 and has read on past the committed offsets.
        Assign(Start(0, 5), Start(1, 7));
        _source.Advance(new TopicPartition(Topic, 0), 9);
        _source.Advance(new TopicPartition(Topic, 1), 8);
        // 2. Meanwhile another member took task 0 over (a rebalance this one missed while paused).
        _store.ClaimElsewhere(Key(0));
        _events.Clear();

        // 3. The refused write drops task 0's state here; task 1 is saved; only task 1's partition is committed.
        _coordinator.Checkpoint();

        Assert.Equal(["flush", "snapshot task-0", "snapshot task-1", "save task-1 in[1]@8", "commit in[1]"], _events);
        Assert.Null(_tasks.Task(0));
        Assert.NotNull(_tasks.Task(1));
        Assert.True(_coordinator.IsFenced(new TopicPartition(Topic, 0)));
        Assert.False(_coordinator.IsFenced(new TopicPartition(Topic, 1)));

        // 4. Assigned again (the group gives it back), the task is claimed anew and saves again.
        _coordinator.OnRevoked([new TopicPartition(Topic, 0)]);
        Assign(Start(0, 5));
        Assert.False(_coordinator.IsFenced(new TopicPartition(Topic, 0)));
        _source.Advance(new TopicPartition(Topic, 0), 12);
        _events.Clear();
        _coordinator.Checkpoint();
        Assert.Contains("save task-0 in[0]@12", _events);
    }

    [Fact]
    public void ticks_checkpoint_and_commit_only_once_the_interval_is_up()
    {
        Assign(Start(0, 5));
        _events.Clear();

        _clock.Advance(TimeSpan.FromSeconds(9));
        _coordinator.Tick();
        Assert.Empty(_events);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _coordinator.Tick();
        Assert.Equal(["flush", "snapshot task-0", "save task-0 in[0]@5", "commit all"], _events);
    }

    [Fact]
    public void a_task_whose_input_has_not_moved_is_not_checkpointed_again()
    {
        Assign(Start(0, 5));
        _coordinator.Checkpoint();
        _events.Clear();

        _coordinator.Checkpoint();

        Assert.Equal(["flush", "commit all"], _events);
    }

    [Fact]
    public void an_assigned_task_restores_its_latest_checkpoint_and_starts_at_its_offset_not_the_committed_one()
    {
        _store.Save(Key(1), [new PartitionOffset(new TopicPartition(Topic, 1), 40)], [1, 2, 3]);
        _events.Clear();

        var starts = Assign(Start(1, committed: 55));

        Assert.Equal(40, starts[new TopicPartition(Topic, 1)]);
        Assert.Equal(["load task-1", "restore task-1 3 bytes"], _events);
        Assert.Empty(_coordinator.LostInput);
    }

    [Fact]
    public void without_a_checkpoint_a_task_starts_empty_at_the_committed_offset_or_else_the_log_start()
    {
        var starts = Assign(Start(0, committed: 55), Start(1, committed: null, logStart: 12));

        Assert.Equal(55, starts[new TopicPartition(Topic, 0)]);
        Assert.Equal(12, starts[new TopicPartition(Topic, 1)]);
        Assert.DoesNotContain(_events, e => e.StartsWith("restore", StringComparison.Ordinal));
    }

    [Fact]
    public void input_deleted_past_the_checkpoint_is_counted_and_reading_resumes_at_the_log_start()
    {
        _store.Save(Key(2), [new PartitionOffset(new TopicPartition(Topic, 2), 10)], [9]);

        var starts = Assign(Start(2, committed: 10, logStart: 25));

        Assert.Equal(25, starts[new TopicPartition(Topic, 2)]);
        Assert.Equal(15, _coordinator.LostInput[new TopicPartition(Topic, 2)]);
        Assert.Equal(15, _coordinator.LostInputRecords);
    }

    [Fact]
    public void a_checkpoint_beyond_the_end_of_its_partition_is_refused()
    {
        _store.Save(Key(0), [new PartitionOffset(new TopicPartition(Topic, 0), 500)], [9]);

        var ex = Assert.Throws<CheckpointException>(() => Assign(Start(0, committed: null, logEnd: 20)));

        Assert.Contains("memory:task-0#1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ends at 20", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_snapshot_the_task_cannot_restore_names_the_checkpoint()
    {
        _store.Save(Key(0), [new PartitionOffset(new TopicPartition(Topic, 0), 5)], [0xFF]);
        _state.Refuse = true;

        var ex = Assert.Throws<CheckpointException>(() => Assign(Start(0, committed: null)));

        Assert.Contains("checkpoint memory:task-0#1 could not be restored into task-0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void revocation_checkpoints_and_commits_the_revoked_tasks_before_closing_them_and_after_stop_commits_nothing()
    {
        Assign(Start(0, 5), Start(1, 7));
        _source.Advance(new TopicPartition(Topic, 1), 8);
        _events.Clear();

        _coordinator.OnRevoked([new TopicPartition(Topic, 1)]);
        Assert.Equal(["flush", "snapshot task-1", "save task-1 in[1]@8", "commit in[1]"], _events);
        Assert.Null(_tasks.Task(1));

        _coordinator.Stop();
        _events.Clear();
        _coordinator.OnRevoked([new TopicPartition(Topic, 0)]);
        Assert.Empty(_events);
        Assert.Null(_tasks.Task(0));
    }

    [Fact]
    public void lost_partitions_close_their_tasks_without_a_checkpoint_or_a_commit()
    {
        Assign(Start(0, 5));
        _events.Clear();

        _coordinator.OnLost([new TopicPartition(Topic, 0)]);

        Assert.Empty(_events);
        Assert.Null(_tasks.Task(0));
    }

    [Fact]
    public void exactly_once_commits_the_transaction_with_every_position_after_the_checkpoints_and_before_the_consumer_commit()
    {
        Assign(_exactlyOnce, Start(0, 5), Start(1, 7));
        _source.Advance(new TopicPartition(Topic, 0), 9);
        _events.Clear();

        _exactlyOnce.Checkpoint();

        Assert.Equal(["flush", "snapshot task-0", "save task-0 in[0]@9", "snapshot task-1", "save task-1 in[1]@7",
            "commit transaction in[0]@9, in[1]@7", "commit all"], _events);
    }

    [Fact]
    public void exactly_once_revocation_checkpoints_and_commits_every_task_because_the_transaction_holds_all_their_outputs()
    {
        Assign(_exactlyOnce, Start(0, 5), Start(1, 7));
        _source.Advance(new TopicPartition(Topic, 0), 6);
        _source.Advance(new TopicPartition(Topic, 1), 8);
        _events.Clear();

        _exactlyOnce.OnRevoked([new TopicPartition(Topic, 1)]);

        Assert.Equal(["flush", "snapshot task-0", "save task-0 in[0]@6", "snapshot task-1", "save task-1 in[1]@8",
            "commit transaction in[0]@6, in[1]@8", "commit in[0],in[1]"], _events);
        Assert.NotNull(_tasks.Task(0));
        Assert.Null(_tasks.Task(1));
    }

    [Fact]
    public void exactly_once_a_failed_commit_aborts_the_transaction_commits_no_offset_and_stops_the_member()
    {
        Assign(_exactlyOnce, Start(0, 5));
        _source.Advance(new TopicPartition(Topic, 0), 9);
        _transactions.FailCommit = true;
        _events.Clear();

        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(_exactlyOnce.Checkpoint);

        Assert.Equal(["flush", "snapshot task-0", "save task-0 in[0]@9", "commit transaction in[0]@9", "abort transaction"], _events);
        Assert.Contains("the transaction was aborted (broker said no)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void exactly_once_a_checkpoint_ahead_of_the_committed_offsets_is_discarded_and_the_one_before_restored()
    {
        // 1. Checkpoint #1 committed with its transaction (offset 40); #2 was persisted, but its transaction did not commit.
        _store.Save(Key(1), [new PartitionOffset(new TopicPartition(Topic, 1), 40)], [1]);
        _store.Save(Key(1), [new PartitionOffset(new TopicPartition(Topic, 1), 70)], [1, 2]);
        _events.Clear();

        // 2. The committed offset is #1's: #2 goes, #1 is restored and reading resumes where its transaction committed.
        var starts = Assign(_exactlyOnce, Start(1, committed: 40));

        Assert.Equal(40, starts[new TopicPartition(Topic, 1)]);
        Assert.Equal(["load task-1", "discard task-1 #2", "load task-1", "restore task-1 1 bytes"], _events);
    }

    [Fact]
    public void at_least_once_restores_the_latest_checkpoint_even_when_it_is_ahead_of_the_committed_offsets()
    {
        _store.Save(Key(1), [new PartitionOffset(new TopicPartition(Topic, 1), 40)], [1]);
        _store.Save(Key(1), [new PartitionOffset(new TopicPartition(Topic, 1), 70)], [1, 2]);

        Assert.Equal(70, Assign(Start(1, committed: 40))[new TopicPartition(Topic, 1)]);
    }

    public void Dispose() => _tasks.Dispose();

    private sealed class TransactionalCollector(List<string> events) : ITransactionalCollector
    {
        public bool FailCommit { get; set; }

        public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) { }

        public void Flush() => events.Add("flush");

        public void CommitTransaction(IReadOnlyCollection<PartitionOffset> positions)
        {
            events.Add("commit transaction " + string.Join(", ", positions));
            if (FailCommit) throw new InvalidOperationException("broker said no");
        }

        public void AbortTransaction() => events.Add("abort transaction");
    }

    private sealed class FakeSource(List<string> events) : IPartitionSource
    {
        private readonly Dictionary<TopicPartition, long> _positions = [];

        public void Advance(TopicPartition partition, long next) => _positions[partition] = next;

        public void Subscribe(IReadOnlyCollection<string> topics, IAssignmentListener listener) { }

        public SourceRecord? Poll(TimeSpan timeout) => null;

        public void MarkProcessed(in SourceRecord record) => _positions[record.TopicPartition] = record.Offset + 1;

        // As the Kafka source does: the start chosen on assignment is the position until a record is processed.
        public long? PositionOf(TopicPartition partition) => _positions.TryGetValue(partition, out var p) ? p : null;

        public void Commit() => events.Add("commit all");

        public void Commit(IReadOnlyCollection<TopicPartition> partitions) => events.Add("commit " + string.Join(",", partitions));

        public void Dispose() { }

        internal void Started(IReadOnlyDictionary<TopicPartition, long> starts)
        {
            foreach (var (tp, offset) in starts) _positions[tp] = offset;
        }
    }

    private sealed class BlobState(List<string> events) : ITaskStateSerializer
    {
        public bool Refuse { get; set; }

        public SnapshotBuffer Snapshot(StreamTask task)
        {
            events.Add($"snapshot {task.TaskId}");
            return SnapshotBuffer.From([(byte)task.TaskId.Partition]);
        }

        public void Restore(StreamTask task, System.Buffers.ReadOnlySequence<byte> state)
        {
            if (Refuse) throw new CheckpointException("header", "written by another topology");
            events.Add($"restore {task.TaskId} {state.Length} bytes");
        }
    }

    private sealed class LoggingCollector(List<string> events) : IFlushableCollector
    {
        public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record) { }

        public void Flush() => events.Add("flush");
    }

    private sealed class MemoryStore(List<string> events) : ICheckpointStore
    {
        private readonly Dictionary<CheckpointKey, List<Checkpoint>> _saved = [];
        private readonly Dictionary<CheckpointKey, long> _epochs = [];

        /// <summary>Claims the task as another member would.</summary>
        public void ClaimElsewhere(CheckpointKey key) => _epochs[key] = _epochs.GetValueOrDefault(key) + 1;

        public string Description => "memory";

        public void Open() { }

        public long Claim(CheckpointKey key)
        {
            _epochs[key] = _epochs.GetValueOrDefault(key) + 1;
            return _epochs[key];
        }

        public Checkpoint Save(CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, SnapshotBuffer state, long epoch = 0)
        {
            if (epoch < _epochs.GetValueOrDefault(key)) throw new CheckpointFencedException(key, epoch, _epochs[key], "memory");
            events.Add($"save {key.Task} {string.Join(",", offsets)}");
            if (!_saved.TryGetValue(key, out var list)) _saved[key] = list = [];
            var sequence = list.Count == 0 ? 1 : list[^1].Sequence + 1;
            var checkpoint = new Checkpoint(key, sequence, [.. offsets], SnapshotBuffer.From(state.ToArray()), DateTimeOffset.UnixEpoch, $"memory:{key.Task}#{sequence}");
            list.Add(checkpoint);
            return checkpoint;
        }

        public Checkpoint? TryLoadLatest(CheckpointKey key)
        {
            events.Add($"load {key.Task}");
            // A copy, as a store reading its backing returns: the caller disposes what it loaded.
            return _saved.TryGetValue(key, out var list) ? list[^1] with { State = SnapshotBuffer.From(list[^1].State.ToArray()) } : null;
        }

        public IReadOnlyList<long> Sequences(CheckpointKey key) => _saved.TryGetValue(key, out var list) ? list.Select(c => c.Sequence).ToList() : [];

        public void Discard(CheckpointKey key, long sequence)
        {
            events.Add($"discard {key.Task} #{sequence}");
            if (_saved.TryGetValue(key, out var list)) list.RemoveAll(c => c.Sequence == sequence);
        }

        public void Dispose() { }
    }
}
