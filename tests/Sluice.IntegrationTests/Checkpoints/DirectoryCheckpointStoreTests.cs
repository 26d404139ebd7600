using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Checkpoints;

/// <summary>The checkpoint store contract on files, plus what only files can suffer: torn writes and truncation.</summary>
public sealed class DirectoryCheckpointStoreTests : CheckpointStoreContract, IDisposable
{
    private static readonly CheckpointKey Key = new("group-a", "clickstream", new TaskId(3));
    private readonly TempDirectory _dir = new("sluice-checkpoints");

    protected override ICheckpointStore OpenStore()
    {
        var store = new DirectoryCheckpointStore(_dir.Path);
        store.Open();
        return store;
    }

    private string LatestFile(CheckpointKey key)
    {
        var store = new DirectoryCheckpointStore(_dir.Path);
        return Path.Combine(store.TaskDirectory(key), $"{store.Sequences(key)[^1]:D6}.ckpt");
    }

    protected override void CorruptLatest(CheckpointKey key)
    {
        var path = LatestFile(key);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
    }

    protected override void MakeLatestNewer(CheckpointKey key)
    {
        var path = LatestFile(key);
        Checkpoint current;
        using (var file = File.OpenRead(path)) current = CheckpointFormat.Read(file, path, "");
        using (current)
        using (var file = File.Create(path))
            CheckpointFormat.Write(file, key, current.Sequence, current.CreatedAt, current.Offsets, current.State, version: CheckpointFormat.Version + 1);
    }

    protected override string NameOfLatest(CheckpointKey key, long sequence) =>
        Path.Combine(new DirectoryCheckpointStore(_dir.Path).TaskDirectory(key), $"{sequence:D6}.ckpt");

    [Fact]
    public void files_are_named_by_group_topology_task_and_sequence()
    {
        using var store = OpenStore();
        var saved = store.Save(Key, [], [1, 2, 3]);
        Assert.Equal(Path.Combine(_dir.Path, "group-a", "clickstream", "task-3", "000001.ckpt"), saved.Location);
        Assert.True(File.Exists(saved.Location));
    }

    [Fact]
    public void a_torn_temporary_file_from_a_crash_is_ignored_and_removed_by_the_next_save()
    {
        using var store = OpenStore();
        store.Save(Key, [], [1]);
        // 1. A crash between writing the temporary file and renaming it leaves this behind.
        var torn = Path.Combine(store is DirectoryCheckpointStore d ? d.TaskDirectory(Key) : "", "000002.ckpt.tmp");
        File.WriteAllBytes(torn, [0x53, 0x4C, 0x55]);

        // 2. The restart restores the last complete checkpoint.
        using var restarted = OpenStore();
        Assert.Equal(1, restarted.TryLoadLatest(Key)!.Sequence);

        // 3. The next save takes the sequence and clears the torn file.
        Assert.Equal(2, restarted.Save(Key, [], [2]).Sequence);
        Assert.False(File.Exists(torn));
    }

    [Fact]
    public void a_truncated_latest_file_is_an_error_naming_it()
    {
        using var store = OpenStore();
        store.Save(Key, [], new byte[100]);
        var path = LatestFile(Key);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);

        var ex = Assert.Throws<CheckpointException>(() => store.TryLoadLatest(Key));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("delete the folder", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void a_refused_save_leaves_no_file_behind_and_a_damaged_epoch_file_is_an_error_naming_it()
    {
        using var store = OpenStore();
        var folder = ((DirectoryCheckpointStore)store).TaskDirectory(Key);
        var stale = store.Claim(Key);
        store.Save(Key, [], [1], stale);
        store.Claim(Key);

        Assert.Throws<CheckpointFencedException>(() => store.Save(Key, [], [2], stale));
        Assert.Equal(["000001.ckpt"], Directory.EnumerateFiles(folder, "*.ckpt*").Select(Path.GetFileName));

        File.WriteAllText(Path.Combine(folder, "owner.epoch"), "x");
        var ex = Assert.Throws<CheckpointException>(() => store.Claim(Key));
        Assert.Contains(Path.Combine(folder, "owner.epoch"), ex.Message, StringComparison.Ordinal);
    }
}
