namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>A Debezium operation: snapshot read, create, update, delete.</summary>
public enum UserChangeOp : byte
{
    Read,
    Create,
    Update,
    Delete,
}

/// <summary>The wire codes of <see cref="UserChangeOp"/>: r, c, u, d.</summary>
public static class UserChangeOps
{
    public static string Code(this UserChangeOp op) => op switch
    {
        UserChangeOp.Read => "r",
        UserChangeOp.Create => "c",
        UserChangeOp.Update => "u",
        _ => "d",
    };

    /// <summary>The operation of a code; false for anything but r, c, u, d.</summary>
    public static bool TryParse(string? code, out UserChangeOp op)
    {
        op = code switch
        {
            "r" => UserChangeOp.Read,
            "c" => UserChangeOp.Create,
            "u" => UserChangeOp.Update,
            "d" => UserChangeOp.Delete,
            _ => (UserChangeOp)255,
        };
        return (byte)op != 255;
    }
}

/// <summary>A user row as a change's <c>before</c> or <c>after</c> image carries it.</summary>
/// <param name="CreatedAt">Epoch milliseconds; the user's signup.</param>
public sealed record UserImage(string? UserId, string? Email, string? Segment, string? Country, string? City, long? CreatedAt)
{
    /// <summary>The signup date (UTC) of <see cref="CreatedAt"/>.</summary>
    public DateOnly? SignupDate => CreatedAt is { } ms ? DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime) : null;
}

/// <summary>A validated user-profile change, ready for the dimension.</summary>
/// <param name="Position">Where the change stands in the source database's log (<c>source.lsn</c>, else the Kafka offset): changes apply in this order, and a position seen before is a replay.</param>
/// <param name="ValidFrom">When the change took effect in the source (<c>source.ts_ms</c>, else <c>ts_ms</c>), epoch milliseconds: the version it opens is in effect from then.</param>
/// <param name="After">The row after the change; null for a delete.</param>
public sealed record UserChange(string UserId, UserChangeOp Op, long Position, long ValidFrom, UserImage? Before, UserImage? After)
{
    /// <summary>Where the change was read: the topic, partition and offset of its record.</summary>
    public Sluice.Streaming.Processing.RecordSource Source { get; init; }
}
