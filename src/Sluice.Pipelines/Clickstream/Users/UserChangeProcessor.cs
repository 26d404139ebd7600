using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>Applies user-profile changes to the task's dimension: writes each new or changed SCD2 version, and corrects the
/// remembered events whose profile the change alters.</summary>
/// <remarks>
/// A change that fails validation goes to the dead-letter output with a <see cref="UserChangeReasons"/> code; a tombstone
/// is counted and skipped; a change whose source position the dimension already holds is a replay and writes nothing.
/// Changes report no event time: the user table does not move the watermark.
/// </remarks>
public sealed class UserChangeProcessor(
    string storeName, IProcessor<string, UserVersion> versions, IProcessor<string, ProfileCorrection> corrections) : IProcessor<byte[]?, byte[]>
{
    private readonly List<UserVersion> _changed = [];
    private readonly List<ProfileCorrection> _corrections = [];
    private IProcessorContext _context = null!;
    private UserDimensionStore _store = null!;
    private Counter _applied = null!, _replayed = null!, _tombstones = null!, _versionsWritten = null!, _corrected = null!;

    /// <summary>Counter names, under the task's metrics.</summary>
    public const string AppliedCounter = "users.changes_applied", ReplayedCounter = "users.changes_replayed",
        TombstoneCounter = "users.tombstones", VersionsCounter = "users.versions_written", CorrectionsCounter = "users.corrections";

    public void Init(IProcessorContext context)
    {
        _context = context;
        _store = context.GetStateStore<UserDimensionStore>(storeName);
        _applied = context.Metrics.Counter(AppliedCounter);
        _replayed = context.Metrics.Counter(ReplayedCounter);
        _tombstones = context.Metrics.Counter(TombstoneCounter);
        _versionsWritten = context.Metrics.Counter(VersionsCounter);
        _corrected = context.Metrics.Counter(CorrectionsCounter);
    }

    public void Process(in Record<byte[]?, byte[]> record)
    {
        if (!UserChangeDecoder.TryDecode(record.Key, record.Value, record.Source.Offset, out var change, out var reason, out var detail))
        {
            if (reason is null) _tombstones.Increment();
            else _context.DeadLetter(reason, detail ?? "");
            return;
        }
        change = change! with { Source = record.Source };
        _changed.Clear();
        if (!_store.Apply(change, _changed))
        {
            _replayed.Increment();
            return;
        }
        _applied.Increment();
        foreach (var v in _changed)
        {
            _versionsWritten.Increment();
            versions.Process(new Record<string, UserVersion>(v.UserId, v, v.ValidFrom, record.Source));
        }
        _corrections.Clear();
        _store.Recheck(change.UserId, _context.NowMs, _corrections);
        foreach (var c in _corrections)
        {
            _corrected.Increment();
            corrections.Process(new Record<string, ProfileCorrection>(c.UserId, c, c.EventTime, record.Source));
        }
    }

    public void Close()
    {
    }
}
