using Sluice.Core.Configuration;

namespace Sluice.UnitTests.Configuration;

public sealed class RedactionTests
{
    [Fact]
    public void connection_string_password_is_masked_and_the_rest_kept()
    {
        var redacted = Redaction.ConnectionString("Host=db;Username=app;Password=hunter2;Database=sluice");
        Assert.DoesNotContain("hunter2", redacted);
        Assert.Contains("host=db", redacted, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Redaction.Mask, redacted);
    }

    [Fact]
    public void unparseable_connection_string_reveals_nothing()
    {
        var redacted = Redaction.ConnectionString("Password=\"unterminated;Host=x");
        Assert.DoesNotContain("unterminated", redacted);
    }

    [Theory]
    [InlineData("sasl.password")]
    [InlineData("ssl.key.password")]
    [InlineData("sasl.oauthbearer.client.secret")]
    [InlineData("sasl.jaas.config")]
    public void kafka_secret_settings_are_masked(string key)
    {
        var redacted = Redaction.Redact([new(key, "s3cret"), new("bootstrap.servers", "b:9092")]).ToDictionary();
        Assert.Equal(Redaction.Mask, redacted[key]);
        Assert.Equal("b:9092", redacted["bootstrap.servers"]);
    }
}
