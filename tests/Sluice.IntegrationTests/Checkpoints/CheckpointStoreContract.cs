using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;

namespace Sluice.IntegrationTests.Checkpoints;

/// <summary>What every <see cref="ICheckpointStore"/> must do; each store runs these through a subclass.</summary>
public abstract class CheckpointStoreContract
{
    private static readonly CheckpointKey Key = new("group-a", "clickstream", new TaskId(3));

    /// <summary>A store over the subclass's backing (directory, database); a second call opens the same backing again.</summary>
    protected abstract ICheckpointStore OpenStore();

    /// <summary>Damages the stored bytes of the task's latest checkpoint.</summary>
    protected abstract void CorruptLatest(CheckpointKey key);

    /// <summary>Marks the task's latest checkpoint as written by a newer format version.</summary>
    protected abstract void MakeLatestNewer(CheckpointKey key);

    /// <summary>What a message about the task's latest checkpoint must contain to name it.</summary>
    protected abstract string NameOfLatest(CheckpointKey key, long sequence);

    private static PartitionOffset[] Offsets(long offset) =>
        [new(new TopicPartition("clickstream.events", 3), offset), new(new TopicPartition("clickstream.other", 3), offset * 2)];

    private static byte[] State(int seed, int length = 1000) => Enumerable.Range(0, length).Select(i => (byte)(i * 31 + seed)).ToArray();

    [Fact]
    public void a_task_without_checkpoints_loads_none()
    {
        using var store = OpenStore();
        Assert.Null(store.TryLoadLatest(Key));
        Assert.Empty(store.Sequences(Key));
    }

    [Fact]
    public void the_latest_checkpoint_loads_with_its_offsets_state_and_sequence()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(100), State(1));
        var saved = store.Save(Key, Offsets(250), State(2));

        var loaded = store.TryLoadLatest(Key);

        Assert.NotNull(loaded);
        Assert.Equal(Key, loaded.Key);
        Assert.Equal(2, loaded.Sequence);
        Assert.Equal(saved.Sequence, loaded.Sequence);
        Assert.Equal(Offsets(250), loaded.Offsets);
        Assert.Equal(State(2), loaded.State.ToArray());
        Assert.Equal(250, loaded.OffsetOf(new TopicPartition("clickstream.events", 3)));
        Assert.True(Math.Abs((loaded.CreatedAt - DateTimeOffset.UtcNow).TotalMinutes) < 5);
    }

    [Fact]
    public void an_empty_state_round_trips()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(0), []);
        Assert.Empty(store.TryLoadLatest(Key)!.State.ToArray());
    }

    [Fact]
    public void only_the_last_two_checkpoints_are_kept()
    {
        using var store = OpenStore();
        for (var i = 1; i <= 5; i++) store.Save(Key, Offsets(i * 10), State(i));

        Assert.Equal([4L, 5L], store.Sequences(Key));
        Assert.Equal(State(5), store.TryLoadLatest(Key)!.State.ToArray());
    }

    [Fact]
    public void a_discarded_checkpoint_leaves_the_previous_one_latest_and_the_next_save_keeps_both()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(10), State(1));
        var discarded = store.Save(Key, Offsets(20), State(2));

        store.Discard(Key, discarded.Sequence);
        Assert.Equal(Offsets(10), store.TryLoadLatest(Key)!.Offsets);
        store.Discard(Key, discarded.Sequence); // absent: nothing happens

        // 1. The checkpoint restored after the discard must survive the next save, or a second failure would leave
        //    nothing that matches the committed offsets.
        store.Save(Key, Offsets(30), State(3));
        Assert.Equal(2, store.Sequences(Key).Count);
        using var reopened = OpenStore();
        Assert.Equal(Offsets(30), reopened.TryLoadLatest(Key)!.Offsets);
        reopened.Discard(Key, reopened.Sequences(Key)[^1]);
        Assert.Equal(Offsets(10), reopened.TryLoadLatest(Key)!.Offsets);
    }

    [Fact]
    public void a_corrupt_latest_checkpoint_is_an_error_naming_it_and_what_to_do()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(10), State(1));
        store.Save(Key, Offsets(20), State(2));
        CorruptLatest(Key);

        var ex = Assert.Throws<CheckpointException>(() => store.TryLoadLatest(Key));

        Assert.Contains(NameOfLatest(Key, 2), ex.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("restore the previous checkpoint", ex.Message, StringComparison.Ordinal);
        Assert.Contains("committed offsets with empty state", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_checkpoint_of_a_newer_format_version_is_refused()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(10), State(1));
        MakeLatestNewer(Key);

        var ex = Assert.Throws<CheckpointException>(() => store.TryLoadLatest(Key));

        Assert.Contains(NameOfLatest(Key, 1), ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task concurrent_saves_for_different_tasks_keep_each_tasks_own_checkpoints()
    {
        using var store = OpenStore();
        var keys = Enumerable.Range(0, 6).Select(p => Key with { Task = new TaskId(p) }).ToList();

        await Task.WhenAll(keys.Select(key => Task.Run(() =>
        {
            for (var i = 1; i <= 8; i++) store.Save(key, Offsets(key.Task.Partition * 1000 + i), State(key.Task.Partition * 10 + i));
        })));

        foreach (var key in keys)
        {
            var latest = store.TryLoadLatest(key)!;
            Assert.Equal(8, latest.Sequence);
            Assert.Equal(Offsets(key.Task.Partition * 1000 + 8), latest.Offsets);
            Assert.Equal(State(key.Task.Partition * 10 + 8), latest.State.ToArray());
            Assert.Equal([7L, 8L], store.Sequences(key));
        }
    }

    [Fact]
    public void a_reopened_store_sees_what_was_saved_and_continues_the_sequence()
    {
        using (var first = OpenStore())
        {
            first.Save(Key, Offsets(10), State(1));
            first.Save(Key, Offsets(20), State(2));
        }

        using var second = OpenStore();
        Assert.Equal(State(2), second.TryLoadLatest(Key)!.State.ToArray());
        Assert.Equal(3, second.Save(Key, Offsets(30), State(3)).Sequence);
        Assert.Equal([2L, 3L], second.Sequences(Key));
    }

    [Fact]
    public void groups_and_topologies_do_not_see_each_others_checkpoints()
    {
        using var store = OpenStore();
        store.Save(Key, Offsets(10), State(1));

        Assert.Null(store.TryLoadLatest(Key with { Group = "group-b" }));
        Assert.Null(store.TryLoadLatest(Key with { Topology = "other" }));
        Assert.Null(store.TryLoadLatest(Key with { Task = new TaskId(4) }));
    }

    [Fact]
    public void a_large_state_round_trips()
    {
        using var store = OpenStore();
        var state = State(7, 8 * 1024 * 1024 + 3);
        store.Save(Key, Offsets(1), state);
        Assert.Equal(state, store.TryLoadLatest(Key)!.State.ToArray());
    }

    [Fact]
    public void claims_return_increasing_epochs_that_a_reopened_store_continues()
    {
        using (var store = OpenStore())
        {
            Assert.Equal(1, store.Claim(Key));
            Assert.Equal(2, store.Claim(Key));
            Assert.Equal(1, store.Claim(Key with { Task = new TaskId(4) }));
        }
        using var reopened = OpenStore();
        Assert.Equal(3, reopened.Claim(Key));
    }

    [Fact]
    public void a_save_by_a_member_that_lost_the_task_is_refused_and_the_new_owners_checkpoint_stays()
    {
        using var store = OpenStore();
        // 1. The first owner claims the task and checkpoints it.
        var stale = store.Claim(Key);
        store.Save(Key, Offsets(10), State(1), stale);

        // 2. A second member takes the task over (through another connection or process) and checkpoints it.
        using var other = OpenStore();
        var owner = other.Claim(Key);
        other.Save(Key, Offsets(20), State(2), owner);

        // 3. The first, paused past its session timeout, wakes up and writes: refused, nothing written.
        var ex = Assert.Throws<CheckpointFencedException>(() => store.Save(Key, Offsets(15), State(3), stale));
        Assert.Equal(stale, ex.Epoch);
        Assert.Equal(owner, ex.CurrentEpoch);
        Assert.Contains("refused", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CheckpointFencedException>(() => store.Save(Key, Offsets(15), State(3))); // a writer that never claimed

        using var loaded = store.TryLoadLatest(Key)!;
        Assert.Equal(Offsets(20), loaded.Offsets);
        Assert.Equal(State(2), loaded.State.ToArray());
        Assert.Equal(2, store.Sequences(Key).Count);

        // 4. The owner goes on writing; other tasks are not affected by the claim.
        other.Save(Key, Offsets(30), State(4), owner);
        store.Save(Key with { Task = new TaskId(5) }, Offsets(1), State(5), stale);
        Assert.Equal(Offsets(30), other.TryLoadLatest(Key)!.Offsets);
    }
}
