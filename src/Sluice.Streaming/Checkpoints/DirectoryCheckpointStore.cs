using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sluice.Core.Errors;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Checkpoints;

/// <summary>Checkpoints as files: <c>{root}/{group}/{topology}/task-{n}/{sequence:D6}.ckpt</c>, the last two per task kept.</summary>
/// <remarks>
/// A write is crash-safe: the bytes go to a temporary file in the same folder, which is fsynced, renamed over the final
/// name, and the folder fsynced, so after a crash either the new file is whole or it is absent. A temporary file left
/// by a crash (never renamed) is ignored and removed by the next write. Older checkpoints are deleted only after the
/// new one is durable. The latest file is always the one restored: if it is corrupt, truncated or of a newer format,
/// loading fails with a message naming it rather than quietly falling back to the previous one.
/// <para>The state is streamed from its chunks into the file, and read back into chunks: no array of its size.</para>
/// <para>Fencing: the task's owner epoch is the file <c>owner.epoch</c> in its folder (written as checkpoints are). A
/// claim and the rename that makes a checkpoint visible both run holding <c>owner.lock</c> (an exclusive lock on the
/// file, which other processes on this machine respect too), so a save checks the epoch and renames as one step.</para>
/// </remarks>
public sealed partial class DirectoryCheckpointStore : ICheckpointStore
{
    private const string Extension = ".ckpt";
    private const string TempExtension = ".tmp";
    private const string EpochFile = "owner.epoch";
    private const string LockFile = "owner.lock";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private const int Keep = 2;
    private readonly ConcurrentDictionary<CheckpointKey, long> _lastSequence = new();
    private readonly TimeProvider _clock;

    public DirectoryCheckpointStore(string root, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = root;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The folder under which every group's checkpoints live.</summary>
    public string Root { get; }

    public string Description => $"directory {Root}";

    public void Open()
    {
        try
        {
            Directory.CreateDirectory(Root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Throw($"cannot create the checkpoint directory {Root} ({ex.Message}); set processor.checkpoint.directory to a writable folder", inner: ex);
        }
    }

    /// <summary>The folder of one task's checkpoints.</summary>
    public string TaskDirectory(CheckpointKey key) =>
        Path.Combine(Root, SafeName(key.Group), SafeName(key.Topology), key.Task.ToString());

    public long Claim(CheckpointKey key)
    {
        var folder = TaskDirectory(key);
        Directory.CreateDirectory(folder);
        using var held = Lock(folder);
        var epoch = ReadEpoch(folder) + 1;
        var path = Path.Combine(folder, EpochFile);
        WriteDurably(path, file => file.Write(Encoding.ASCII.GetBytes(epoch.ToString(CultureInfo.InvariantCulture))));
        FsyncDirectory(folder);
        return epoch;
    }

    public Checkpoint Save(CheckpointKey key, IReadOnlyList<PartitionOffset> offsets, SnapshotBuffer state, long epoch = 0)
    {
        ArgumentNullException.ThrowIfNull(state);
        var folder = TaskDirectory(key);
        Directory.CreateDirectory(folder);
        var sequence = _lastSequence.TryGetValue(key, out var last) ? last + 1 : LatestSequence(folder) + 1;
        var createdAt = _clock.GetUtcNow();
        var path = Path.Combine(folder, FileName(sequence));
        var temp = path + TempExtension;
        // The header goes through the stream's buffer; the state's chunks, as large as that buffer, straight to the file.
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: SnapshotBuffer.ChunkSize, FileOptions.None))
        {
            CheckpointFormat.Write(file, key, sequence, createdAt, offsets, state);
            file.Flush(flushToDisk: true);
        }
        using (Lock(folder))
        {
            var current = ReadEpoch(folder);
            if (epoch < current)
            {
                TryDelete(temp);
                throw new CheckpointFencedException(key, epoch, current, Path.Combine(folder, EpochFile));
            }
            File.Move(temp, path, overwrite: true);
            FsyncDirectory(folder);
        }
        _lastSequence[key] = sequence;
        Prune(folder);
        return new Checkpoint(key, sequence, offsets, state, createdAt, path);
    }

    public Checkpoint? TryLoadLatest(CheckpointKey key)
    {
        var folder = TaskDirectory(key);
        var sequences = SequencesIn(folder);
        if (sequences.Count == 0) return null;
        var path = Path.Combine(folder, FileName(sequences[^1]));
        Checkpoint checkpoint;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: SnapshotBuffer.ChunkSize, FileOptions.SequentialScan))
            checkpoint = CheckpointFormat.Read(file, path, Remedy(sequences.Count > 1, folder));
        if (checkpoint.Key != key)
        {
            checkpoint.Dispose();
            throw new CheckpointException($"checkpoint {path} belongs to {checkpoint.Key}, not {key}; it was copied or moved here: delete it, or the folder {folder} to start from the committed offsets with empty state");
        }
        _lastSequence.AddOrUpdate(key, checkpoint.Sequence, (_, s) => Math.Max(s, checkpoint.Sequence));
        return checkpoint;
    }

    public IReadOnlyList<long> Sequences(CheckpointKey key) => SequencesIn(TaskDirectory(key));

    public void Discard(CheckpointKey key, long sequence)
    {
        var folder = TaskDirectory(key);
        var path = Path.Combine(folder, FileName(sequence));
        if (!File.Exists(path)) return;
        File.Delete(path);
        FsyncDirectory(folder);
    }

    public void Dispose()
    {
    }

    private static string Remedy(bool hasPrevious, string folder) => hasPrevious
        ? $"delete it to restore the previous checkpoint, or delete the folder {folder} to start from the committed offsets with empty state"
        : $"delete the folder {folder} to start from the committed offsets with empty state";

    // The task's latest claimed epoch; 0 when none was claimed.
    private static long ReadEpoch(string folder)
    {
        var path = Path.Combine(folder, EpochFile);
        if (!File.Exists(path)) return 0;
        var text = File.ReadAllText(path).Trim();
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            throw new CheckpointException($"the owner epoch file {path} holds '{text}', not an epoch; delete it (the next member to take the task claims epoch 1)");
        return epoch;
    }

    private static void WriteDurably(string path, Action<FileStream> write)
    {
        var temp = path + TempExtension;
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.None))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    // An exclusive lock on the task folder's lock file: .NET takes it with flock(2) on Unix, so members in other
    // processes wait for it too. Held for a claim or a rename only, never while a state is written.
    private static FileStream Lock(string folder)
    {
        var path = Path.Combine(folder, LockFile);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
            catch (IOException ex)
            {
                ThrowHelper.Throw($"could not lock {path} within {LockTimeout.TotalSeconds:0} s ({ex.Message}); another process holds it", isTransient: true, ex);
            }
        }
    }

    private static string FileName(long sequence) => sequence.ToString("D6", CultureInfo.InvariantCulture) + Extension;

    private static long LatestSequence(string folder) => SequencesIn(folder) is { Count: > 0 } s ? s[^1] : 0;

    private static List<long> SequencesIn(string folder)
    {
        var sequences = new List<long>();
        if (!Directory.Exists(folder)) return sequences;
        foreach (var file in Directory.EnumerateFiles(folder, "*" + Extension))
        {
            // Temporary files end in .ckpt.tmp and do not match; anything else not named by a sequence is not ours.
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) sequences.Add(s);
        }
        sequences.Sort();
        return sequences;
    }

    // The last two files stay, whatever their sequences: after a discarded checkpoint they are not consecutive.
    private static void Prune(string folder)
    {
        var sequences = SequencesIn(folder);
        for (var i = 0; i < sequences.Count - Keep; i++) TryDelete(Path.Combine(folder, FileName(sequences[i])));
        foreach (var temp in Directory.EnumerateFiles(folder, "*" + Extension + TempExtension)) TryDelete(temp);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Kept one write longer; the next successful save tries again.
        }
    }

    // A rename is durable only once the directory entry is: fsync the folder (POSIX; Windows has no equivalent and needs none).
    // .NET refuses to open a directory as a file, hence open(2) itself.
    private static void FsyncDirectory(string folder)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(folder, 0 /* O_RDONLY */);
        if (fd < 0) ThrowHelper.Throw($"cannot open checkpoint folder {folder} to fsync it (errno {Marshal.GetLastPInvokeError()})", isTransient: true);
        try
        {
            if (Fsync(fd) != 0) ThrowHelper.Throw($"fsync of checkpoint folder {folder} failed (errno {Marshal.GetLastPInvokeError()})", isTransient: true);
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    private static string SafeName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (Array.IndexOf(invalid, chars[i]) >= 0 || chars[i] == '%') chars[i] = '_';
        var safe = new string(chars);
        return safe is "." or ".." || safe.Length == 0 ? "_" + safe : safe;
    }
}
