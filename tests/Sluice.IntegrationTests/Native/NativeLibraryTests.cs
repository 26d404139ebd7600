using Sluice.Core.Errors;
using Sluice.Core.Native;
using Sluice.Kafka;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Native;

public sealed class NativeLibraryTests
{
    [Fact]
    public void missing_library_error_names_the_path_and_build_sh_deps()
    {
        using var root = new TempDirectory();
        var ex = Assert.Throws<SluiceException>(() => NativeCache.Locate(root.Path, NativeCache.LibrdkafkaFolder, "librdkafka.so"));
        Assert.Contains(root.Path, ex.Message);
        Assert.Contains("./build.sh deps", ex.Message);
    }

    [Fact]
    public void library_without_a_stamp_is_treated_as_an_unfinished_provisioning()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(root.Path, NativeCache.LibrdkafkaFolder));
        File.WriteAllText(Path.Combine(root.Path, NativeCache.LibrdkafkaFolder, "librdkafka.so"), "half a library");
        var ex = Assert.Throws<SluiceException>(() => NativeCache.Locate(root.Path, NativeCache.LibrdkafkaFolder, "librdkafka.so"));
        Assert.Contains("incomplete", ex.Message);
        Assert.Contains("./build.sh deps", ex.Message);
    }

    [Fact]
    public void corrupt_library_file_fails_to_load_with_the_fix()
    {
        using var root = new TempDirectory();
        var path = root.File("librdkafka.so");
        File.WriteAllBytes(path, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 1, 2, 3]);
        var ex = Assert.Throws<SluiceException>(() => NativeLibraries.LoadLibrdkafka(path));
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains("./build.sh deps", ex.Message);
    }

    [Fact]
    public void a_library_that_is_not_librdkafka_is_refused()
    {
        // libz is a real, loadable shared library, but has no mock-cluster API.
        var ex = Assert.Throws<SluiceException>(() => NativeLibraries.LoadLibrdkafka("/lib/x86_64-linux-gnu/libz.so.1"));
        Assert.Contains("mock-cluster", ex.Message);
    }

    [Fact]
    public void provisioned_librdkafka_is_version_2_15_1()
    {
        NativeLibraries.EnsureLoaded();
        Assert.StartsWith("2.15.1", Confluent.Kafka.Library.VersionString);
        Assert.EndsWith(Path.Combine(NativeCache.LibrdkafkaFolder, "librdkafka.so"), NativeLibraries.LibrdkafkaPath);
    }
}
