using Sluice.Core.Errors;

namespace Sluice.Core.Native;

/// <summary>Locates native libraries provisioned by <c>./build.sh deps</c> in the versioned cache.</summary>
/// <remarks>
/// The cache is <c>$SLUICE_NATIVE_CACHE</c>, else <c>$XDG_CACHE_HOME/sluice/native</c>, else
/// <c>~/.cache/sluice/native</c>; each library sits in a folder named for its version, e.g.
/// <c>librdkafka-2.15.1/librdkafka.so</c>, next to a STAMP file written after the library was complete.
/// </remarks>
public static class NativeCache
{
    public const string LibrdkafkaFolder = "librdkafka-2.15.1";
    public const string DuckDbFolder = "duckdb-1.5.6";

    /// <summary>The cache root, whether or not it exists.</summary>
    public static string Root
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable("SLUICE_NATIVE_CACHE");
            if (!string.IsNullOrWhiteSpace(explicitRoot)) return explicitRoot;
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cacheHome = string.IsNullOrWhiteSpace(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            return Path.Combine(cacheHome, "sluice", "native");
        }
    }

    /// <summary>The full path of a provisioned library; throws with the fix when it is missing or unfinished.</summary>
    public static string Locate(string folder, string file) => Locate(Root, folder, file);

    /// <summary>As <see cref="Locate(string, string)"/>, under an explicit cache root.</summary>
    public static string Locate(string root, string folder, string file)
    {
        var dir = Path.Combine(root, folder);
        var path = Path.Combine(dir, file);
        if (!File.Exists(path))
            ThrowHelper.Throw($"native library {file} not found at {path}; run ./build.sh deps to provision it");
        if (!File.Exists(Path.Combine(dir, "STAMP")))
            ThrowHelper.Throw($"native library {path} is incomplete (no STAMP); run ./build.sh deps to rebuild it");
        return path;
    }
}
