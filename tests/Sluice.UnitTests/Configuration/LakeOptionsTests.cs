using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.UnitTests.Configuration;

/// <summary>The lake's keys: defaults, and values refused before anything starts, naming the key.</summary>
public sealed class LakeOptionsTests
{
    private static readonly string RepoConfig = Path.Combine(Sluice.TestKit.RepoRoot.Path, "config", "sluice.yaml");

    [Fact]
    public void the_lake_defaults_to_data_lake_with_its_own_sink_group()
    {
        var options = SluiceConfiguration.Load(RepoConfig);
        Assert.Equal("./data/lake", options.Lake.Path);
        Assert.Equal("sluice-sink-lake", options.Sinks.Lake.GroupId);
        Assert.Equal(1_000_000, options.Lake.RecentIds);
    }

    [Fact]
    public void a_lake_path_that_is_a_file_names_the_key()
    {
        var file = Path.GetTempFileName();
        try
        {
            var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, ["lake.path=" + file]));
            Assert.Equal("lake.path", ex.Key);
            Assert.Contains("is a file", ex.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("lake.recentIds=-1", "lake.recentIds")]
    [InlineData("sinks.lake.groupId= ", "sinks.lake.groupId")]
    public void invalid_lake_values_name_the_key(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
    }
}
