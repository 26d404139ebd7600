using System.Diagnostics.CodeAnalysis;

namespace Sluice.DuckDb;

/// <summary>A connection to a <see cref="DuckDbDatabase"/>: runs SQL, prepares statements, creates appenders.</summary>
/// <remarks>
/// Not thread-safe (one connection per thread, as DuckDB intends), except <see cref="Interrupt"/>, which
/// exists to be called from another thread. Statements run in auto-commit mode
/// unless the SQL says <c>BEGIN</c>. Results, statements and appenders made from it keep it alive until
/// they are disposed.
/// </remarks>
public sealed unsafe class DuckDbConnection : IDisposable
{
    private readonly ConnectionHandle _handle;

    internal DuckDbConnection(ConnectionHandle handle) => _handle = handle;

    /// <summary>Opens <paramref name="path"/> and connects; the database closes when this connection is disposed.</summary>
    public static DuckDbConnection Open(string path, DuckDbOptions? options = null)
    {
        // The connection's handle holds the database open; the wrapper is not needed past this point.
        using var database = DuckDbDatabase.Open(path, options);
        return database.Connect();
    }

    /// <summary>Runs <paramref name="sql"/> (one or more statements) and returns the rows the last one changed.</summary>
    public long Execute(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Native.Result result = default;
        try
        {
            if (Native.Query(_handle, sql, &result) != Native.Success) ThrowResultError("query", &result, sql);
            return (long)Native.RowsChanged(&result);
        }
        finally
        {
            Native.DestroyResult(&result);
        }
    }

    /// <summary>Runs <paramref name="sql"/> and returns its rows, fully materialized, to read with <see cref="DuckDbResult.Read"/>.</summary>
    public DuckDbResult Query(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var result = new ResultHandle();
        result.Adopt(_handle);
        if (Native.Query(_handle, sql, result.Pointer) != Native.Success)
        {
            using (result) ThrowResultError("query", result.Pointer, sql);
        }
        return new DuckDbResult(result);
    }

    /// <summary>Prepares <paramref name="sql"/> with <c>$1</c>, <c>$2</c>, ... (or <c>?</c>) parameters.</summary>
    public DuckDbStatement Prepare(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var state = Native.Prepare(_handle, sql, out var statement);
        // DuckDB allocates the statement even on failure; the handle frees it either way.
        statement.Adopt(_handle);
        if (state != Native.Success)
        {
            using (statement) DuckDbException.Throw("prepare", Native.Utf8(Native.PrepareError(statement)), DuckDbErrorType.Invalid, sql);
        }
        return new DuckDbStatement(statement, sql);
    }

    /// <summary>An appender for fast row-by-row bulk insert into <paramref name="table"/> (in <paramref name="schema"/>, default <c>main</c>).</summary>
    public DuckDbAppender CreateAppender(string table, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var state = Native.AppenderCreate(_handle, schema, table, out var appender);
        appender.Adopt(_handle);
        var wrapper = new DuckDbAppender(appender, schema is null ? table : $"{schema}.{table}");
        if (state != Native.Success)
        {
            using (wrapper) wrapper.ThrowError("create");
        }
        return wrapper;
    }

    /// <summary>Stops the query running on this connection (it fails with <see cref="DuckDbErrorType.Interrupt"/>); callable from any thread.</summary>
    /// <remarks>A no-op when nothing is running, or after <see cref="Dispose"/>: shutdown paths may call it unconditionally.</remarks>
    public void Interrupt()
    {
        try
        {
            Native.Interrupt(_handle);
        }
        catch (ObjectDisposedException)
        {
            // Disposed, possibly by the thread being interrupted: nothing is left to stop.
        }
    }

    /// <summary>Disconnects once the results, statements and appenders made from it are disposed; safe to call twice.</summary>
    public void Dispose() => _handle.Dispose();

    [DoesNotReturn]
    internal static void ThrowResultError(string operation, Native.Result* result, string? sql) =>
        DuckDbException.Throw(operation, Native.Utf8(Native.ResultError(result)), (DuckDbErrorType)Native.ResultErrorType(result), sql);
}
