using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Sluice.Core.Errors;

namespace Sluice.Sinks.DuckDb;

/// <summary>Opens the warehouse file (<c>warehouse.path</c>) for the sink (read-write) or for queries (read-only), with errors that name the file and the key.</summary>
/// <remarks>
/// DuckDB lets one process at a time open a file for writing, and a file a process writes cannot be opened by another
/// at all, not even read-only: the writer holds an exclusive lock on it for as long as it is open. Both refusals are
/// reported with the holder's PID. Connections to one file within a process share one database.
/// </remarks>
public static partial class DuckDbWarehouse
{
    /// <summary>The configuration key that names the file.</summary>
    public const string PathKey = "warehouse.path";

    /// <summary>Fails unless the file's directory exists or can be created, and a file can be written there.</summary>
    public static void EnsureWritable(string path, string key = PathKey)
    {
        if (string.IsNullOrWhiteSpace(path)) throw Problem(key, "must name the DuckDB file, for example ./data/sluice.duckdb");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw Problem(key, $"{path} is a directory; name the DuckDB file in it, for example {Path.Combine(path, "sluice.duckdb")}");
        var directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
            using var probe = new FileStream(Path.Combine(directory, $".sluice-write-probe-{Environment.ProcessId}"), FileMode.Create, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Problem(key, $"the directory {directory} of {path} cannot be written ({ex.Message.TrimEnd('.')}); choose a writable directory");
        }
    }

    /// <summary>Opens <paramref name="path"/> for the sink, creating the file when missing.</summary>
    public static DuckDBConnection OpenForWriting(string path, string key = PathKey)
    {
        EnsureWritable(path, key);
        return Open(path, readOnly: false, key);
    }

    /// <summary>Opens an existing <paramref name="path"/> read-only, for queries.</summary>
    public static DuckDBConnection OpenReadOnly(string path, string key = PathKey)
    {
        if (string.IsNullOrWhiteSpace(path)) throw Problem(key, "must name the DuckDB file, for example ./data/sluice.duckdb");
        if (!File.Exists(path))
            throw Problem(key, $"{path} does not exist; `sluice sink --to duckdb` creates it, or name another file");
        return Open(path, readOnly: true, key);
    }

    private static DuckDBConnection Open(string path, bool readOnly, string key)
    {
        var builder = new DuckDBConnectionStringBuilder { DataSource = Path.GetFullPath(path) };
        if (readOnly) builder["ACCESS_MODE"] = "READ_ONLY";
        var connection = new DuckDBConnection(builder.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (DuckDBException ex)
        {
            connection.Dispose();
            throw OpenFailed(path, key, ex);
        }
    }

    internal static SluiceException OpenFailed(string path, string key, DuckDBException ex)
    {
        if (LockHolder().Match(ex.Message) is { Success: true } m)
            return Problem(key, $"the DuckDB file {path} is open in another process ({m.Groups["holder"].Value.Trim()}); DuckDB lets only one " +
                "process open a file while it is written: stop that process (a running `sluice sink --to duckdb`, a duckdb shell), or name another file");
        return Problem(key, $"the DuckDB file {path} cannot be opened ({Short(ex)})");
    }

    /// <summary>A problem with the file named by <paramref name="key"/>: a configuration key, or a command's option (starting with --).</summary>
    internal static SluiceException Problem(string key, string problem) =>
        key.StartsWith("--", StringComparison.Ordinal) ? new SluiceException($"{key}: {problem}") : new ConfigurationException(key, problem);

    /// <summary>DuckDB's message without its "DuckDBOpen failed: " wrapping and on one line.</summary>
    internal static string Short(Exception ex) =>
        ex.Message.Replace("DuckDBOpen failed: ", "", StringComparison.Ordinal).ReplaceLineEndings(" ").Trim().TrimEnd('.');

    [GeneratedRegex(@"Conflicting lock is held in (?<holder>.*?\(PID \d+\))")]
    private static partial Regex LockHolder();
}
