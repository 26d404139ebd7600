using System.Runtime.InteropServices;
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
/// that the earliest are forgotten first, counted in <see cref="Evicted"/>. Forgotten events keep the profile they were
/// joined with whatever changes arrive later.</para>
/// <para>One dictionary entry per user holds both its history and its joined events, the latter as a list of 32-byte
/// structs: joining an event is one lookup and an append, no allocation. Expired events are swept out of every list
/// each time the cutoff has moved a quarter of the horizon; until then a recheck skips them, so what is corrected does not
/// depend on when the sweep ran.</para>
/// <para>A snapshot holds both: the changes (the versions are derived again from them on restore) and the remembered
/// events, so a restored task corrects exactly what the original would have.</para>
/// </remarks>
public sealed class UserDimensionStore : IStateStore
{
    private readonly Dictionary<string, UserState> _users = new(StringComparer.Ordinal);
    private readonly long _horizonMs;
    private readonly int _maxJoined;
    private long _cutoff = EventTime.NoWatermark;
    private long _nextSweep = EventTime.NoWatermark;
    private int _joined;
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
    public long Count => Users + _joined;

    /// <summary>Joined events forgotten before their horizon to stay under the limit.</summary>
    public long Evicted => _evicted;

    /// <summary>False: the dimension is a memory of what was read; nothing in it waits to be emitted.</summary>
    public bool HoldsPendingResults => false;

    /// <summary>Users with a history.</summary>
    public int Users => _users.Values.Count(u => u.History is not null);

    /// <summary>Joined events remembered for corrections (expired ones not yet swept included).</summary>
    public int Joined => _joined;

    /// <summary>The history of <paramref name="userId"/>, or null.</summary>
    public UserHistory? History(string userId) => _users.GetValueOrDefault(userId)?.History;

    /// <summary>Applies a change; see <see cref="UserHistory.Apply"/>.</summary>
    public bool Apply(UserChange change, List<UserVersion> changed)
    {
        ArgumentNullException.ThrowIfNull(change);
        var state = State(change.UserId);
        return (state.History ??= new UserHistory()).Apply(change, changed);
    }

    /// <summary>The profile of <paramref name="userId"/> in effect at <paramref name="time"/>, as far as the changes read so far tell.</summary>
    public UserVersion? AsOf(string userId, long time) => _users.GetValueOrDefault(userId)?.History?.AsOf(time);

    /// <summary>Joins an event of <paramref name="userId"/> at <paramref name="time"/>: the version in effect then (null when none), remembered for corrections.</summary>
    public UserVersion? Join(string userId, EventId eventId, long time)
    {
        var state = State(userId);
        var profile = state.History?.AsOf(time);
        (state.Joined ??= new List<JoinedEvent>(4)).Add(new JoinedEvent(eventId, time, profile?.Position ?? NoPosition, profile?.Version ?? 0));
        if (++_joined > _maxJoined) EvictOldest();
        return profile;
    }

    /// <summary>Forgets the joined events more than the horizon behind <paramref name="watermark"/>.</summary>
    public void AdvanceTime(long watermark)
    {
        if (watermark == EventTime.NoWatermark) return;
        var cutoff = EventTime.Add(watermark, -_horizonMs);
        if (cutoff <= _cutoff) return;
        _cutoff = cutoff;
        if (cutoff < _nextSweep) return;
        Sweep(cutoff);
        _nextSweep = EventTime.Add(cutoff, Math.Max(1, _horizonMs / 4));
    }

    /// <summary>Joins the remembered events of <paramref name="userId"/> again; each whose profile is now another version is corrected (and remembered so).</summary>
    public void Recheck(string userId, long nowMs, List<ProfileCorrection> corrections)
    {
        if (!_users.TryGetValue(userId, out var state) || state.History is not { } history || state.Joined is not { } list) return;
        foreach (ref var e in CollectionsMarshal.AsSpan(list))
        {
            if (e.Time < _cutoff) continue;
            var now = history.AsOf(e.Time);
            var position = now?.Position ?? NoPosition;
            if (position == e.Position && (now?.Version ?? 0) == e.Version) continue;
            // Only a different version is a correction; the same version renumbered by an earlier change is not.
            if (position != e.Position)
                corrections.Add(new ProfileCorrection(e.EventId, userId, e.Time, e.Version, e.Position == NoPosition ? null : e.Position, now, nowMs));
            e = e with { Position = position, Version = now?.Version ?? 0 };
        }
    }

    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarInt64(_cutoff);
        writer.WriteVarInt64(_nextSweep);
        writer.WriteCount(_users.Count);
        foreach (var (user, state) in _users)
        {
            writer.WriteString(user);
            var changes = state.History?.Changes ?? [];
            writer.WriteBoolean(state.History is not null);
            writer.WriteCount(changes.Count);
            foreach (var c in changes) WriteChange(writer, c);
            var joined = state.Joined ?? [];
            writer.WriteCount(joined.Count);
            foreach (var e in joined)
            {
                writer.WriteString(e.EventId.ToString());
                writer.WriteVarInt64(e.Time);
                writer.WriteVarInt64(e.Position);
                writer.WriteVarInt32(e.Version);
            }
        }
    }

    public void ReadSnapshot(ref SnapshotReader reader)
    {
        _cutoff = reader.ReadVarInt64();
        _nextSweep = reader.ReadVarInt64();
        var users = reader.ReadCount();
        for (var i = 0; i < users; i++)
        {
            var user = reader.ReadRequiredString();
            var state = new UserState();
            var hasHistory = reader.ReadBoolean();
            var changes = reader.ReadCount();
            if (hasHistory)
            {
                state.History = new UserHistory();
                for (var j = 0; j < changes; j++) state.History.Restore(ReadChange(ref reader, user));
                state.History.Restored();
            }
            else if (changes != 0) reader.Fail($"user '{user}' has changes but no history");
            var joined = reader.ReadCount();
            if (joined > 0) state.Joined = new List<JoinedEvent>(joined);
            for (var j = 0; j < joined; j++)
            {
                var id = EventId.Parse(reader.ReadRequiredString());
                state.Joined!.Add(new JoinedEvent(id, reader.ReadVarInt64(), reader.ReadVarInt64(), reader.ReadVarInt32()));
            }
            _joined += joined;
            if (!_users.TryAdd(user, state)) reader.Fail($"user '{user}' appears twice");
        }
    }

    public void Close()
    {
        _users.Clear();
        _joined = 0;
    }

    private const long NoPosition = long.MinValue;

    private UserState State(string userId)
    {
        ref var state = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, userId, out _);
        return state ??= new UserState();
    }

    // Drops every joined event before the cutoff. A list emptied now is kept for the user's next events (most users come
    // back within a horizon); a user without history whose list was already empty at the last sweep is dropped.
    private void Sweep(long cutoff)
    {
        List<string>? idle = null;
        foreach (var (user, state) in _users)
        {
            var wasEmpty = state.Joined is not { Count: > 0 };
            if (state.Joined is { } list) _joined -= list.RemoveAll(e => e.Time < cutoff);
            if (state.History is null && wasEmpty) (idle ??= []).Add(user);
        }
        if (idle is not null) foreach (var user in idle) _users.Remove(user);
    }

    // Over the limit: the earliest quarter of the joined events goes, their time found from a sample of all of them.
    private void EvictOldest()
    {
        var times = new List<long>(_joined);
        foreach (var state in _users.Values)
            if (state.Joined is { } list) foreach (var e in list) times.Add(e.Time);
        times.Sort();
        var before = _joined;
        Sweep(times[Math.Min(times.Count - 1, times.Count / 4)]);
        if (_joined == before) Sweep(times[^1] + 1);
        _evicted += before - _joined;
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

    private sealed class UserState
    {
        public UserHistory? History;
        public List<JoinedEvent>? Joined;
    }

    // The version a joined event got: its position (NoPosition for none) and number.
    private readonly record struct JoinedEvent(EventId EventId, long Time, long Position, int Version);
}
