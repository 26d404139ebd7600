using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public class BotDetectorTests
{
    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")]
    [InlineData("Mozilla/5.0 (compatible; YandexBot/3.0)")]
    [InlineData("Mozilla/5.0 (compatible; AhrefsBot/7.0)")]
    [InlineData("SiteCrawler crawler/1.0")]
    [InlineData("Baiduspider+(+http://www.baidu.com/search/spider.htm)")]
    [InlineData("Scrapy/2.11 (+https://scrapy.org)")]
    [InlineData("curl/8.4.0")]
    [InlineData("Wget/1.21.4")]
    [InlineData("python-httpx/0.27.0")]
    [InlineData("python-requests/2.31")]
    [InlineData("Go-http-client/1.1")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36")]
    [InlineData("facebookexternalhit/1.1")]
    [InlineData("my bot v1")]
    [InlineData("curl/8.1")]
    [InlineData("Twitterbot/1.0")]
    [InlineData("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)")]
    [InlineData("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")]
    [InlineData("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)")]
    [InlineData("TelegramBot (like TwitterBot)")]
    [InlineData("Pinterestbot/1.0 (+http://www.pinterest.com/bot.html)")]
    [InlineData("AdsBot-Google (+http://www.google.com/adsbot.html)")]
    public void known_bot_signatures_match(string userAgent) => Assert.True(new BotDetector().IsBot(userAgent));

    [Theory]
    [InlineData("Mozilla/5.0 (Linux; Android 10; Cubot X30) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36")]
    [InlineData("Mozilla/5.0 (Linux; Android 12; CUBOT KingKong 7) Chrome/118 Mobile")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1")]
    [InlineData("Spiderman fan browser 1.0")]
    [InlineData("Robotics Lab Kiosk")]
    [InlineData("Mozilla/5.0 (Linux; Android 9; Cubot X19)")]
    [InlineData("MyCurler/2.0")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) JavaScriptCore Firefox/120.0")]
    [InlineData("")]
    [InlineData(null)]
    public void human_agents_and_lookalike_words_do_not_match(string? userAgent) => Assert.False(new BotDetector().IsBot(userAgent));

    [Fact]
    public void the_reported_signature_is_the_most_specific_whole_word()
    {
        Assert.Equal("googlebot", new BotDetector().Match("Googlebot/2.1"));
        Assert.Null(new BotDetector(["crawler"]).Match("Googlebot/2.1"));
    }

    [Fact]
    public void bot_events_go_to_their_own_output_counted_and_not_to_the_dead_letters()
    {
        using var d = Driver();
        d.Pipe(Event(userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1)"));
        d.Pipe(Event(userAgent: "Mozilla/5.0 (Linux; Android 10; Cubot X30) Mobile"));
        Assert.Single(d.Output<ClickEvent>("clickstream.bots"));
        Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched"));
        Assert.Empty(d.Output<object>("clickstream.dlq"));
        Assert.Equal(1, d.Task().Metrics.Get("bots"));
    }
}
