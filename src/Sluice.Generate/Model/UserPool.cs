using Sluice.Generate.Randomness;

namespace Sluice.Generate.Model;

/// <summary>The visitors a run draws sessions from; grows when CDC creates customers.</summary>
public sealed class UserPool
{
    private static readonly double[] SegmentWeights = Weights.Cumulative([50, 40, 10]);
    private readonly List<UserProfile> _users;
    private readonly double _anonymousShare;
    private int _nextCustomerNumber;

    internal UserPool(int size, double anonymousShare, long createdAt, Prng rng)
    {
        _anonymousShare = anonymousShare;
        _users = new List<UserProfile>(size);
        for (var i = 0; i < size; i++) Create(rng, createdAt, allowAnonymous: true);
    }

    public int Count => _users.Count;

    public UserProfile this[int index] => _users[index];

    internal UserProfile Create(Prng rng, long createdAt, bool allowAnonymous)
    {
        var index = _users.Count;
        var anonymous = allowAnonymous && rng.Chance(_anonymousShare);
        var device = (Device)rng.Pick(UserAgents.DeviceWeights);
        var (browser, userAgent, _) = UserAgents.Browsers[(int)device][rng.Pick(UserAgents.BrowserWeights[(int)device])];
        var country = Geography.Countries[rng.Pick(Geography.CumulativeWeights)];
        var city = country.Cities[rng.NextInt(country.Cities.Length)];
        var ip = $"{rng.NextInt(223) + 1}.{rng.NextInt(256)}.{rng.NextInt(256)}.0";
        var segment = (Segment)rng.Pick(SegmentWeights);
        string? userId = null;
        var email = "";
        if (!anonymous)
        {
            var number = ++_nextCustomerNumber;
            userId = $"u-{number:D7}";
            email = $"customer{number}@example.com";
        }
        var profile = new ProfileVersion(segment, email, country, city, createdAt);
        var user = new UserProfile(index, userId, device, browser, userAgent, ip, profile, createdAt);
        _users.Add(user);
        return user;
    }
}
