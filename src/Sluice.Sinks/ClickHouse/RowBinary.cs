using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Sluice.Sinks.Tables;

namespace Sluice.Sinks.ClickHouse;

/// <summary>ClickHouse's RowBinary format, written: little-endian numbers, strings as a LEB128 length and the bytes, a Nullable value behind a 0/1 null flag.</summary>
/// <remarks>
/// Exact both ways (bytes stay bytes, doubles bit for bit), which JSONEachRow is not for binary strings. The types are
/// those of <see cref="ClickHouseTables.SqlType"/>: timestamps are Int64 epoch milliseconds (18.16 has no DateTime64),
/// booleans UInt8, dates UInt16 days since 1970-01-01.
/// </remarks>
internal sealed class RowBinaryWriter(ArrayBufferWriter<byte> buffer) : IColumnWriter
{
    private IReadOnlyList<bool> _nullable = [];
    private int _column;

    /// <summary>Starts a row whose columns are Nullable where <paramref name="nullable"/> says so.</summary>
    public void StartRow(IReadOnlyList<bool> nullable)
    {
        _nullable = nullable;
        _column = 0;
    }

    public void Text(string? value)
    {
        if (Present(value is not null)) WriteString(value!);
    }

    public void Integer(int? value)
    {
        if (Present(value.HasValue))
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.GetSpan(4), value!.Value);
            buffer.Advance(4);
        }
    }

    public void BigInt(long? value) => Int64(value);

    public void Timestamp(long? epochMs) => Int64(epochMs);

    public void Double(double? value)
    {
        if (Present(value.HasValue))
        {
            BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value!.Value);
            buffer.Advance(8);
        }
    }

    public void Boolean(bool? value)
    {
        if (Present(value.HasValue)) Byte(value!.Value ? (byte)1 : (byte)0);
    }

    public void Date(DateOnly? value)
    {
        if (!Present(value.HasValue)) return;
        var days = value!.Value.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        if (days is < 0 or > ushort.MaxValue) throw new FormatException($"{value:yyyy-MM-dd} is outside ClickHouse's Date range (1970-01-01 to 2149-06-06)");
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.GetSpan(2), (ushort)days);
        buffer.Advance(2);
    }

    public void Bytes(byte[]? value)
    {
        if (!Present(value is not null)) return;
        Length(value!.Length);
        buffer.Write(value);
    }

    public void Json(string value) => Text(value);

    /// <summary>A column that is not part of the shared definition (the version), always present.</summary>
    public void UInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
    }

    private void Int64(long? value)
    {
        if (Present(value.HasValue))
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.GetSpan(8), value!.Value);
            buffer.Advance(8);
        }
    }

    // Writes the null flag of a Nullable column; a null in a column that is not Nullable is an error rather than a
    // silent default. True when the value follows.
    private bool Present(bool present)
    {
        var nullable = _nullable[_column++];
        if (nullable) Byte(present ? (byte)0 : (byte)1);
        else if (!present) throw new FormatException($"column {_column - 1} is not Nullable in ClickHouse, and the row has no value for it");
        return present;
    }

    private void Byte(byte b)
    {
        buffer.GetSpan(1)[0] = b;
        buffer.Advance(1);
    }

    private void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Length(count);
        Encoding.UTF8.GetBytes(value, buffer.GetSpan(count));
        buffer.Advance(count);
    }

    private void Length(int length)
    {
        var v = (uint)length;
        while (v >= 0x80)
        {
            Byte((byte)(v | 0x80));
            v >>= 7;
        }
        Byte((byte)v);
    }
}

/// <summary>Reads RowBinary that <see cref="RowBinaryWriter"/>'s types describe: a result of <c>SELECT … FORMAT RowBinary</c>.</summary>
internal sealed class RowBinaryReader(byte[] data) : IColumnReader
{
    private IReadOnlyList<bool> _nullable = [];
    private int _column;
    private int _at;

    /// <summary>True while rows remain.</summary>
    public bool More => _at < data.Length;

    public void StartRow(IReadOnlyList<bool> nullable)
    {
        _nullable = nullable;
        _column = 0;
    }

    public string? Text() => Present() ? ReadString() : null;
    public int? Integer() => Present() ? BinaryPrimitives.ReadInt32LittleEndian(Take(4)) : null;
    public long? BigInt() => Present() ? BinaryPrimitives.ReadInt64LittleEndian(Take(8)) : null;
    public long? Timestamp() => BigInt();
    public double? Double() => Present() ? BinaryPrimitives.ReadDoubleLittleEndian(Take(8)) : null;
    public bool? Boolean() => Present() ? Take(1)[0] != 0 : null;

    public DateOnly? Date() => Present()
        ? DateOnly.FromDateTime(DateTime.UnixEpoch).AddDays(BinaryPrimitives.ReadUInt16LittleEndian(Take(2)))
        : null;

    public byte[]? Bytes() => Present() ? Take(ReadLength()).ToArray() : null;

    public string Json() => Text() ?? "null";

    /// <summary>A column outside the shared definition: String, not Nullable.</summary>
    public string String() => ReadString();

    /// <summary>A column outside the shared definition: Int32, not Nullable.</summary>
    public int Int32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>A column outside the shared definition: Int64, not Nullable.</summary>
    public long Int64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    private bool Present()
    {
        var nullable = _nullable.Count > _column && _nullable[_column];
        _column++;
        return !nullable || Take(1)[0] == 0;
    }

    private string ReadString() => Encoding.UTF8.GetString(Take(ReadLength()));

    private int ReadLength()
    {
        uint value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7f) << shift;
            if (b < 0x80) return checked((int)value);
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (_at + count > data.Length) throw new FormatException("a RowBinary result ended inside a row");
        var span = data.AsSpan(_at, count);
        _at += count;
        return span;
    }
}
