using System.Runtime.InteropServices;

namespace Sluice.DuckDb;

/// <summary>A DuckDB object that must outlive the objects made from it (a database its connections, and so on).</summary>
/// <remarks>
/// A child holds a reference on its parent from <see cref="Adopt"/> until its own release, so disposing a
/// connection while one of its results is still open (or finalizers running in any order) frees the native
/// objects child first. Disposing the parent still marks it closed at once: new calls on it throw
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
internal abstract class DuckDbHandle : SafeHandle
{
    private SafeHandle? _parent;

    protected DuckDbHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Keeps <paramref name="parent"/> alive until this handle is released.</summary>
    public void Adopt(SafeHandle parent)
    {
        // An invalid handle is never released, so it must not hold a reference it would never give back.
        if (IsInvalid) return;
        var added = false;
        parent.DangerousAddRef(ref added);
        _parent = parent;
    }

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            Destroy();
        }
        finally
        {
            _parent?.DangerousRelease();
            _parent = null;
        }
        return true;
    }

    /// <summary>Frees the native object; <c>handle</c> is valid here.</summary>
    protected abstract void Destroy();
}

internal sealed class DatabaseHandle : DuckDbHandle
{
    protected override void Destroy()
    {
        var h = handle;
        Native.Close(ref h);
    }
}

internal sealed class ConnectionHandle : DuckDbHandle
{
    protected override void Destroy()
    {
        var h = handle;
        Native.Disconnect(ref h);
    }
}

internal sealed class StatementHandle : DuckDbHandle
{
    protected override void Destroy()
    {
        var h = handle;
        Native.DestroyPrepare(ref h);
    }
}

internal sealed class AppenderHandle : DuckDbHandle
{
    protected override void Destroy()
    {
        // Flushes rows still buffered; a failure here has no caller left to report to (DuckDbAppender.Close does).
        var h = handle;
        _ = Native.AppenderDestroy(ref h);
    }
}

internal sealed class DataChunkHandle : DuckDbHandle
{
    public DataChunkHandle(IntPtr chunk) => SetHandle(chunk);

    protected override void Destroy()
    {
        var h = handle;
        Native.DestroyDataChunk(ref h);
    }
}

/// <summary>Owns a <c>duckdb_result</c> struct in native memory, so its address is stable for every call.</summary>
internal sealed unsafe class ResultHandle : DuckDbHandle
{
    public ResultHandle() => SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(Native.Result)));

    public Native.Result* Pointer => (Native.Result*)handle;

    protected override void Destroy()
    {
        // Safe on a zeroed struct: DuckDB frees only what the query filled in.
        Native.DestroyResult(Pointer);
        NativeMemory.Free(Pointer);
    }
}
