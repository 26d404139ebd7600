using Sluice.Core.Events;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>An event already joined to one profile version that a change arriving later shows should have had another.</summary>
/// <param name="OldVersion">The version number the event was joined with (0 when it got none).</param>
/// <param name="OldPosition">That version's source position; null when the event got no profile.</param>
/// <param name="Profile">The version in effect at the event's time now that the change is known; null when none was (a delete).</param>
/// <param name="CorrectedAt">Processing time of the correction, epoch milliseconds.</param>
public sealed record ProfileCorrection(EventId EventId, string UserId, long EventTime, int OldVersion, long? OldPosition,
    UserVersion? Profile, long CorrectedAt);
