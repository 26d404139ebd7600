using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.TestKit;

namespace Sluice.UnitTests.Configuration;

/// <summary>The <c>sinks.clickhouse.*</c> keys, validated at start-up: each mistake names its key and never echoes a credential.</summary>
[Collection(nameof(ConfigurationCollection))]
public sealed class ClickHouseOptionsTests
{
    private static readonly string RepoConfig = Path.Combine(RepoRoot.Path, "config", "sluice.yaml");

    [Fact]
    public void the_defaults_name_no_server_and_the_sluice_database()
    {
        var c = SluiceConfiguration.Load(RepoConfig).Sinks.ClickHouse;
        Assert.Equal(("", "sluice", "default", "", "sluice-sink-clickhouse"), (c.Url, c.Database, c.User, c.Password, c.GroupId));
    }

    [Theory]
    [InlineData("sinks.clickhouse.url=localhost:8123", "sinks.clickhouse.url", "is not an http(s) URL")]
    [InlineData("sinks.clickhouse.url=ftp://host:21", "sinks.clickhouse.url", "is not an http(s) URL")]
    [InlineData("sinks.clickhouse.url=http://sluice:hunter22@host:8123", "sinks.clickhouse.url", "holds a user or password")]
    [InlineData("sinks.clickhouse.database=my-db", "sinks.clickhouse.database", "not a plain identifier")]
    [InlineData("sinks.clickhouse.database=1db", "sinks.clickhouse.database", "not a plain identifier")]
    [InlineData("sinks.clickhouse.user=", "sinks.clickhouse.user", "must not be empty")]
    public void a_bad_value_names_its_key(string set, string key, string says)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter22", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_url_with_a_path_is_accepted()
    {
        Assert.Equal("https://proxy.example/clickhouse/", SluiceConfiguration.Load(RepoConfig, ["sinks.clickhouse.url=https://proxy.example/clickhouse/"]).Sinks.ClickHouse.Url);
    }
}
