using System.Reflection;
using System.Runtime.InteropServices;
using Sluice.Core.Errors;
using Sluice.Core.Native;

namespace Sluice.DuckDb;

/// <summary>Declarations for the part of DuckDB's C API (duckdb.h, 1.x) this binding uses.</summary>
/// <remarks>
/// Handles cross as <see cref="SafeHandle"/> subclasses, so the marshaller holds a reference for the
/// length of every call and a disposed object fails with <see cref="ObjectDisposedException"/> instead of
/// handing DuckDB a freed pointer. C <c>bool</c> is one byte; <c>idx_t</c> is <c>uint64_t</c>.
/// </remarks>
internal static unsafe partial class Native
{
    private const string Lib = "duckdb";

    /// <summary><c>duckdb_state</c>: DuckDBSuccess = 0, DuckDBError = 1.</summary>
    public const int Success = 0;

    private static readonly Lock Gate = new();
    private static volatile bool _loaded;
    private static IntPtr _library;

    /// <summary>
    /// The process-wide <c>duckdb_instance_cache</c>, never freed. Two <c>duckdb_open</c> calls on one file
    /// in one process give two independent instances writing the same file (file locks are per process, so
    /// DuckDB cannot tell); through the cache they share one instance instead.
    /// </summary>
    public static IntPtr InstanceCache { get; private set; }

    /// <summary>Loads libduckdb once from the native cache; throws naming <c>./build.sh deps</c> when it is missing.</summary>
    public static void EnsureLoaded()
    {
        if (_loaded) return;
        lock (Gate)
        {
            if (_loaded) return;
            var path = NativeCache.Locate(NativeCache.DuckDbFolder, "libduckdb.so");
            if (!NativeLibrary.TryLoad(path, out var handle))
                ThrowHelper.Throw($"native library {path} is corrupt or cannot be loaded; run ./build.sh deps to rebuild it");
            if (!NativeLibrary.TryGetExport(handle, "duckdb_get_or_create_from_cache", out _))
                ThrowHelper.Throw($"native library {path} is older than DuckDB 1.2 (no instance cache); run ./build.sh deps to rebuild it");
            _library = handle;
            NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);
            InstanceCache = CreateInstanceCache();
            _loaded = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Lib ? _library : IntPtr.Zero;

    /// <summary><c>duckdb_result</c>: five deprecated fields the API still lays out, then the internal pointer (48 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Result
    {
        public ulong DeprecatedColumnCount;
        public ulong DeprecatedRowCount;
        public ulong DeprecatedRowsChanged;
        public IntPtr DeprecatedColumns;
        public IntPtr DeprecatedErrorMessage;
        public IntPtr InternalData;
    }

    /// <summary><c>duckdb_timestamp</c>: microseconds since 1970-01-01.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Timestamp
    {
        public long Micros;
    }

    /// <summary><c>duckdb_date</c>: days since 1970-01-01.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Date
    {
        public int Days;
    }

    // ---- library, configuration, open/connect

    [LibraryImport(Lib, EntryPoint = "duckdb_library_version")]
    public static partial byte* LibraryVersion();

    [LibraryImport(Lib, EntryPoint = "duckdb_free")]
    public static partial void Free(void* ptr);

    [LibraryImport(Lib, EntryPoint = "duckdb_create_config")]
    public static partial int CreateConfig(out IntPtr config);

    [LibraryImport(Lib, EntryPoint = "duckdb_set_config", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetConfig(IntPtr config, string name, string option);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_config")]
    public static partial void DestroyConfig(ref IntPtr config);

    [LibraryImport(Lib, EntryPoint = "duckdb_create_instance_cache")]
    private static partial IntPtr CreateInstanceCache();

    /// <summary><c>duckdb_open_ext</c> through the instance cache; <paramref name="error"/> is freed with <see cref="Free"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_get_or_create_from_cache", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int GetOrCreateFromCache(IntPtr cache, string path, out DatabaseHandle database, IntPtr config, out byte* error);

    [LibraryImport(Lib, EntryPoint = "duckdb_close")]
    public static partial void Close(ref IntPtr database);

    [LibraryImport(Lib, EntryPoint = "duckdb_connect")]
    public static partial int Connect(DatabaseHandle database, out ConnectionHandle connection);

    /// <summary>Asks the connection's running query to stop; safe from another thread.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_interrupt")]
    public static partial void Interrupt(ConnectionHandle connection);

    [LibraryImport(Lib, EntryPoint = "duckdb_disconnect")]
    public static partial void Disconnect(ref IntPtr connection);

    // ---- queries and results

    [LibraryImport(Lib, EntryPoint = "duckdb_query", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Query(ConnectionHandle connection, string sql, Result* result);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_result")]
    public static partial void DestroyResult(Result* result);

    [LibraryImport(Lib, EntryPoint = "duckdb_result_error")]
    public static partial byte* ResultError(Result* result);

    [LibraryImport(Lib, EntryPoint = "duckdb_result_error_type")]
    public static partial int ResultErrorType(Result* result);

    [LibraryImport(Lib, EntryPoint = "duckdb_column_count")]
    public static partial ulong ColumnCount(Result* result);

    [LibraryImport(Lib, EntryPoint = "duckdb_column_name")]
    public static partial byte* ColumnName(Result* result, ulong column);

    [LibraryImport(Lib, EntryPoint = "duckdb_column_type")]
    public static partial int ColumnType(Result* result, ulong column);

    /// <summary>Returns a <c>duckdb_logical_type</c> the caller destroys with <see cref="DestroyLogicalType"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_column_logical_type")]
    public static partial IntPtr ColumnLogicalType(Result* result, ulong column);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_logical_type")]
    public static partial void DestroyLogicalType(ref IntPtr type);

    [LibraryImport(Lib, EntryPoint = "duckdb_decimal_scale")]
    public static partial byte DecimalScale(IntPtr type);

    /// <summary>How a DECIMAL is stored: SMALLINT, INTEGER, BIGINT or HUGEINT, by its width.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_decimal_internal_type")]
    public static partial int DecimalInternalType(IntPtr type);

    [LibraryImport(Lib, EntryPoint = "duckdb_rows_changed")]
    public static partial ulong RowsChanged(Result* result);

    /// <summary>Takes the result struct by value (C API 1.x); returns null when the result is exhausted.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_fetch_chunk")]
    public static partial IntPtr FetchChunk(Result result);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_data_chunk")]
    public static partial void DestroyDataChunk(ref IntPtr chunk);

    [LibraryImport(Lib, EntryPoint = "duckdb_data_chunk_get_size")]
    public static partial ulong DataChunkGetSize(DataChunkHandle chunk);

    [LibraryImport(Lib, EntryPoint = "duckdb_data_chunk_get_vector")]
    public static partial IntPtr DataChunkGetVector(DataChunkHandle chunk, ulong column);

    [LibraryImport(Lib, EntryPoint = "duckdb_vector_get_data")]
    public static partial void* VectorGetData(IntPtr vector);

    /// <summary>Null when every row is valid; otherwise bit <c>r % 64</c> of word <c>r / 64</c> is set for a non-NULL row.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_vector_get_validity")]
    public static partial ulong* VectorGetValidity(IntPtr vector);

    // ---- prepared statements

    [LibraryImport(Lib, EntryPoint = "duckdb_prepare", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Prepare(ConnectionHandle connection, string sql, out StatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "duckdb_prepare_error")]
    public static partial byte* PrepareError(StatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_prepare")]
    public static partial void DestroyPrepare(ref IntPtr statement);

    [LibraryImport(Lib, EntryPoint = "duckdb_nparams")]
    public static partial ulong ParameterCount(StatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "duckdb_clear_bindings")]
    public static partial int ClearBindings(StatementHandle statement);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_boolean")]
    public static partial int BindBoolean(StatementHandle statement, ulong index, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_int32")]
    public static partial int BindInt32(StatementHandle statement, ulong index, int value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_int64")]
    public static partial int BindInt64(StatementHandle statement, ulong index, long value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_double")]
    public static partial int BindDouble(StatementHandle statement, ulong index, double value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_varchar_length")]
    public static partial int BindVarcharLength(StatementHandle statement, ulong index, byte* value, ulong length);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_timestamp")]
    public static partial int BindTimestamp(StatementHandle statement, ulong index, Timestamp value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_date")]
    public static partial int BindDate(StatementHandle statement, ulong index, Date value);

    [LibraryImport(Lib, EntryPoint = "duckdb_bind_null")]
    public static partial int BindNull(StatementHandle statement, ulong index);

    [LibraryImport(Lib, EntryPoint = "duckdb_execute_prepared")]
    public static partial int ExecutePrepared(StatementHandle statement, Result* result);

    // ---- appender

    [LibraryImport(Lib, EntryPoint = "duckdb_appender_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AppenderCreate(ConnectionHandle connection, string? schema, string table, out AppenderHandle appender);

    /// <summary>Returns a <c>duckdb_error_data</c> the caller destroys with <see cref="DestroyErrorData"/>.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_appender_error_data")]
    public static partial IntPtr AppenderErrorData(AppenderHandle appender);

    [LibraryImport(Lib, EntryPoint = "duckdb_error_data_error_type")]
    public static partial int ErrorDataType(IntPtr errorData);

    [LibraryImport(Lib, EntryPoint = "duckdb_error_data_message")]
    public static partial byte* ErrorDataMessage(IntPtr errorData);

    [LibraryImport(Lib, EntryPoint = "duckdb_destroy_error_data")]
    public static partial void DestroyErrorData(ref IntPtr errorData);

    [LibraryImport(Lib, EntryPoint = "duckdb_appender_flush")]
    public static partial int AppenderFlush(AppenderHandle appender);

    [LibraryImport(Lib, EntryPoint = "duckdb_appender_close")]
    public static partial int AppenderClose(AppenderHandle appender);

    /// <summary>Flushes what is buffered, closes and frees the appender.</summary>
    [LibraryImport(Lib, EntryPoint = "duckdb_appender_destroy")]
    public static partial int AppenderDestroy(ref IntPtr appender);

    [LibraryImport(Lib, EntryPoint = "duckdb_appender_end_row")]
    public static partial int AppenderEndRow(AppenderHandle appender);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_bool")]
    public static partial int AppendBool(AppenderHandle appender, [MarshalAs(UnmanagedType.U1)] bool value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_int32")]
    public static partial int AppendInt32(AppenderHandle appender, int value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_int64")]
    public static partial int AppendInt64(AppenderHandle appender, long value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_double")]
    public static partial int AppendDouble(AppenderHandle appender, double value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_varchar_length")]
    public static partial int AppendVarcharLength(AppenderHandle appender, byte* value, ulong length);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_timestamp")]
    public static partial int AppendTimestamp(AppenderHandle appender, Timestamp value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_date")]
    public static partial int AppendDate(AppenderHandle appender, Date value);

    [LibraryImport(Lib, EntryPoint = "duckdb_append_null")]
    public static partial int AppendNull(AppenderHandle appender);

    /// <summary>A NUL-terminated UTF-8 string owned by DuckDB, or null.</summary>
    public static string? Utf8(byte* text) => text == null ? null : Marshal.PtrToStringUTF8((IntPtr)text);
}
