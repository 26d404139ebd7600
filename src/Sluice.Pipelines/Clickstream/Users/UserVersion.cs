using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>One row of the type-2 slowly changing dimension <c>dim_users</c>: a user's profile over <c>[ValidFrom, ValidTo)</c>.</summary>
/// <remarks>Its stable id is (<see cref="UserId"/>, <see cref="Position"/>): the change that opened it. The processor writes a row when
/// it opens and again whenever it changes (closed by the next change or a delete, or renumbered by a change that arrived out of order).</remarks>
/// <param name="Version">1, 2, 3 … in source-position order, per user.</param>
/// <param name="Position">The source position of the change that opened this version.</param>
/// <param name="Op">The operation of that change: r, c or u.</param>
/// <param name="ValidFrom">Epoch milliseconds from which this version is in effect.</param>
/// <param name="ValidTo">Epoch milliseconds at which the next change (or a delete) ended it; null while current.</param>
/// <param name="DeletedAt">When a delete ended it; null otherwise.</param>
/// <param name="CreatedAt">The user's signup, epoch milliseconds.</param>
/// <param name="Source">Where the opening change was read.</param>
public sealed record UserVersion(string UserId, int Version, long Position, UserChangeOp Op, long ValidFrom, long? ValidTo, long? DeletedAt,
    string? Email, string? Segment, string? Country, string? City, long? CreatedAt, RecordSource Source)
{
    /// <summary>Open: no later change or delete has ended it.</summary>
    public bool IsCurrent => ValidTo is null;

    /// <summary>The UTC date of <see cref="CreatedAt"/>.</summary>
    public DateOnly? SignupDate => CreatedAt is { } ms ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime) : null;

    /// <summary>Whether this version was in effect at <paramref name="time"/>.</summary>
    public bool Covers(long time) => ValidFrom <= time && (ValidTo is not { } end || time < end);
}
