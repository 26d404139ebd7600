using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Sluice.DuckDb;

/// <summary>Bulk insert through DuckDB's appender: one <c>Append</c> per column in table order, then <see cref="EndRow"/>.</summary>
/// <remarks>
/// Rows are buffered and written in batches; constraint violations can surface at any append, at
/// <see cref="Flush"/> or at <see cref="Close"/>. Call <see cref="Close"/> to finish: <see cref="Dispose"/>
/// also flushes (DuckDB's appender always does) but cannot report a failure. Not thread-safe.
/// </remarks>
public sealed unsafe class DuckDbAppender : IDisposable
{
    private readonly AppenderHandle _handle;
    private bool _closed;

    internal DuckDbAppender(AppenderHandle handle, string table)
    {
        _handle = handle;
        Table = table;
    }

    /// <summary>The table appended to, as given.</summary>
    public string Table { get; }

    public DuckDbAppender Append(long value) => Check(Native.AppendInt64(Live(), value));

    public DuckDbAppender Append(int value) => Check(Native.AppendInt32(Live(), value));

    public DuckDbAppender Append(double value) => Check(Native.AppendDouble(Live(), value));

    public DuckDbAppender Append(bool value) => Check(Native.AppendBool(Live(), value));

    /// <summary>Appends a TIMESTAMP (microsecond precision); a local time is converted to UTC, others are taken as they are.</summary>
    public DuckDbAppender Append(DateTime value) => Check(Native.AppendTimestamp(Live(), Temporal.ToTimestamp(value)));

    public DuckDbAppender Append(DateOnly value) => Check(Native.AppendDate(Live(), Temporal.ToDate(value)));

    /// <summary>Appends a VARCHAR; null appends NULL.</summary>
    public DuckDbAppender Append(string? value)
    {
        if (value is null) return AppendNull();
        var handle = Live();
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            fixed (byte* p = buffer)
                return Check(Native.AppendVarcharLength(handle, p, (ulong)length));
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends a VARCHAR already encoded as UTF-8 (DuckDB rejects invalid UTF-8).</summary>
    public DuckDbAppender Append(ReadOnlySpan<byte> utf8)
    {
        var handle = Live();
        fixed (byte* p = utf8)
            return Check(Native.AppendVarcharLength(handle, p, (ulong)utf8.Length));
    }

    public DuckDbAppender AppendNull() => Check(Native.AppendNull(Live()));

    /// <summary>Ends the current row; fails when it has fewer or more values than the table has columns.</summary>
    public void EndRow() => Check(Native.AppenderEndRow(Live()), "end row");

    /// <summary>Writes the buffered rows to the table now.</summary>
    public void Flush() => Check(Native.AppenderFlush(Live()), "flush");

    /// <summary>Flushes and closes; the appender cannot be used afterwards. Safe to call twice.</summary>
    public void Close()
    {
        if (_closed) return;
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        _closed = true;
        Check(Native.AppenderClose(_handle), "close");
    }

    /// <summary>Frees the appender, flushing rows not yet written; call <see cref="Close"/> first to learn whether that worked.</summary>
    public void Dispose()
    {
        _closed = true;
        _handle.Dispose();
    }

    [DoesNotReturn]
    internal void ThrowError(string operation)
    {
        string? message = null;
        var type = DuckDbErrorType.Invalid;
        var error = _handle.IsInvalid ? IntPtr.Zero : Native.AppenderErrorData(_handle);
        if (error != IntPtr.Zero)
        {
            message = Native.Utf8(Native.ErrorDataMessage(error));
            type = (DuckDbErrorType)Native.ErrorDataType(error);
            Native.DestroyErrorData(ref error);
        }
        DuckDbException.Throw($"appender {operation} on '{Table}'", message, type);
    }

    private AppenderHandle Live()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (_closed) throw new InvalidOperationException($"the appender for '{Table}' is closed");
        return _handle;
    }

    private DuckDbAppender Check(int state, string operation = "append")
    {
        if (state != Native.Success) ThrowError(operation);
        return this;
    }
}
