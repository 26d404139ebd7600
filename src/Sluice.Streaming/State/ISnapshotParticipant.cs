namespace Sluice.Streaming.State;

/// <summary>Something whose fields decide a task's outputs and so must be in its snapshot: a state store, a stateful operator, the watermark.</summary>
/// <remarks>
/// A task writes each participant in its own section named after <see cref="SnapshotName"/>, and reads it back into a
/// freshly built participant, before the task's first record. A participant reads exactly what it wrote; the section's
/// length and checksum are the task's business. Everything that can make a restored task's outputs differ from those
/// of the task that wrote the snapshot belongs here; caches that are pure functions of their input do not.
/// </remarks>
public interface ISnapshotParticipant
{
    /// <summary>The participant's name in the snapshot, unique among participants of its kind in a task.</summary>
    string SnapshotName { get; }

    /// <summary>Writes the participant's whole state.</summary>
    void WriteSnapshot(SnapshotWriter writer);

    /// <summary>Loads what <see cref="WriteSnapshot"/> wrote into this participant, which holds nothing yet.</summary>
    /// <exception cref="CheckpointException">The data is corrupt or was written by a participant of another shape.</exception>
    void ReadSnapshot(ref SnapshotReader reader);
}

/// <summary>Writes and reads values of one type in a snapshot: the values (and keys) of a generic state store.</summary>
public interface IStateSerde<T>
{
    void Write(SnapshotWriter writer, in T value);

    T Read(ref SnapshotReader reader);
}
