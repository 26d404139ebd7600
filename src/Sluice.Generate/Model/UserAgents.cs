namespace Sluice.Generate.Model;

/// <summary>Device classes with the wire names used in <c>device_type</c>.</summary>
public enum Device : byte
{
    Desktop,
    Mobile,
    Tablet,
}

/// <summary>User-agent strings: real browsers per device and the crawlers and tools a bot filter must catch.</summary>
public static class UserAgents
{
    public static readonly string[] DeviceNames = ["desktop", "mobile", "tablet"];

    internal static readonly double[] DeviceWeights = Randomness.Weights.Cumulative([45, 45, 10]);

    /// <summary>(browser, user agent) per device. "CUBOT" is a phone brand: a filter matching "bot" anywhere is wrong.</summary>
    internal static readonly (string Browser, string UserAgent, double Weight)[][] Browsers =
    [
        [
            ("Chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 50),
            ("Chrome", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 10),
            ("Firefox", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 10),
            ("Firefox", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 5),
            ("Safari", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", 15),
            ("Edge", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 10),
        ],
        [
            ("Chrome", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", 25),
            ("Chrome", "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", 20),
            ("Chrome", "Mozilla/5.0 (Linux; Android 12; CUBOT KINGKONG 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", 5),
            ("Safari", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 45),
            ("Samsung Internet", "Mozilla/5.0 (Linux; Android 13; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", 5),
        ],
        [
            ("Safari", "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 60),
            ("Chrome", "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", 40),
        ],
    ];

    /// <summary>Crawlers and HTTP tools, as (name, user agent). Every one of these must be classified as a bot.</summary>
    public static readonly (string Name, string UserAgent)[] Bots =
    [
        ("Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
        ("bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
        ("curl", "curl/8.11.0"),
        ("python-httpx", "python-httpx/0.28.1"),
        ("Scrapy", "Scrapy/2.12.0 (+https://scrapy.org)"),
    ];

    internal static readonly double[][] BrowserWeights = BuildBrowserWeights();

    private static double[][] BuildBrowserWeights()
    {
        var result = new double[Browsers.Length][];
        for (var d = 0; d < Browsers.Length; d++)
        {
            var weights = new double[Browsers[d].Length];
            for (var i = 0; i < weights.Length; i++) weights[i] = Browsers[d][i].Weight;
            result[d] = Randomness.Weights.Cumulative(weights);
        }
        return result;
    }
}
