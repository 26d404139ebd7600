using System.Diagnostics;
using Sluice.Core.Native;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Native;

/// <summary>eng/provision-native.sh, run against a copy of the cache so the real one is never touched.</summary>
public sealed class ProvisioningTests
{
    [Fact]
    public async Task warm_cache_is_reused_without_rebuilding()
    {
        using var cache = CopyOfCache();
        var output = await Provision(cache.Path);
        Assert.Contains("librdkafka 2.15.1 cached", output);
        Assert.Contains("duckdb     1.5.6 cached", output);
    }

    [Fact]
    public async Task corrupt_library_is_detected_and_provisioned_again()
    {
        // 1. A warm cache whose DuckDB library was damaged after provisioning.
        using var cache = CopyOfCache();
        var lib = Path.Combine(cache.Path, NativeCache.DuckDbFolder, "libduckdb.so");
        await using (var f = File.Open(lib, FileMode.Append)) f.WriteByte(0);

        // 2. Provisioning notices the checksum no longer matches and fetches it again; librdkafka is left alone.
        var output = await Provision(cache.Path);
        Assert.Contains("duckdb     fetching 1.5.6", output);
        Assert.Contains("librdkafka 2.15.1 cached", output);

        // 3. The repaired cache is accepted as warm.
        Assert.Contains("duckdb     1.5.6 cached", await Provision(cache.Path));
    }

    [Fact]
    public async Task library_stamped_by_another_version_is_replaced()
    {
        using var cache = CopyOfCache();
        var stamp = Path.Combine(cache.Path, NativeCache.DuckDbFolder, "STAMP");
        await File.WriteAllTextAsync(stamp, (await File.ReadAllTextAsync(stamp)).Replace("1.5.6-r.1", "1.4.0", StringComparison.Ordinal));
        var output = await Provision(cache.Path);
        Assert.Contains("duckdb     fetching 1.5.6", output);
        Assert.Contains("@duckdb/node-bindings-linux-x64@1.5.6-r.1", await File.ReadAllTextAsync(stamp));
    }

    private static TempDirectory CopyOfCache()
    {
        var copy = new TempDirectory("sluice-cache");
        foreach (var folder in new[] { NativeCache.LibrdkafkaFolder, NativeCache.DuckDbFolder })
        {
            var source = Path.Combine(NativeCache.Root, folder);
            Assert.True(Directory.Exists(source), $"{source} is missing: run ./build.sh deps");
            Directory.CreateDirectory(Path.Combine(copy.Path, folder));
            foreach (var file in Directory.GetFiles(source))
                File.Copy(file, Path.Combine(copy.Path, folder, Path.GetFileName(file)));
        }
        return copy;
    }

    private static async Task<string> Provision(string cacheRoot)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepoRoot.Path, "eng", "provision-native.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["SLUICE_NATIVE_CACHE"] = cacheRoot;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, output);
        return output;
    }
}
