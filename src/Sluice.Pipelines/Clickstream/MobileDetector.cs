using Sluice.Core.Events;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Whether an event comes from a phone or tablet: its device type when it has one, else words in its user agent.</summary>
/// <remarks>
/// Built in: device type mobile or tablet; without one, a user agent naming mobi (so mobile too), iphone, ipad or android,
/// in any case. Safari on iPhone and iPad does not always say "Mobile", and trackers lower-case. A domain file's
/// <c>enrichment</c> section replaces either list.
/// </remarks>
public sealed class MobileDetector
{
    private readonly string[] _userAgentWords;
    private readonly string[] _deviceTypes;

    public MobileDetector(IEnumerable<string>? userAgentWords = null, IEnumerable<string>? deviceTypes = null)
    {
        _userAgentWords = Check(userAgentWords ?? ["mobi", "iphone", "ipad", "android"], nameof(userAgentWords));
        _deviceTypes = Check(deviceTypes ?? ["mobile", "tablet"], nameof(deviceTypes));
    }

    /// <summary>The built-in lists.</summary>
    public static MobileDetector Default { get; } = new();

    public bool IsMobile(ClickEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.DeviceType is { } device)
        {
            foreach (var type in _deviceTypes)
                if (device.Equals(type, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }
        if (e.UserAgent is not { } ua) return false;
        foreach (var word in _userAgentWords)
            if (ua.Contains(word, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static string[] Check(IEnumerable<string> words, string name)
    {
        var list = words.Select(w => w.Trim()).ToArray();
        if (list.Length == 0 || list.Any(w => w.Length == 0)) throw new ArgumentException("the list needs at least one word and no blank ones", name);
        return list;
    }
}
