using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Native;

public sealed class NativeLibraryTests
{
    [Fact]
    public void librdkafka_comes_from_the_redist_package_at_version_2_16()
    {
        NativeLibraries.EnsureLoaded();
        Assert.StartsWith("2.16.", Confluent.Kafka.Library.VersionString);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "runtimes"), NativeLibraries.LibrdkafkaPath);
    }

    [Fact]
    public void on_linux_every_build_of_the_package_is_a_candidate_and_the_plain_one_is_tried_first()
    {
        if (!OperatingSystem.IsLinux()) return;
        var candidates = NativeLibraries.Candidates("/app", null);
        Assert.Equal(3, candidates.Count);
        Assert.EndsWith("native/librdkafka.so", candidates[0]);
        Assert.Contains(candidates, c => c.EndsWith("native/centos8-librdkafka.so", StringComparison.Ordinal));
    }

    [Fact]
    public void an_override_path_is_the_only_candidate()
    {
        Assert.Equal(["/opt/rdkafka/librdkafka.so"], NativeLibraries.Candidates("/app", "/opt/rdkafka/librdkafka.so"));
    }

    [Fact]
    public void a_corrupt_file_falls_through_to_the_next_candidate()
    {
        using var root = new TempDirectory();
        var corrupt = root.File("librdkafka.so");
        File.WriteAllBytes(corrupt, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2, 3]);
        NativeLibraries.EnsureLoaded();
        var (path, _) = NativeLibraries.LoadFirst([corrupt, NativeLibraries.LibrdkafkaPath!]);
        Assert.Equal(NativeLibraries.LibrdkafkaPath, path);
    }

    [Fact]
    public void no_usable_candidate_is_an_error_naming_each_file_and_why()
    {
        using var root = new TempDirectory();
        var corrupt = root.File("librdkafka.so");
        File.WriteAllBytes(corrupt, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2, 3]);
        var missing = root.File("centos8-librdkafka.so");
        // libz is a real, loadable shared library, but has no mock-cluster API.
        var ex = Assert.Throws<SluiceException>(() =>
            NativeLibraries.LoadFirst([corrupt, missing, "/lib/x86_64-linux-gnu/libz.so.1"]));
        Assert.Contains($"{corrupt}: does not load", ex.Message);
        Assert.Contains($"{missing}: not found", ex.Message);
        Assert.Contains("libz.so.1: has no mock-cluster API", ex.Message);
        Assert.Contains(NativeLibraries.OverrideVariable, ex.Message);
    }
}
