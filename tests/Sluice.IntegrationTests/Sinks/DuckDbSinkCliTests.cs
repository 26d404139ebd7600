using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary><c>sluice sink --to duckdb</c> at start: a warehouse path that cannot be written is named, by key or by option, before Kafka is tried.</summary>
public sealed class DuckDbSinkCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task an_unwritable_warehouse_directory_is_one_line_naming_the_key_or_the_option()
    {
        using var dir = new TempDirectory();
        var blocked = dir.File("a-file");
        await File.WriteAllTextAsync(blocked, "where the directory should be");
        var path = Path.Combine(blocked, "sluice.duckdb");

        var byKey = await SluiceProcess.RunAsync(["sink", "--to", "duckdb", "--bootstrap-servers", "127.0.0.1:9", "--set", $"warehouse.path={path}"], Timeout);
        Assert.Equal(1, byKey.ExitCode);
        var line = Assert.Single(byKey.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("sluice:", StringComparison.Ordinal));
        Assert.StartsWith($"sluice: configuration key 'warehouse.path': the directory {blocked} of {path} cannot be written", line);

        var byOption = await SluiceProcess.RunAsync(["sink", "--to", "duckdb", "--bootstrap-servers", "127.0.0.1:9", "--warehouse", path], Timeout);
        Assert.Equal(1, byOption.ExitCode);
        Assert.Contains($"sluice: --warehouse: the directory {blocked} of {path} cannot be written", byOption.StdErr);
        Assert.DoesNotContain("Kafka", byOption.StdErr);
    }

    [Fact]
    public async Task a_warehouse_path_that_is_a_directory_is_refused_at_load()
    {
        using var dir = new TempDirectory();
        var r = await SluiceProcess.RunAsync(["sink", "--to", "duckdb", "--set", $"warehouse.path={dir.Path}"], Timeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"configuration key 'warehouse.path': {dir.Path} is a directory", r.StdErr);
    }
}
