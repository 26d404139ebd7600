using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>The user dimension of one task: every user's change history (<see cref="UserHistory"/>), and the events joined
/// recently enough that a late change can still correct them.</summary>
/// <remarks>
/// <para>The histories are kept whole (they are the SCD2 table of the partition's users). A joined event is remembered
/// with the version it got until the watermark is <c>horizon</c> past its time, and at most <c>maxJoined</c> at once: above
/// that the earliest joined are forgotten first, counted in <see cref="Evicted"/>. Forgotten events keep the profile
/// they were joined with whatever changes arrive later.</para>
/// <para>A snapshot holds both: the changes (the versions are derived again from them on restore) and the remembered
/// events in the order they were joined, so a restored task corrects exactly what the original would have.</para>
/// </remarks>
public sealed class UserDimensionStore : IStateStore
{
    private readonly Dictionary<string, UserHistory> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JoinedEvent>> _joinedByUser = new(StringComparer.Ordinal);
    private readonly Queue<JoinedEvent> _joined = new();
    private readonly long _horizonMs;
    private readonly int _maxJoined;
    private int _liveJoined;
    private long _evicted;

    public UserDimensionStore(string name, TimeSpan horizon, int maxJoined)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (horizon <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration($"{name}.horizon", "must be positive, for example 01:00:00");
        if (maxJoined < 1) ThrowHelper.ThrowConfiguration($"{name}.maxJoined", "must be at least 1");
        Name = name;
        _horizonMs = (long)horizon.TotalMilliseconds;
        _maxJoined = maxJoined;
    }

    public string Name { get; }

    /// <summary>Users with a history, plus joined events remembered.</summary>
    public long Count => _users.Count + _liveJoined;

    /// <summary>Joined events forgotten before their horizon to stay under the limit.</summary>
    public long Evicted => _evicted;

    /// <summary>False: the dimension is a memory of what was read; nothing in it waits to be emitted.</summary>
    public bool HoldsPendingResults => false;

    /// <summary>Users with a history.</summary>
    public int Users => _users.Count;

    /// <summary>Joined events remembered for corrections.</summary>
    public int Joined => _liveJoined;

    /// <summary>The history of <paramref name="userId"/>, or null.</summary>
    public UserHistory? History(string userId) => _users.GetValueOrDefault(userId);

    /// <summary>Every user's history.</summary>
    public IEnumerable<KeyValuePair<string, UserHistory>> Histories => _users;

    /// <summary>Applies a change; see <see cref="UserHistory.Apply"/>.</summary>
    public bool Apply(UserChange change, List<UserVersion> changed)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (!_users.TryGetValue(change.UserId, out var history)) _users[change.UserId] = history = new UserHistory();
        return history.Apply(change, changed);
    }

    /// <summary>The profile of <paramref name="userId"/> in effect at <paramref name="time"/>, as far as the changes read so far tell.</summary>
    public UserVersion? AsOf(string userId, long time) => _users.TryGetValue(userId, out var h) ? h.AsOf(time) : null;

    /// <summary>Remembers that an event of <paramref name="userId"/> at <paramref name="time"/> was joined with <paramref name="joined"/>.</summary>
    public void Remember(string userId, EventId eventId, long time, UserVersion? joined)
    {
        var e = new JoinedEvent(userId, eventId, time) { Version = joined?.Version ?? 0, Position = joined?.Position };
        _joined.Enqueue(e);
        if (!_joinedByUser.TryGetValue(userId, out var list)) _joinedByUser[userId] = list = [];
        list.Add(e);
        _liveJoined++;
        while (_liveJoined > _maxJoined && Forget()) _evicted++;
    }

    /// <summary>Forgets the joined events more than the horizon behind <paramref name="watermark"/>.</summary>
    public void AdvanceTime(long watermark)
    {
        if (watermark == EventTime.NoWatermark) return;
        var cutoff = EventTime.Add(watermark, -_horizonMs);
        while (_joined.TryPeek(out var head) && (head.Forgotten || head.Time < cutoff)) Forget();
    }

    /// <summary>Joins the remembered events of <paramref name="userId"/> again; each whose profile is now another version is corrected (and remembered so).</summary>
    public void Recheck(string userId, long nowMs, List<ProfileCorrection> corrections)
    {
        if (!_joinedByUser.TryGetValue(userId, out var list) || !_users.TryGetValue(userId, out var history)) return;
        foreach (var e in list)
        {
            var now = history.AsOf(e.Time);
            if (now?.Position == e.Position && (now?.Version ?? 0) == e.Version) continue;
            // Only a different version is a correction; the same version renumbered by an earlier change is not.
            if (now?.Position != e.Position)
                corrections.Add(new ProfileCorrection(e.EventId, userId, e.Time, e.Version, e.Position, now, nowMs));
            e.Version = now?.Version ?? 0;
            e.Position = now?.Position;
        }
    }

    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteCount(_users.Count);
        foreach (var (user, history) in _users)
        {
            writer.WriteString(user);
            writer.WriteCount(history.Changes.Count);
            foreach (var c in history.Changes) WriteChange(writer, c);
        }
        writer.WriteCount(_liveJoined);
        foreach (var e in _joined)
        {
            if (e.Forgotten) continue;
            writer.WriteString(e.UserId);
            writer.WriteString(e.EventId.ToString());
            writer.WriteVarInt64(e.Time);
            writer.WriteVarInt32(e.Version);
            writer.WriteBoolean(e.Position is not null);
            if (e.Position is { } p) writer.WriteVarInt64(p);
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        var users = reader.ReadCount();
        for (var i = 0; i < users; i++)
        {
            var user = reader.ReadRequiredString();
            var history = new UserHistory();
            var changes = reader.ReadCount();
            for (var j = 0; j < changes; j++) history.Restore(ReadChange(ref reader, user));
            history.Restored();
            if (!_users.TryAdd(user, history)) reader.Fail($"user '{user}' appears twice");
        }
        var joined = reader.ReadCount();
        for (var i = 0; i < joined; i++)
        {
            var user = reader.ReadRequiredString();
            var id = EventId.Parse(reader.ReadRequiredString());
            var time = reader.ReadVarInt64();
            var version = reader.ReadVarInt32();
            long? position = reader.ReadBoolean() ? reader.ReadVarInt64() : null;
            var e = new JoinedEvent(user, id, time) { Version = version, Position = position };
            _joined.Enqueue(e);
            if (!_joinedByUser.TryGetValue(user, out var list)) _joinedByUser[user] = list = [];
            list.Add(e);
            _liveJoined++;
        }
    }

    public void Close()
    {
        _users.Clear();
        _joined.Clear();
        _joinedByUser.Clear();
        _liveJoined = 0;
    }

    private bool Forget()
    {
        if (!_joined.TryDequeue(out var e)) return false;
        if (e.Forgotten) return true;
        e.Forgotten = true;
        _liveJoined--;
        if (_joinedByUser.TryGetValue(e.UserId, out var list))
        {
            list.Remove(e);
            if (list.Count == 0) _joinedByUser.Remove(e.UserId);
        }
        return true;
    }

    private static void WriteChange(SnapshotWriter w, UserChange c)
    {
        w.WriteByte((byte)c.Op);
        w.WriteVarInt64(c.Position);
        w.WriteVarInt64(c.ValidFrom);
        WriteImage(w, c.Before);
        WriteImage(w, c.After);
        w.WriteString(c.Source.Topic);
        w.WriteVarInt32(c.Source.Partition);
        w.WriteVarInt64(c.Source.Offset);
    }

    private static UserChange ReadChange(ref SnapshotReader r, string user)
    {
        var op = r.ReadByte();
        if (op > (byte)UserChangeOp.Delete) r.Fail($"unknown change op {op}");
        var position = r.ReadVarInt64();
        var validFrom = r.ReadVarInt64();
        var before = ReadImage(ref r);
        var after = ReadImage(ref r);
        var source = new RecordSource(r.ReadString() ?? "", r.ReadVarInt32(), r.ReadVarInt64());
        return new UserChange(user, (UserChangeOp)op, position, validFrom, before, after) { Source = source };
    }

    private static void WriteImage(SnapshotWriter w, UserImage? image)
    {
        w.WriteBoolean(image is not null);
        if (image is null) return;
        w.WriteString(image.UserId);
        w.WriteString(image.Email);
        w.WriteString(image.Segment);
        w.WriteString(image.Country);
        w.WriteString(image.City);
        w.WriteBoolean(image.CreatedAt is not null);
        if (image.CreatedAt is { } t) w.WriteVarInt64(t);
    }

    private static UserImage? ReadImage(ref SnapshotReader r)
    {
        if (!r.ReadBoolean()) return null;
        return new UserImage(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(), r.ReadString(),
            r.ReadBoolean() ? r.ReadVarInt64() : null);
    }

    private sealed class JoinedEvent(string userId, EventId eventId, long time)
    {
        public string UserId { get; } = userId;
        public EventId EventId { get; } = eventId;
        public long Time { get; } = time;
        public int Version { get; set; }
        public long? Position { get; set; }
        public bool Forgotten { get; set; }
    }
}
