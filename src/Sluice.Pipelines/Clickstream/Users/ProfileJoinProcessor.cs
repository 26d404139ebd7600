using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>Joins each event of a logged-in user to the profile version in effect at the event's time (point in time, not the current row).</summary>
/// <remarks>
/// The join answers from the changes the task has read when the event passes; it remembers which version each event got,
/// and a change read later that gives the event another version corrects it (<see cref="UserChangeProcessor"/>). Events of
/// anonymous visitors pass with no profile and are not remembered.
/// </remarks>
public sealed class ProfileJoinProcessor(string storeName, IProcessor<string, EnrichedEvent> next) : IProcessor<string, EnrichedEvent>
{
    private IProcessorContext _context = null!;
    private UserDimensionStore _store = null!;
    private Counter _joined = null!, _unmatched = null!;

    /// <summary>Counter names, under the task's metrics: events given a profile, and events of a user with none at their time.</summary>
    public const string JoinedCounter = "users.events_joined", UnmatchedCounter = "users.events_without_profile";

    public void Init(IProcessorContext context)
    {
        _context = context;
        _store = context.GetStateStore<UserDimensionStore>(storeName);
        _joined = context.Metrics.Counter(JoinedCounter);
        _unmatched = context.Metrics.Counter(UnmatchedCounter);
    }

    public void Process(in Record<string, EnrichedEvent> record)
    {
        var e = record.Value;
        if (e.Event.UserId is not { } user)
        {
            next.Process(record);
            return;
        }
        _store.AdvanceTime(_context.Watermark);
        var profile = _store.Join(user, e.Event.EventId, e.Timestamp);
        if (profile is null)
        {
            _unmatched.Increment();
            next.Process(record);
            return;
        }
        _joined.Increment();
        next.Process(record.With(record.Key, e.WithProfile(profile)));
    }

    public void Close()
    {
    }
}
