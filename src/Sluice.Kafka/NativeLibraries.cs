using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Core.Native;

namespace Sluice.Kafka;

/// <summary>The one place librdkafka is loaded: from the cache <c>./build.sh deps</c> fills.</summary>
/// <remarks>
/// Confluent.Kafka is referenced without its librdkafka.redist package, so nothing ships the native
/// library next to the assembly. A <see cref="DllImportResolver"/> on Confluent.Kafka's assembly (and on
/// this one, for the mock-cluster API) maps <c>librdkafka</c> to the provisioned file and <c>libdl</c>
/// to <c>libdl.so.2</c>, the name glibc installs.
/// </remarks>
public static class NativeLibraries
{
    private static readonly Lock Gate = new();
    private static IntPtr _librdkafka;
    private static string? _path;

    /// <summary>Path of the loaded librdkafka, after <see cref="EnsureLoaded"/>.</summary>
    public static string? LibrdkafkaPath => _path;

    /// <summary>Loads librdkafka once; throws a <see cref="SluiceException"/> naming ./build.sh deps on failure.</summary>
    public static void EnsureLoaded()
    {
        if (_librdkafka != IntPtr.Zero) return;
        lock (Gate)
        {
            if (_librdkafka != IntPtr.Zero) return;
            var path = NativeCache.Locate(NativeCache.LibrdkafkaFolder, "librdkafka.so");
            var handle = LoadLibrdkafka(path);

            NativeLibrary.SetDllImportResolver(typeof(ProducerBuilder<,>).Assembly, Resolve);
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            _path = path;
            _librdkafka = handle;

            // Confluent.Kafka looks for the library itself unless told where it is.
            Library.Load(path);
        }
    }

    /// <summary>Loads a librdkafka file and checks it is the build Sluice needs; throws with the fix otherwise.</summary>
    public static IntPtr LoadLibrdkafka(string path)
    {
        if (!NativeLibrary.TryLoad(path, out var handle))
            ThrowHelper.Throw($"native library {path} is corrupt or cannot be loaded; run ./build.sh deps to rebuild it");
        if (!NativeLibrary.TryGetExport(handle, "rd_kafka_mock_cluster_new", out _))
            ThrowHelper.Throw($"native library {path} has no mock-cluster API; run ./build.sh deps to rebuild it");
        return handle;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name.StartsWith("librdkafka", StringComparison.Ordinal)) return _librdkafka;
        if (name == "libdl") return NativeLibrary.Load("libdl.so.2");
        return IntPtr.Zero;
    }
}
