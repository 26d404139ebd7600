using System.Text;

namespace Sluice.DuckDb;

/// <summary>Rows returned by a query, read forward one at a time like a data reader.</summary>
/// <remarks>
/// Rows arrive in DuckDB data chunks (up to 2048 rows, column vectors); getters read the current chunk's
/// vectors in place, so typed getters allocate nothing except <see cref="GetString"/>'s string. A getter
/// for a type the column cannot hold throws <see cref="InvalidCastException"/>; a NULL throws too, so
/// test <see cref="IsNull"/> first (or use <see cref="GetValue"/>, which returns null). Types this
/// binding does not decode (INTERVAL, LIST, STRUCT, ...) can be cast in SQL, e.g. <c>x::DOUBLE</c>.
/// </remarks>
public sealed unsafe class DuckDbResult : IDisposable
{
    private readonly ResultHandle _handle;
    private readonly string[] _names;
    private readonly DuckDbType[] _types;
    private readonly IntPtr[] _data;
    private readonly IntPtr[] _validity;
    // For DECIMAL columns: the integer type that stores the unscaled value, and the scale.
    private readonly DuckDbType[] _storage;
    private readonly byte[] _scale;
    private readonly double[] _divisor;
    private DataChunkHandle? _chunk;
    private int _chunkSize;
    private int _row = -1;
    private bool _exhausted;

    internal DuckDbResult(ResultHandle handle)
    {
        _handle = handle;
        var count = (int)Native.ColumnCount(handle.Pointer);
        _names = new string[count];
        _types = new DuckDbType[count];
        _storage = new DuckDbType[count];
        _scale = new byte[count];
        _divisor = new double[count];
        _data = new IntPtr[count];
        _validity = new IntPtr[count];
        for (var c = 0; c < count; c++)
        {
            _names[c] = Native.Utf8(Native.ColumnName(handle.Pointer, (ulong)c)) ?? $"column{c}";
            _types[c] = _storage[c] = (DuckDbType)Native.ColumnType(handle.Pointer, (ulong)c);
            if (_types[c] == DuckDbType.Decimal) ReadDecimalLayout(c);
        }
        RowsChanged = (long)Native.RowsChanged(handle.Pointer);
    }

    /// <summary>Number of columns.</summary>
    public int FieldCount => _names.Length;

    /// <summary>Rows changed by an INSERT, UPDATE or DELETE; 0 for other statements.</summary>
    public long RowsChanged { get; }

    /// <summary>Column names, in order.</summary>
    public IReadOnlyList<string> ColumnNames => _names;

    public string GetName(int column) => _names[column];

    public DuckDbType GetColumnType(int column) => _types[column];

    /// <summary>The index of the column named <paramref name="name"/> (exact match first, then ignoring case).</summary>
    public int GetOrdinal(string name)
    {
        var index = Array.IndexOf(_names, name);
        if (index >= 0) return index;
        for (var c = 0; c < _names.Length; c++)
            if (string.Equals(_names[c], name, StringComparison.OrdinalIgnoreCase)) return c;
        throw new ArgumentException($"no column named '{name}'; columns are {string.Join(", ", _names)}", nameof(name));
    }

    /// <summary>Moves to the next row; false when there are no more.</summary>
    public bool Read()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (++_row < _chunkSize) return true;
        return NextChunk();
    }

    public bool IsNull(int column)
    {
        Check(column);
        var validity = (ulong*)_validity[column];
        return validity != null && (validity[_row >> 6] & (1UL << (_row & 63))) == 0;
    }

    public bool GetBoolean(int column) => _types[NotNull(column)] switch
    {
        DuckDbType.Boolean => Cell<byte>(column) != 0,
        _ => throw WrongType(column, "bool"),
    };

    /// <summary>Any integer column whose value fits in an <see cref="int"/>.</summary>
    public int GetInt32(int column)
    {
        var value = GetInt64(column);
        if (value is < int.MinValue or > int.MaxValue) throw new InvalidCastException($"column '{_names[column]}' holds {value}, which does not fit in an int");
        return (int)value;
    }

    /// <summary>Any integer column whose value fits in a <see cref="long"/>.</summary>
    public long GetInt64(int column) => _types[NotNull(column)] switch
    {
        DuckDbType.TinyInt => Cell<sbyte>(column),
        DuckDbType.SmallInt => Cell<short>(column),
        DuckDbType.Integer => Cell<int>(column),
        DuckDbType.BigInt => Cell<long>(column),
        DuckDbType.UTinyInt => Cell<byte>(column),
        DuckDbType.USmallInt => Cell<ushort>(column),
        DuckDbType.UInteger => Cell<uint>(column),
        DuckDbType.UBigInt => Cell<ulong>(column) <= long.MaxValue
            ? (long)Cell<ulong>(column)
            : throw new InvalidCastException($"column '{_names[column]}' holds {Cell<ulong>(column)}, which does not fit in a long"),
        DuckDbType.HugeInt => HugeInt(column) is var h && h >= long.MinValue && h <= long.MaxValue
            ? (long)h
            : throw new InvalidCastException($"column '{_names[column]}' holds {HugeInt(column)}, which does not fit in a long"),
        _ => throw WrongType(column, "long"),
    };

    /// <summary>A FLOAT, DOUBLE or integer column.</summary>
    public double GetDouble(int column) => _types[NotNull(column)] switch
    {
        DuckDbType.Double => Cell<double>(column),
        DuckDbType.Float => Cell<float>(column),
        DuckDbType.TinyInt or DuckDbType.SmallInt or DuckDbType.Integer or DuckDbType.BigInt or DuckDbType.UTinyInt
            or DuckDbType.USmallInt or DuckDbType.UInteger => GetInt64(column),
        DuckDbType.UBigInt => Cell<ulong>(column),
        DuckDbType.HugeInt => (double)HugeInt(column),
        DuckDbType.Decimal => (double)Unscaled(column) / _divisor[column],
        _ => throw WrongType(column, "double"),
    };

    /// <summary>A DECIMAL (up to 28 significant digits) or integer column.</summary>
    public decimal GetDecimal(int column)
    {
        if (_types[NotNull(column)] != DuckDbType.Decimal) return GetInt64(column);
        var unscaled = Unscaled(column);
        var negative = unscaled < 0;
        var magnitude = (UInt128)(negative ? -unscaled : unscaled);
        var scale = _scale[column];
        // System.Decimal holds a 96-bit magnitude and a scale of at most 28; DuckDB allows 38 digits.
        if (magnitude >> 96 != 0 || scale > 28) throw OutOfRange(column, "decimal");
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), negative, scale);
    }

    /// <summary>A VARCHAR column.</summary>
    public string GetString(int column)
    {
        if (_types[NotNull(column)] != DuckDbType.Varchar) throw WrongType(column, "string");
        var bytes = StringBytes(column);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A VARCHAR or BLOB column's bytes, valid only until the next <see cref="Read"/>.</summary>
    public ReadOnlySpan<byte> GetByteSpan(int column)
    {
        if (_types[NotNull(column)] is not (DuckDbType.Varchar or DuckDbType.Blob)) throw WrongType(column, "bytes");
        return StringBytes(column);
    }

    /// <summary>A TIMESTAMP (any precision, with or without time zone, as UTC) or DATE (at midnight) column.</summary>
    public DateTime GetDateTime(int column)
    {
        var type = _types[NotNull(column)];
        if (type == DuckDbType.Date) return GetDate(column).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var units = Cell<long>(column);
        DateTime value;
        var ok = type switch
        {
            DuckDbType.Timestamp or DuckDbType.TimestampTz => Temporal.TryFromMicros(units, out value),
            DuckDbType.TimestampMs => Temporal.TryFromTicks(units, TimeSpan.TicksPerMillisecond, out value),
            DuckDbType.TimestampS => Temporal.TryFromTicks(units, TimeSpan.TicksPerSecond, out value),
            // A tick is 100 ns: round down to whole ticks.
            DuckDbType.TimestampNs => Temporal.TryFromTicks(FloorDiv(units, 100), 1, out value),
            _ => throw WrongType(column, "DateTime"),
        };
        if (!ok) throw OutOfRange(column, "DateTime");
        return value;
    }

    /// <summary>A DATE column.</summary>
    public DateOnly GetDate(int column)
    {
        if (_types[NotNull(column)] != DuckDbType.Date) throw WrongType(column, "DateOnly");
        if (!Temporal.TryFromDays(Cell<int>(column), out var value)) throw OutOfRange(column, "DateOnly");
        return value;
    }

    /// <summary>The value boxed as its natural .NET type, or null for NULL.</summary>
    /// <remarks>BOOLEAN bool; integers sbyte..ulong and Int128; FLOAT float; DOUBLE double; DECIMAL decimal; VARCHAR string; BLOB byte[];
    /// DATE DateOnly; TIME TimeOnly; TIMESTAMP* DateTime (UTC).</remarks>
    public object? GetValue(int column)
    {
        if (IsNull(column)) return null;
        return _types[column] switch
        {
            DuckDbType.Boolean => Cell<byte>(column) != 0,
            DuckDbType.TinyInt => Cell<sbyte>(column),
            DuckDbType.SmallInt => Cell<short>(column),
            DuckDbType.Integer => Cell<int>(column),
            DuckDbType.BigInt => Cell<long>(column),
            DuckDbType.UTinyInt => Cell<byte>(column),
            DuckDbType.USmallInt => Cell<ushort>(column),
            DuckDbType.UInteger => Cell<uint>(column),
            DuckDbType.UBigInt => Cell<ulong>(column),
            DuckDbType.HugeInt => HugeInt(column),
            DuckDbType.Float => Cell<float>(column),
            DuckDbType.Double => Cell<double>(column),
            DuckDbType.Decimal => GetDecimal(column),
            DuckDbType.Varchar => GetString(column),
            DuckDbType.Blob => StringBytes(column).ToArray(),
            DuckDbType.Date => GetDate(column),
            DuckDbType.Time => new TimeOnly(Cell<long>(column) * (TimeSpan.TicksPerMillisecond / 1000)),
            DuckDbType.Timestamp or DuckDbType.TimestampTz or DuckDbType.TimestampS or DuckDbType.TimestampMs
                or DuckDbType.TimestampNs => GetDateTime(column),
            _ => throw new NotSupportedException(
                $"column '{_names[column]}' has type {_types[column]}, which this binding does not read; cast it in SQL, e.g. {_names[column]}::VARCHAR"),
        };
    }

    /// <summary>Frees the result; safe to call twice.</summary>
    public void Dispose()
    {
        _chunk?.Dispose();
        _chunk = null;
        _chunkSize = 0;
        _handle.Dispose();
    }

    private void ReadDecimalLayout(int column)
    {
        var logical = Native.ColumnLogicalType(_handle.Pointer, (ulong)column);
        try
        {
            _storage[column] = (DuckDbType)Native.DecimalInternalType(logical);
            _scale[column] = Native.DecimalScale(logical);
            _divisor[column] = Math.Pow(10, _scale[column]);
        }
        finally
        {
            Native.DestroyLogicalType(ref logical);
        }
    }

    private bool NextChunk()
    {
        while (!_exhausted)
        {
            _chunk?.Dispose();
            _chunk = null;
            _chunkSize = 0;
            var pointer = Native.FetchChunk(*_handle.Pointer);
            if (pointer == IntPtr.Zero)
            {
                _exhausted = true;
                break;
            }
            var chunk = new DataChunkHandle(pointer);
            // The chunk's strings may live in the result's buffers: the result must outlive it.
            chunk.Adopt(_handle);
            _chunk = chunk;
            var size = (int)Native.DataChunkGetSize(chunk);
            if (size == 0) continue;
            for (var c = 0; c < _data.Length; c++)
            {
                var vector = Native.DataChunkGetVector(chunk, (ulong)c);
                _data[c] = (IntPtr)Native.VectorGetData(vector);
                _validity[c] = (IntPtr)Native.VectorGetValidity(vector);
            }
            _chunkSize = size;
            _row = 0;
            return true;
        }
        _row = 0;
        return false;
    }

    private void Check(int column)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if ((uint)column >= (uint)_names.Length)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"the result has {_names.Length} columns");
        if ((uint)_row >= (uint)_chunkSize)
            throw new InvalidOperationException("no current row: call Read() and check that it returned true");
    }

    private int NotNull(int column)
    {
        if (IsNull(column)) throw new InvalidCastException($"column '{_names[column]}' is NULL in this row; check IsNull first");
        return column;
    }

    private T Cell<T>(int column) where T : unmanaged => ((T*)_data[column])[_row];

    private Int128 HugeInt(int column)
    {
        // duckdb_hugeint: { uint64_t lower; int64_t upper; }
        var cell = (ulong*)_data[column] + 2 * _row;
        return new Int128(cell[1], cell[0]);
    }

    private Int128 Unscaled(int column) => _storage[column] switch
    {
        DuckDbType.SmallInt => Cell<short>(column),
        DuckDbType.Integer => Cell<int>(column),
        DuckDbType.BigInt => Cell<long>(column),
        _ => HugeInt(column),
    };

    private ReadOnlySpan<byte> StringBytes(int column)
    {
        // duckdb_string_t (16 bytes): uint32 length, then the bytes inline when length <= 12,
        // else a 4-byte prefix and a pointer to the bytes.
        var cell = (byte*)_data[column] + 16 * _row;
        var length = *(uint*)cell;
        var bytes = length <= 12 ? cell + 4 : *(byte**)(cell + 8);
        return new ReadOnlySpan<byte>(bytes, checked((int)length));
    }

    private static long FloorDiv(long value, long divisor) => value / divisor - (value % divisor < 0 ? 1 : 0);

    private InvalidCastException WrongType(int column, string target) =>
        new($"column '{_names[column]}' has type {_types[column]}, which cannot be read as {target}");

    private InvalidCastException OutOfRange(int column, string target) =>
        new($"column '{_names[column]}' holds a value outside {target}'s range (such as infinity)");
}
