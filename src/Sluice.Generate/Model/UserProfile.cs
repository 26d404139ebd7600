namespace Sluice.Generate.Model;

/// <summary>Customer segments with the wire names used in <c>user_segment</c>.</summary>
public enum Segment : byte
{
    New,
    Returning,
    Vip,
}

/// <summary>The mutable attributes of a customer as of <see cref="ValidFrom"/>; CDC changes create a new version.</summary>
public sealed class ProfileVersion
{
    public static readonly string[] SegmentNames = ["new", "returning", "vip"];

    public ProfileVersion(Segment segment, string email, Country country, string city, long validFrom)
    {
        Segment = segment;
        Email = email;
        Country = country;
        City = city;
        ValidFrom = validFrom;
    }

    public Segment Segment { get; }
    public string SegmentName => SegmentNames[(int)Segment];
    public string Email { get; }
    public Country Country { get; }
    public string City { get; }
    /// <summary>Event time (epoch ms) from which this version is in effect.</summary>
    public long ValidFrom { get; }

    /// <summary>This visitor's user_agent … browser JSON as of this version, built on first use (see ClickJsonWriter).</summary>
    internal byte[]? VisitorJson { get; set; }

    public ProfileVersion With(long validFrom, Segment? segment = null, string? email = null, Country? country = null, string? city = null) =>
        new(segment ?? Segment, email ?? Email, country ?? Country, city ?? City, validFrom);
}

/// <summary>One simulated visitor: a logged-in customer (with a user id) or an anonymous visitor (keyed by session).</summary>
public sealed class UserProfile
{
    internal UserProfile(int index, string? userId, Device device, string browser, string userAgent, string ipAddress,
        ProfileVersion profile, long createdAt)
    {
        Index = index;
        UserId = userId;
        Device = device;
        Browser = browser;
        UserAgent = userAgent;
        IpAddress = ipAddress;
        Current = profile;
        CreatedAt = createdAt;
    }

    public int Index { get; }
    /// <summary>Null for an anonymous visitor.</summary>
    public string? UserId { get; }
    public bool IsLoggedIn => UserId is not null;
    public Device Device { get; }
    public string DeviceName => UserAgents.DeviceNames[(int)Device];
    public string Browser { get; }
    /// <summary>Stable per user: one device, one browser, one user agent.</summary>
    public string UserAgent { get; }
    /// <summary>IPv4 with the last octet zeroed.</summary>
    public string IpAddress { get; }
    public ProfileVersion Current { get; private set; }
    /// <summary>The version before <see cref="Current"/>, kept so late events carry the values of their own time.</summary>
    public ProfileVersion? Previous { get; private set; }
    /// <summary>Event time the user came into existence (the start of the run for the initial pool).</summary>
    public long CreatedAt { get; }
    public bool IsDeleted { get; internal set; }

    /// <summary>The user_id value as the event writer writes it (<c>null</c> for anonymous visitors).</summary>
    internal byte[] UserIdJson => _userIdJson ??= ClickJsonWriter.Encode(UserId);
    private byte[]? _userIdJson;

    internal bool InSession { get; set; }
    internal long LastEventAt { get; set; } = long.MinValue / 2;

    /// <summary>The profile in effect at <paramref name="eventTime"/>.</summary>
    public ProfileVersion AsOf(long eventTime) =>
        eventTime >= Current.ValidFrom || Previous is null ? Current : Previous;

    internal void Apply(ProfileVersion next)
    {
        Previous = Current;
        Current = next;
    }
}
