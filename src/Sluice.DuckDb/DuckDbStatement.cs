using System.Buffers;
using System.Text;

namespace Sluice.DuckDb;

/// <summary>A prepared statement: bind parameters by 1-based index (<c>$1</c> is 1), then execute or query; reusable.</summary>
/// <remarks>Bindings persist across executions until rebound or <see cref="ClearBindings"/>. Not thread-safe.</remarks>
public sealed unsafe class DuckDbStatement : IDisposable
{
    private readonly StatementHandle _handle;

    internal DuckDbStatement(StatementHandle handle, string sql)
    {
        _handle = handle;
        Sql = sql;
        ParameterCount = (int)Native.ParameterCount(handle);
    }

    /// <summary>The statement's text.</summary>
    public string Sql { get; }

    /// <summary>How many parameters the statement takes.</summary>
    public int ParameterCount { get; }

    public DuckDbStatement Bind(int index, long value) => Check(Native.BindInt64(Live(index), (ulong)index, value), index);

    public DuckDbStatement Bind(int index, int value) => Check(Native.BindInt32(Live(index), (ulong)index, value), index);

    public DuckDbStatement Bind(int index, double value) => Check(Native.BindDouble(Live(index), (ulong)index, value), index);

    public DuckDbStatement Bind(int index, bool value) => Check(Native.BindBoolean(Live(index), (ulong)index, value), index);

    /// <summary>Binds a TIMESTAMP (microsecond precision); a local time is converted to UTC, others are taken as they are.</summary>
    public DuckDbStatement Bind(int index, DateTime value) =>
        Check(Native.BindTimestamp(Live(index), (ulong)index, Temporal.ToTimestamp(value)), index);

    public DuckDbStatement Bind(int index, DateOnly value) =>
        Check(Native.BindDate(Live(index), (ulong)index, Temporal.ToDate(value)), index);

    /// <summary>Binds a VARCHAR; null binds NULL.</summary>
    public DuckDbStatement Bind(int index, string? value)
    {
        if (value is null) return BindNull(index);
        var handle = Live(index);
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            fixed (byte* p = buffer)
                return Check(Native.BindVarcharLength(handle, (ulong)index, p, (ulong)length), index);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public DuckDbStatement BindNull(int index) => Check(Native.BindNull(Live(index), (ulong)index), index);

    /// <summary>Forgets every binding.</summary>
    public void ClearBindings()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (Native.ClearBindings(_handle) != Native.Success) DuckDbException.Throw("clear bindings", Native.Utf8(Native.PrepareError(_handle)), sql: Sql);
    }

    /// <summary>Executes with the current bindings and returns the rows changed.</summary>
    public long Execute()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Native.Result result = default;
        try
        {
            if (Native.ExecutePrepared(_handle, &result) != Native.Success) DuckDbConnection.ThrowResultError("execute", &result, Sql);
            return (long)Native.RowsChanged(&result);
        }
        finally
        {
            Native.DestroyResult(&result);
        }
    }

    /// <summary>Executes with the current bindings and returns the rows, fully materialized.</summary>
    public DuckDbResult Query()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        var result = new ResultHandle();
        result.Adopt(_handle);
        if (Native.ExecutePrepared(_handle, result.Pointer) != Native.Success)
        {
            using (result) DuckDbConnection.ThrowResultError("execute", result.Pointer, Sql);
        }
        return new DuckDbResult(result);
    }

    /// <summary>Frees the statement once results read from it are disposed; safe to call twice.</summary>
    public void Dispose() => _handle.Dispose();

    private StatementHandle Live(int index)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if ((uint)(index - 1) >= (uint)ParameterCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"parameters are numbered 1 to {ParameterCount} in: {Sql}");
        return _handle;
    }

    private DuckDbStatement Check(int state, int index)
    {
        if (state != Native.Success)
            DuckDbException.Throw($"bind of parameter {index}", Native.Utf8(Native.PrepareError(_handle)), sql: Sql);
        return this;
    }
}
