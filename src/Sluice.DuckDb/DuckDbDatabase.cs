using Sluice.Core.Errors;

namespace Sluice.DuckDb;

/// <summary>Start-up options for <see cref="DuckDbDatabase.Open"/>; unset values keep DuckDB's defaults.</summary>
public sealed class DuckDbOptions
{
    /// <summary>Worker threads (DuckDB's <c>threads</c>); default: one per core.</summary>
    public int? Threads { get; set; }

    /// <summary>DuckDB's <c>memory_limit</c>, e.g. <c>"512MB"</c> or <c>"2GB"</c>; default: 80% of RAM.</summary>
    public string? MemoryLimit { get; set; }

    /// <summary>Open the file read-only (DuckDB's <c>access_mode=READ_ONLY</c>), which lets several processes share it.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Any other DuckDB setting by its SQL name (see <c>duckdb_settings()</c>).</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Each setting as (configuration key for errors, DuckDB's name, value).</summary>
    internal IEnumerable<(string Key, string Name, string Value)> ToSettings()
    {
        if (Threads is { } threads)
        {
            if (threads < 1) ThrowHelper.ThrowConfiguration("duckdb.threads", $"{threads} is out of range; use 1 or more");
            yield return ("duckdb.threads", "threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (MemoryLimit is { } limit)
        {
            if (string.IsNullOrWhiteSpace(limit)) ThrowHelper.ThrowConfiguration("duckdb.memoryLimit", "is empty; use a size such as 512MB or 2GB");
            yield return ("duckdb.memoryLimit", "memory_limit", limit);
        }
        if (ReadOnly) yield return ("duckdb.readOnly", "access_mode", "READ_ONLY");
        foreach (var (name, value) in Settings) yield return ($"duckdb.settings.{name}", name, value);
    }
}

/// <summary>An open DuckDB database: a file, or <c>:memory:</c>. Hands out connections.</summary>
/// <remarks>
/// Dispose it when done; connections made from it keep the native database alive until they are disposed
/// too, so the order of disposal does not matter. Opening a file that is already open in this process
/// returns the same DuckDB instance (DuckDB's instance cache), so components can each open the warehouse
/// file; the options must then match. Each thread uses its own connection.
/// </remarks>
public sealed unsafe class DuckDbDatabase : IDisposable
{
    /// <summary>The path to open for an in-memory database, gone when the database is disposed.</summary>
    public const string InMemory = ":memory:";

    private readonly DatabaseHandle _handle;

    private DuckDbDatabase(DatabaseHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The path the database was opened with.</summary>
    public string Path { get; }

    /// <summary>Version of the loaded libduckdb, e.g. <c>v1.5.6</c>.</summary>
    public static string LibraryVersion
    {
        get
        {
            Native.EnsureLoaded();
            return Native.Utf8(Native.LibraryVersion()) ?? "unknown";
        }
    }

    /// <summary>Opens (creating if absent) the database at <paramref name="path"/>, or an in-memory one for <see cref="InMemory"/>.</summary>
    public static DuckDbDatabase Open(string path, DuckDbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Native.EnsureLoaded();

        var config = IntPtr.Zero;
        try
        {
            if (options is not null)
            {
                if (Native.CreateConfig(out config) != Native.Success) DuckDbException.Throw("configuration", "out of memory");
                foreach (var (key, name, value) in options.ToSettings())
                {
                    if (Native.SetConfig(config, name, value) != Native.Success)
                        ThrowHelper.ThrowConfiguration(key, $"DuckDB rejected '{value}' for its setting '{name}' (unknown setting or invalid value)");
                }
            }

            var state = Native.GetOrCreateFromCache(Native.InstanceCache, path, out var handle, config, out var error);
            if (state != Native.Success)
            {
                var message = Native.Utf8(error);
                if (error != null) Native.Free(error);
                handle.Dispose();
                DuckDbException.Throw($"open of '{path}'", message);
            }
            return new DuckDbDatabase(handle, path);
        }
        finally
        {
            if (config != IntPtr.Zero) Native.DestroyConfig(ref config);
        }
    }

    /// <summary>A new connection to this database; each connection has its own transaction.</summary>
    public DuckDbConnection Connect()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var state = Native.Connect(_handle, out var connection);
        if (state != Native.Success)
        {
            connection.Dispose();
            DuckDbException.Throw("connect", $"could not connect to '{Path}'");
        }
        connection.Adopt(_handle);
        return new DuckDbConnection(connection);
    }

    /// <summary>Closes the database once its last connection is disposed; safe to call twice.</summary>
    public void Dispose() => _handle.Dispose();
}
