using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>The one place librdkafka is loaded: from the librdkafka.redist package next to the application.</summary>
/// <remarks>
/// librdkafka.redist ships several Linux builds per architecture under <c>runtimes/RID/native/</c>. Confluent.Kafka
/// picks one by the distribution's name and, on Debian, takes the plain <c>librdkafka.so</c>, which needs
/// <c>libsasl2.so.3</c> (Debian has <c>.so.2</c>). This class tries each build in turn and keeps the first that
/// loads and exports the mock-cluster API: the plain build where its dependencies exist, else the
/// <c>centos8-</c> build, which needs only glibc. <c>SLUICE_LIBRDKAFKA</c> names a file of the user's own instead.
/// A <see cref="DllImportResolver"/> on Confluent.Kafka's assembly and on this one (for the mock-cluster API)
/// maps <c>librdkafka</c> to the loaded handle and <c>libdl</c> to <c>libdl.so.2</c>, the name glibc installs.
/// </remarks>
public static class NativeLibraries
{
    /// <summary>The environment variable that points at a librdkafka of the user's own.</summary>
    public const string OverrideVariable = "SLUICE_LIBRDKAFKA";

    private static readonly Lock Gate = new();
    private static IntPtr _librdkafka;
    private static string? _path;

    /// <summary>Path of the loaded librdkafka, after <see cref="EnsureLoaded"/>.</summary>
    public static string? LibrdkafkaPath => _path;

    /// <summary>Loads librdkafka once; throws a <see cref="SluiceException"/> listing what was tried on failure.</summary>
    public static void EnsureLoaded()
    {
        if (_librdkafka != IntPtr.Zero) return;
        lock (Gate)
        {
            if (_librdkafka != IntPtr.Zero) return;
            var (path, handle) = LoadFirst(Candidates(AppContext.BaseDirectory, Environment.GetEnvironmentVariable(OverrideVariable)));

            NativeLibrary.SetDllImportResolver(typeof(ProducerBuilder<,>).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            _path = path;
            _librdkafka = handle;

            // Confluent.Kafka looks for the library itself unless told where it is.
            Library.Load(path);
        }
    }

    /// <summary>The files to try, in order: the override alone when set, else the package's builds for this machine.</summary>
    public static IReadOnlyList<string> Candidates(string baseDirectory, string? overridePath)
    {
        if (!string.IsNullOrWhiteSpace(overridePath)) return [overridePath];
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            var other => other.ToString().ToLowerInvariant(),
        };
        if (OperatingSystem.IsMacOS())
            return [Path.Combine(baseDirectory, "runtimes", $"osx-{arch}", "native", "librdkafka.dylib")];
        if (OperatingSystem.IsWindows())
            return [Path.Combine(baseDirectory, "runtimes", $"win-{arch}", "native", "librdkafka.dll")];
        var native = Path.Combine(baseDirectory, "runtimes", $"linux-{arch}", "native");
        return
        [
            Path.Combine(native, "librdkafka.so"),
            Path.Combine(native, "centos8-librdkafka.so"),
            Path.Combine(native, "alpine-librdkafka.so"),
        ];
    }

    /// <summary>Loads the first candidate that loads and is a build Sluice can use; throws naming every reason otherwise.</summary>
    public static (string Path, IntPtr Handle) LoadFirst(IReadOnlyList<string> candidates)
    {
        var reasons = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path)) { reasons.Add($"{path}: not found"); continue; }
            if (!NativeLibrary.TryLoad(path, out var handle)) { reasons.Add($"{path}: does not load on this machine"); continue; }
            if (!NativeLibrary.TryGetExport(handle, "rd_kafka_mock_cluster_new", out _))
            {
                NativeLibrary.Free(handle);
                reasons.Add($"{path}: has no mock-cluster API");
                continue;
            }
            return (path, handle);
        }
        ThrowHelper.Throw(
            $"no usable librdkafka ({string.Join("; ", reasons)}); rebuild with ./build.sh build, " +
            $"or set {OverrideVariable} to a librdkafka 2.x built with the mock cluster");
        return default;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name.StartsWith("librdkafka", StringComparison.Ordinal)) return _librdkafka;
        if (name == "libdl") return NativeLibrary.Load("libdl.so.2");
        return IntPtr.Zero;
    }
}
