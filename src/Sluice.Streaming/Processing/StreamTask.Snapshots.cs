using System.Buffers;
using System.Text;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Processing;

/// <summary>The task's whole state as one blob, and back.</summary>
/// <remarks>
/// <para>Format (version 1): the magic bytes <c>SLSN</c>, the format version as a varint, then sections (see
/// <see cref="SnapshotWriter"/>: name, length, CRC-32, body) in this order: <c>header</c> (task partition, topology
/// name, and the topology's shape: one line per participant below, kind, name and type), <c>task</c> (the next
/// watermark callback), <c>watermark</c>, one <c>store {name}</c> per state store and one <c>operator {name}</c> per
/// stateful processor, in registration order. A snapshot is restored only into a task whose shape is the same line for
/// line; operators check their own configuration (window sizes, session gap) in their sections.</para>
/// </remarks>
public sealed partial class StreamTask
{
    /// <summary>The snapshot format this build writes, and the newest it reads.</summary>
    public const int SnapshotFormatVersion = 1;

    private const string HeaderSection = "header";
    private const string TaskSection = "task";
    private static ReadOnlySpan<byte> SnapshotMagic => "SLSN"u8;

    private bool _started;
    private bool _restoreFailed;
    private StoreSize[]? _storeSizes;

    /// <summary>
    /// An estimate of the bytes store number <paramref name="store"/> (of <see cref="Stores"/>) holds now: its entries
    /// now times the bytes per entry of its section in this task's last snapshot (its encoded size, not the heap's);
    /// null until the task has written a snapshot.
    /// </summary>
    /// <remarks>Any thread: it reads what the last snapshot left and the store's entry count.</remarks>
    public long? EstimatedStateBytes(int store)
    {
        if (Volatile.Read(ref _storeSizes) is not { } sizes || (uint)store >= (uint)sizes.Length) return null;
        var (bytes, entries) = sizes[store];
        return entries > 0 ? (long)((double)bytes / entries * _topology.Stores[store].Count) : bytes;
    }

    /// <summary>The task's whole state as one array: for tests and tools; checkpoints use <see cref="SnapshotToBuffer"/>.</summary>
    public byte[] Snapshot()
    {
        using var buffer = SnapshotToBuffer();
        return buffer.ToArray();
    }

    /// <summary>The task's whole state (windows, sessions, dedup ids, watermarks, what has fired) in pooled chunks, for <see cref="Restore(ReadOnlySequence{byte})"/>; the caller disposes it.</summary>
    /// <remarks>Call between records, on the task's thread. Counters are not included: they count what this process did.</remarks>
    public SnapshotBuffer SnapshotToBuffer()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var participants = SnapshotParticipants();
        using var writer = new SnapshotWriter();
        writer.WriteBytesRaw(SnapshotMagic);
        writer.WriteVarUInt64(SnapshotFormatVersion);
        writer.BeginSection(HeaderSection);
        writer.WriteVarInt32(TaskId.Partition);
        writer.WriteString(_topologyName);
        writer.WriteCount(participants.Count);
        foreach (var p in participants) writer.WriteString(p.Shape);
        writer.EndSection();
        writer.BeginSection(TaskSection);
        writer.WriteVarInt64(_nextCallback);
        writer.EndSection();
        var sizes = new StoreSize[_topology.Stores.Count];
        var store = 0;
        foreach (var p in participants)
        {
            var start = writer.Length;
            writer.BeginSection(p.Section);
            p.Participant.WriteSnapshot(writer);
            writer.EndSection();
            if (store < sizes.Length && ReferenceEquals(p.Participant, _topology.Stores[store]))
                sizes[store] = new StoreSize(writer.Length - start, _topology.Stores[store++].Count);
        }
        Volatile.Write(ref _storeSizes, sizes);
        return writer.Detach();
    }

    /// <summary>Loads a <see cref="Snapshot"/> into this task, which must be freshly built: before its first record, punctuation or watermark.</summary>
    /// <exception cref="CheckpointException">The snapshot is corrupt or truncated, of a newer format, or from a task of
    /// another partition, topology or configuration; the message names the section. The task must then be discarded.</exception>
    public void Restore(ReadOnlyMemory<byte> snapshot) => Restore(new ReadOnlySequence<byte>(snapshot));

    /// <summary>Loads a snapshot held in chunks (a <see cref="SnapshotBuffer"/>'s <see cref="SnapshotBuffer.Sequence"/>) into this freshly built task.</summary>
    /// <exception cref="CheckpointException">As <see cref="Restore(ReadOnlyMemory{byte})"/>.</exception>
    public void Restore(ReadOnlySequence<byte> snapshot)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_started) throw new InvalidOperationException($"task {TaskId} has already processed records: restore a snapshot only into a freshly built task");
        _started = true;
        _restoreFailed = true;
        var participants = SnapshotParticipants();
        Span<byte> magic = stackalloc byte[4];
        if (snapshot.Length < SnapshotMagic.Length || !CopyPrefix(snapshot, magic).SequenceEqual(SnapshotMagic))
            throw new CheckpointException(HeaderSection, "not a Sluice task snapshot (it does not start with SLSN)");
        var reader = new SnapshotReader(snapshot.Slice(SnapshotMagic.Length), HeaderSection);
        var version = reader.ReadVarUInt64();
        if (version > SnapshotFormatVersion)
            throw new CheckpointException(HeaderSection, $"format version {version} is newer than this build reads (up to {SnapshotFormatVersion})",
                "Run the Sluice version that wrote it or a later one, or delete the checkpoint to start from the committed offset with empty state.");
        if (version == 0) throw new CheckpointException(HeaderSection, "format version 0 does not exist (corrupt)");

        var header = reader.ReadSection(HeaderSection);
        CheckHeader(ref header, participants);
        var task = reader.ReadSection(TaskSection);
        _nextCallback = task.ReadVarInt64();
        task.EnsureEnd();
        foreach (var p in participants)
        {
            var section = reader.ReadSection(p.Section);
            try
            {
                p.Participant.ReadSnapshot(ref section);
            }
            catch (Exception ex) when (ex is not CheckpointException and not OutOfMemoryException)
            {
                throw new CheckpointException(p.Section, $"unreadable ({ex.GetType().Name}: {ex.Message})", innerException: ex);
            }
            section.EnsureEnd();
        }
        if (!reader.End) throw new CheckpointException(participants.Count > 0 ? participants[^1].Section : TaskSection, $"{reader.Remaining} unexpected bytes after the last section");
        _restoreFailed = false;
    }

    private static Span<byte> CopyPrefix(ReadOnlySequence<byte> sequence, Span<byte> into)
    {
        sequence.Slice(0, into.Length).CopyTo(into);
        return into;
    }

    private void CheckHeader(ref SnapshotReader header, List<SnapshotPart> participants)
    {
        var partition = header.ReadVarInt32();
        var topology = header.ReadString();
        if (topology != _topologyName)
            header.Fail($"the snapshot is of topology '{topology}', this task runs '{_topologyName}'");
        if (partition != TaskId.Partition)
            header.Fail($"the snapshot is of partition {partition}, this task is partition {TaskId.Partition}");
        var count = header.ReadCount();
        var shapes = new List<string>(count);
        for (var i = 0; i < count; i++) shapes.Add(header.ReadRequiredString());
        header.EnsureEnd();
        for (var i = 0; i < Math.Max(count, participants.Count); i++)
        {
            var theirs = i < count ? shapes[i] : null;
            var ours = i < participants.Count ? participants[i].Shape : null;
            if (theirs == ours) continue;
            header.Fail(theirs is null ? $"this topology has '{ours}', which the snapshot lacks"
                : ours is null ? $"the snapshot has '{theirs}', which this topology lacks"
                : $"the snapshot has '{theirs}' where this topology has '{ours}' (participant {i + 1} of {participants.Count})");
        }
    }

    // The task's participants in snapshot order, with their section names and the shape line that the header compares.
    private List<SnapshotPart> SnapshotParticipants()
    {
        var list = new List<SnapshotPart> { new("watermark", "watermark: " + Describe(_watermark.GetType()), _watermark) };
        foreach (var s in _topology.Stores) list.Add(new("store " + s.SnapshotName, $"store {s.SnapshotName}: {Describe(s.GetType())}", s));
        foreach (var p in _topology.Processors)
        {
            if (p is ISnapshotParticipant sp) list.Add(new("operator " + sp.SnapshotName, $"operator {sp.SnapshotName}: {Describe(p.GetType())}", sp));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in list)
        {
            if (!seen.Add(p.Section))
                throw new InvalidOperationException($"two snapshot participants of task {TaskId} are named '{p.Section}': give them distinct names");
        }
        return list;
    }

    /// <summary>A type as C# spells it, without namespaces: <c>WindowStore&lt;Int32, EventCountsAggregator.Acc&gt;</c>.</summary>
    internal static string Describe(Type type)
    {
        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        if (type.IsNested && !type.IsGenericParameter && type.DeclaringType is { IsGenericTypeDefinition: false } outer) name = Describe(outer) + "." + name;
        if (!type.IsGenericType) return name;
        var sb = new StringBuilder(name).Append('<');
        var args = type.GetGenericArguments();
        for (var i = 0; i < args.Length; i++) sb.Append(i == 0 ? "" : ", ").Append(Describe(args[i]));
        return sb.Append('>').ToString();
    }

    private readonly record struct StoreSize(long Bytes, long Entries);

    private readonly record struct SnapshotPart(string Section, string Shape, ISnapshotParticipant Participant);
}
