using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.UnitTests.Quality;

public class QualityConfigurationTests
{
    [Theory]
    [InlineData("quality.window=00:00:00", "quality.window")]
    [InlineData("quality.topic= ", "quality.topic")]
    [InlineData("quality.volumeHistory=0", "quality.volumeHistory")]
    [InlineData("quality.requiredFields=page_url,nope", "quality.requiredFields")]
    [InlineData("quality.requiredFields=page_url,page_url", "quality.requiredFields")]
    [InlineData("quality.thresholds.minScore=101", "quality.thresholds.minScore")]
    [InlineData("quality.thresholds.maxBotRate=1.5", "quality.thresholds.maxBotRate")]
    [InlineData("quality.thresholds.maxIngestLag=-00:01:00", "quality.thresholds.maxIngestLag")]
    [InlineData("quality.thresholds.minVolumeRatio=3", "quality.thresholds.minVolumeRatio")]
    [InlineData("quality.alerts.cooldown=-00:00:01", "quality.alerts.cooldown")]
    [InlineData("quality.alerts.queueCapacity=0", "quality.alerts.queueCapacity")]
    [InlineData("quality.alerts.webhook.url=ftp://example.com/hook", "quality.alerts.webhook.url")]
    [InlineData("quality.alerts.webhook.retries=-1", "quality.alerts.webhook.retries")]
    [InlineData("quality.alerts.webhook.timeout=00:00:00", "quality.alerts.webhook.timeout")]
    public void a_bad_quality_value_is_refused_at_start_naming_its_key(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(sets: [set]));
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void the_defaults_are_valid_and_list_the_required_fields()
    {
        var options = SluiceConfiguration.Load(sets: ["quality.alerts.file=./alerts.jsonl", "quality.alerts.webhook.url=http://127.0.0.1:9/hook"]);
        Assert.True(options.Quality.Enabled);
        Assert.Equal("clickstream.quality", options.Quality.Topic);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Quality.Window);
        Assert.Equal(["page_url", "user_agent", "geo_country", "device_type"], options.Quality.RequiredFieldList);
    }

    [Fact]
    public void a_webhook_url_is_never_quoted_in_its_error() =>
        Assert.DoesNotContain("secret", Assert.Throws<ConfigurationException>(() =>
            SluiceConfiguration.Load(sets: ["quality.alerts.webhook.url=ftp://hooks.example.com/secret"])).Message, StringComparison.Ordinal);
}
