namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>Every change of one user, in source-position order, and the SCD2 versions they make.</summary>
/// <remarks>
/// <para>The versions are a function of the changes alone: each create, read or update opens a version from its time and
/// ends the one before it; a delete ends the current version and opens none. So a change that arrives out of position
/// order is put in its place and the versions after it are derived again (renumbered, their ends moved), and a change
/// whose position is already held is a replay and changes nothing, whatever else it carries.</para>
/// <para>A history keeps every change of its user: the dimension is a table of all versions, and the state holds it whole.</para>
/// </remarks>
public sealed class UserHistory
{
    private readonly List<UserChange> _changes = [];
    private List<UserVersion> _versions = [];

    /// <summary>The changes, in position order.</summary>
    public IReadOnlyList<UserChange> Changes => _changes;

    /// <summary>The SCD2 rows, in position order.</summary>
    public IReadOnlyList<UserVersion> Versions => _versions;

    /// <summary>Applies <paramref name="change"/>; adds to <paramref name="changed"/> every version that is new or different (to be written). False for a replay.</summary>
    public bool Apply(UserChange change, List<UserVersion> changed)
    {
        ArgumentNullException.ThrowIfNull(change);
        var at = _changes.BinarySearch(change, ByPosition.Instance);
        if (at >= 0) return false;
        _changes.Insert(~at, change);
        var before = _versions;
        _versions = Derive(_changes);
        var old = new Dictionary<long, UserVersion>(before.Count);
        foreach (var v in before) old[v.Position] = v;
        foreach (var v in _versions)
            if (!old.TryGetValue(v.Position, out var was) || was != v) changed.Add(v);
        return true;
    }

    /// <summary>Adds a change read from a snapshot (positions ascending); the versions are derived once all are added.</summary>
    internal void Restore(UserChange change) => _changes.Add(change);

    /// <summary>Derives the versions after <see cref="Restore"/>.</summary>
    internal void Restored() => _versions = Derive(_changes);

    /// <summary>The version in effect at <paramref name="time"/>: the last one (by position) that began by then, unless a delete ended it; null when there was none.</summary>
    public UserVersion? AsOf(long time)
    {
        for (var i = _versions.Count - 1; i >= 0; i--)
        {
            var v = _versions[i];
            if (v.ValidFrom > time) continue;
            return v.ValidTo is { } end && end <= time ? null : v;
        }
        return null;
    }

    private static List<UserVersion> Derive(List<UserChange> changes)
    {
        var versions = new List<UserVersion>(changes.Count);
        UserVersion? current = null;
        foreach (var c in changes)
        {
            if (current is not null)
            {
                versions[^1] = current with
                {
                    ValidTo = c.ValidFrom,
                    DeletedAt = c.Op == UserChangeOp.Delete ? c.ValidFrom : null,
                };
                current = null;
            }
            if (c.Op == UserChangeOp.Delete) continue;
            var row = c.After!;
            var createdAt = row.CreatedAt ?? (versions.Count > 0 ? versions[^1].CreatedAt : null);
            current = new UserVersion(c.UserId, versions.Count + 1, c.Position, c.Op, c.ValidFrom, null, null,
                row.Email, row.Segment, row.Country, row.City, createdAt, c.Source);
            versions.Add(current);
        }
        return versions;
    }

    private sealed class ByPosition : IComparer<UserChange>
    {
        public static readonly ByPosition Instance = new();

        public int Compare(UserChange? x, UserChange? y) => x!.Position.CompareTo(y!.Position);
    }
}
