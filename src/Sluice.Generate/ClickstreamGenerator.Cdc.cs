using Sluice.Generate.Cdc;
using Sluice.Generate.Faults;
using Sluice.Generate.Model;

namespace Sluice.Generate;

public sealed partial class ClickstreamGenerator
{
    private bool _snapshotPending;
    private int _snapshotIndex;
    private readonly long[] _changes = new long[4];

    /// <summary>CDC records produced so far, by operation (r, c, u, d).</summary>
    public long ChangeCount(ChangeOp op) => _changes[(int)op];

    /// <summary>Emits the snapshot (op r) of the next customer; false once every customer has been read.</summary>
    private bool EmitSnapshot()
    {
        while (_snapshotIndex < _settings.Users)
        {
            var user = _users[_snapshotIndex++];
            if (!user.IsLoggedIn) continue;
            EmitChangeRecord(ChangeOp.Read, user, null, user.Current, _startMs);
            return true;
        }
        _snapshotPending = false;
        return false;
    }

    /// <summary>A create, update or delete at the current event time; false when no user qualified.</summary>
    private bool EmitChange()
    {
        var now = _clock;
        var u = _cdcRng.NextDouble();
        if (u < 0.3)
        {
            var created = _users.Create(_cdcRng, now, allowAnonymous: false);
            EmitChangeRecord(ChangeOp.Create, created, null, created.Current, now);
            return true;
        }
        if (u < 0.9)
        {
            var user = PickCustomer(now, requireIdle: false);
            if (user is null) return false;
            var before = user.Current;
            var which = _cdcRng.NextDouble();
            ProfileVersion after;
            if (which < 0.5)
            {
                after = before.With(now, segment: (Segment)(((int)before.Segment + 1 + _cdcRng.NextInt(2)) % 3));
            }
            else if (which < 0.75)
            {
                after = before.With(now, email: $"{user.UserId}.{_cdcRng.NextInt(1_000_000)}@example.org");
            }
            else
            {
                var country = Geography.Countries[_cdcRng.Pick(Geography.CumulativeWeights)];
                after = before.With(now, country: country, city: country.Cities[_cdcRng.NextInt(country.Cities.Length)]);
            }
            user.Apply(after);
            EmitChangeRecord(ChangeOp.Update, user, before, after, now);
            return true;
        }
        var gone = PickCustomer(now, requireIdle: true);
        if (gone is null) return false;
        gone.IsDeleted = true;
        EmitChangeRecord(ChangeOp.Delete, gone, gone.Current, null, now);
        return true;
    }

    /// <summary>
    /// A live customer. A deleted customer must have no events still to come, so deletion picks one that is not
    /// in a session and whose last click is older than any event still held back for late delivery.
    /// </summary>
    private UserProfile? PickCustomer(long now, bool requireIdle)
    {
        for (var attempt = 0; attempt < UserPickAttempts; attempt++)
        {
            var candidate = _users[_cdcRng.NextInt(_users.Count)];
            if (!candidate.IsLoggedIn || candidate.IsDeleted) continue;
            // At most one change per user within the late bound, so the one-version history
            // (UserProfile.AsOf) answers for every event that can still arrive.
            if (now - candidate.Current.ValidFrom < _lateMaxMs && candidate.Current.ValidFrom != candidate.CreatedAt) continue;
            if (requireIdle && (candidate.InSession || candidate.LastEventAt + _lateMaxMs >= now)) continue;
            return candidate;
        }
        return null;
    }

    private void EmitChangeRecord(ChangeOp op, UserProfile user, ProfileVersion? before, ProfileVersion? after, long tsMs)
    {
        _buffer.ResetWrittenCount();
        // The log position: one more than every change before it, as a database's would be.
        var lsn = _changes[0] + _changes[1] + _changes[2] + _changes[3] + 1;
        UserChangeJson.Write(_buffer, op, user, before, after, tsMs, lsn);
        _changes[(int)op]++;
        Current = new GeneratedRecord(RecordKind.Cdc, _settings.CdcTopic, user.UserId!, _buffer.WrittenMemory,
            tsMs, _clock, FaultKind.None, default, null, op);
    }
}
