using System.Buffers;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Recognises crawlers, scripts and headless browsers by user-agent signatures matched on word boundaries.</summary>
/// <remarks>
/// A signature matches only as a whole word (case-insensitive): "Googlebot/2.1" and "curl/8.4" match, but the
/// "Cubot" phone brand does not match "bot", and "Spiderman" does not match "spider". Results are cached per
/// user-agent string because real traffic repeats a small set of agents.
/// </remarks>
public sealed class BotDetector
{
    /// <summary>The built-in signatures.</summary>
    public static IReadOnlyList<string> DefaultSignatures { get; } =
    [
        "bot", "googlebot", "bingbot", "slurp", "duckduckbot", "baiduspider", "yandexbot", "sogou", "exabot",
        "facebookexternalhit", "facebot", "ia_archiver", "applebot", "ahrefsbot", "semrushbot", "mj12bot", "dotbot",
        "petalbot", "bytespider", "gptbot", "claudebot", "ccbot", "amazonbot", "adsbot", "twitterbot", "linkedinbot",
        "slackbot", "discordbot", "telegrambot", "pinterestbot", "crawler", "spider", "scrapy", "curl",
        "wget", "python-requests", "python-httpx", "python-urllib", "aiohttp", "go-http-client", "java",
        "libwww-perl", "apache-httpclient", "httpclient", "headlesschrome", "phantomjs", "puppeteer", "selenium",
    ];

    private const int CacheLimit = 8192;
    private readonly string[] _signatures;
    private readonly SearchValues<string> _search;
    private readonly Dictionary<string, string?> _cache = new(StringComparer.Ordinal);
    // Decoded agents are pooled strings, so the same agent is usually the same instance: check identity first.
    private readonly string?[] _recentAgents = new string?[64];
    private readonly string?[] _recentMatches = new string?[64];

    public BotDetector(IEnumerable<string>? signatures = null)
    {
        var list = new List<string>();
        foreach (var s in signatures ?? DefaultSignatures)
        {
            if (string.IsNullOrWhiteSpace(s)) throw new ArgumentException("bot signatures must not be blank", nameof(signatures));
            list.Add(s.Trim());
        }
        if (list.Count == 0) throw new ArgumentException("at least one bot signature is needed", nameof(signatures));
        // Longest first, so that the reported signature is the most specific one at a position.
        list.Sort(static (a, b) => b.Length != a.Length ? b.Length.CompareTo(a.Length) : string.CompareOrdinal(a, b));
        _signatures = list.ToArray();
        _search = SearchValues.Create(_signatures, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when <paramref name="userAgent"/> contains a signature as a whole word.</summary>
    public bool IsBot(string? userAgent) => Match(userAgent) is not null;

    /// <summary>The signature found in <paramref name="userAgent"/>, or null for a human (or absent) agent.</summary>
    public string? Match(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent)) return null;
        var slot = System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(userAgent) & 63;
        if (ReferenceEquals(_recentAgents[slot], userAgent)) return _recentMatches[slot];
        if (!_cache.TryGetValue(userAgent, out var found))
        {
            found = Scan(userAgent);
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cache[userAgent] = found;
        }
        _recentAgents[slot] = userAgent;
        _recentMatches[slot] = found;
        return found;
    }

    private string? Scan(string userAgent)
    {
        var text = userAgent.AsSpan();
        var offset = 0;
        while (offset < text.Length)
        {
            var i = text[offset..].IndexOfAny(_search);
            if (i < 0) return null;
            var at = offset + i;
            foreach (var sig in _signatures)
            {
                if (at + sig.Length > text.Length || !text.Slice(at, sig.Length).Equals(sig, StringComparison.OrdinalIgnoreCase)) continue;
                var before = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
                var after = at + sig.Length == text.Length || !char.IsLetterOrDigit(text[at + sig.Length]);
                if (before && after) return sig;
            }
            offset = at + 1;
        }
        return null;
    }
}
