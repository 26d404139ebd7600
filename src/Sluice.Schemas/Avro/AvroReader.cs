using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace Sluice.Schemas.Avro;

/// <summary>Reads Avro binary primitives from a span; never throws on bad input and never trusts a length.</summary>
/// <remarks>
/// Every method returns false on failure and records a reason code from <see cref="AvroReasonCodes"/>
/// and a detail in <see cref="ReasonCode"/> and <see cref="Detail"/>. Lengths and block counts are
/// checked against the bytes that remain before anything is allocated.
/// </remarks>
public ref struct AvroReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>A reader over <paramref name="data"/>.</summary>
    public AvroReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
        ReasonCode = null;
        Detail = null;
    }

    /// <summary>The reason code of the first failure, or null.</summary>
    public string? ReasonCode { get; private set; }

    /// <summary>Whether a read has failed (<see cref="ReasonCode"/> is set).</summary>
    internal readonly bool Failed => ReasonCode is not null;

    /// <summary>What failed, with the byte offset.</summary>
    public string? Detail { get; private set; }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _pos;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _data.Length - _pos;

    /// <summary>The bytes not yet consumed.</summary>
    internal readonly ReadOnlySpan<byte> Unread => _data[_pos..];

    /// <summary>Consumes <paramref name="count"/> bytes that the caller has already read from <see cref="Unread"/>.</summary>
    internal void Skip(int count)
    {
        Debug.Assert((uint)count <= (uint)Remaining);
        _pos += count;
    }

    /// <summary>Records a failure; always returns false so callers can <c>return r.Fail(...)</c>.</summary>
    public bool Fail(string reasonCode, string detail)
    {
        if (ReasonCode is null)
        {
            ReasonCode = reasonCode;
            Detail = $"{detail} (at byte {_pos})";
        }
        return false;
    }

    /// <summary>Reads a zigzag varint long (at most 10 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadLong(out long value)
    {
        // Most varints on the wire (lengths, branch indexes, small numbers) are one byte.
        if ((uint)_pos < (uint)_data.Length && _data[_pos] < 0x80)
        {
            var single = (uint)_data[_pos++];
            value = (long)(single >> 1) ^ -(long)(single & 1);
            return true;
        }
        return ReadLongSlow(out value);
    }

    /// <summary>Reads a zigzag varint long that is usually several bytes long (a timestamp): the word path inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool ReadWideLong(out long value) => TryReadWordVarint(out value) || ReadLongSlow(out value);

    // Timestamps (six bytes) and prices: a varint of up to eight bytes that ends inside one word is gathered from that
    // word without a loop. The same bits as the loop in ReadLongSlow, non-minimal encodings included; false (nothing
    // read) for anything else.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadWordVarint(out long value)
    {
        if (_data.Length - _pos >= sizeof(ulong))
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(_data[_pos..]);
            var ends = ~word & 0x8080_8080_8080_8080UL;
            if (ends != 0)
            {
                var bits = BitOperations.TrailingZeroCount(ends) + 1;
                var x = (bits == 64 ? word : word & ((1UL << bits) - 1)) & 0x7F7F_7F7F_7F7F_7F7FUL;
                // Close the gaps between the 7-bit groups: pairs to 14 bits, then 28, then 56.
                x = (x & 0x007F_007F_007F_007FUL) | ((x & 0x7F00_7F00_7F00_7F00UL) >> 1);
                x = (x & 0x0000_3FFF_0000_3FFFUL) | ((x & 0x3FFF_0000_3FFF_0000UL) >> 2);
                x = (x & 0x0000_0000_0FFF_FFFFUL) | ((x & 0x0FFF_FFFF_0000_0000UL) >> 4);
                _pos += bits >> 3;
                value = (long)(x >> 1) ^ -(long)(x & 1);
                return true;
            }
        }
        value = 0;
        return false;
    }

    private bool ReadLongSlow(out long value)
    {
        if (TryReadWordVarint(out value)) return true;
        ulong result = 0;
        var shift = 0;
        for (var i = 0; i < 10; i++)
        {
            if (_pos >= _data.Length)
            {
                value = 0;
                return Fail(AvroReasonCodes.Truncated, "varint cut short");
            }
            var b = _data[_pos++];
            if (i == 9 && b > 1)
            {
                value = 0;
                return Fail(AvroReasonCodes.VarintOverflow, "long varint longer than 10 bytes or past 64 bits");
            }
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = (long)(result >> 1) ^ -(long)(result & 1);
                return true;
            }
            shift += 7;
        }
        value = 0;
        return false; // unreachable: the tenth byte either ends the varint or fails above
    }

    /// <summary>Reads a zigzag varint int (at most 5 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadInt(out int value)
    {
        if ((uint)_pos < (uint)_data.Length && _data[_pos] < 0x80)
        {
            var single = (uint)_data[_pos++];
            value = (int)(single >> 1) ^ -(int)(single & 1);
            return true;
        }
        return ReadIntSlow(out value);
    }

    private bool ReadIntSlow(out int value)
    {
        uint result = 0;
        var shift = 0;
        for (var i = 0; i < 5; i++)
        {
            if (_pos >= _data.Length)
            {
                value = 0;
                return Fail(AvroReasonCodes.Truncated, "varint cut short");
            }
            var b = _data[_pos++];
            if (i == 4 && b > 0x0F)
            {
                value = 0;
                return Fail(AvroReasonCodes.VarintOverflow, "int varint longer than 5 bytes or past 32 bits");
            }
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = (int)(result >> 1) ^ -(int)(result & 1);
                return true;
            }
            shift += 7;
        }
        value = 0;
        return false;
    }

    /// <summary>Reads a boolean byte, which must be 0 or 1.</summary>
    public bool ReadBoolean(out bool value)
    {
        value = false;
        if (_pos >= _data.Length) return Fail(AvroReasonCodes.Truncated, "boolean cut short");
        var b = _data[_pos];
        if (b > 1) return Fail(AvroReasonCodes.InvalidValue, $"boolean byte is {b}, not 0 or 1");
        _pos++;
        value = b == 1;
        return true;
    }

    /// <summary>Reads a little-endian IEEE 754 float.</summary>
    public bool ReadFloat(out float value)
    {
        value = 0;
        if (Remaining < 4) return Fail(AvroReasonCodes.Truncated, "float cut short");
        value = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_pos, 4));
        _pos += 4;
        return true;
    }

    /// <summary>Reads a little-endian IEEE 754 double.</summary>
    public bool ReadDouble(out double value)
    {
        value = 0;
        if (Remaining < 8) return Fail(AvroReasonCodes.Truncated, "double cut short");
        value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_pos, 8));
        _pos += 8;
        return true;
    }

    /// <summary>Reads a length-prefixed byte sequence without copying it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadBytes(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!ReadLong(out var length)) return false;
        if ((ulong)length > (ulong)Remaining) return LengthOutOfRange(length);
        value = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return true;
    }

    private bool LengthOutOfRange(long length) => Fail(AvroReasonCodes.LengthOutOfRange, $"length {length} but {Remaining} bytes remain");

    /// <summary>Reads a length-prefixed UTF-8 string; invalid UTF-8 is rejected, not replaced.</summary>
    public bool ReadString(out string value)
    {
        value = "";
        if (!ReadBytes(out var utf8)) return false;
        if (utf8.Length == 0) return true;
        if (!Utf8.IsValid(utf8)) return Fail(AvroReasonCodes.InvalidValue, "string is not valid UTF-8");
        value = Encoding.UTF8.GetString(utf8);
        return true;
    }

    /// <summary>Reads <paramref name="size"/> bytes of a fixed.</summary>
    public bool ReadFixed(int size, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (size > Remaining) return Fail(AvroReasonCodes.Truncated, $"fixed of {size} bytes but {Remaining} remain");
        value = _data.Slice(_pos, size);
        _pos += size;
        return true;
    }

    /// <summary>Reads a union branch index and checks it against the branch count.</summary>
    public bool ReadUnionIndex(int branches, out int index)
    {
        if (!ReadLong(out var raw)) { index = 0; return false; }
        index = (int)raw;
        if (raw < 0 || raw >= branches) return Fail(AvroReasonCodes.UnionOutOfRange, $"union branch {raw} of {branches}");
        return true;
    }

    /// <summary>Reads the branch of a two-branch union whose branch 0 is null: true in <paramref name="present"/> for branch 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadOptionalBranch(out bool present)
    {
        // Branch 0 and 1 are the single bytes 0 and 2; anything else is an error the general path reports.
        if (_pos < _data.Length && (_data[_pos] & 0xFD) == 0)
        {
            present = _data[_pos++] == 2;
            return true;
        }
        return ReadOptionalBranchSlow(out present);
    }

    /// <summary>Consumes the branch byte of a <c>["null", T]</c> union's null branch when it is next; false (nothing read) otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryReadNullBranch()
    {
        if ((uint)_pos < (uint)_data.Length && _data[_pos] == 0)
        {
            _pos++;
            return true;
        }
        return false;
    }

    /// <summary>Reads a <c>["null", string]</c> (or bytes) union without copying: <paramref name="present"/> is false for null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool ReadOptionalBytes(out bool present, out ReadOnlySpan<byte> value)
    {
        // The common shapes in one bounds check: branch byte 0, or branch byte 2 then a one-byte (0-63) length.
        var pos = _pos;
        if ((uint)(pos + 1) < (uint)_data.Length)
        {
            var branch = _data[pos];
            if (branch == 0)
            {
                _pos = pos + 1;
                present = false;
                value = default;
                return true;
            }
            var zigzag = (uint)_data[pos + 1];
            if (branch == 2 && (zigzag & 0x81) == 0 && zigzag >> 1 <= (uint)(_data.Length - pos - 2))
            {
                var length = (int)(zigzag >> 1);
                value = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref MemoryMarshal.GetReference(_data), pos + 2), length);
                _pos = pos + 2 + length;
                present = true;
                return true;
            }
        }
        return ReadOptionalBytesSlow(out present, out value);
    }

    private bool ReadOptionalBytesSlow(out bool present, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!ReadOptionalBranch(out present)) return false;
        return !present || ReadBytes(out value);
    }

    private bool ReadOptionalBranchSlow(out bool present)
    {
        // Longer (non-minimal) varints are legal; bad ones fail with the reason.
        var ok = ReadUnionIndex(2, out var branch);
        present = ok && branch == 1;
        return ok;
    }

    /// <summary>Reads an enum index and checks it against the symbol count.</summary>
    public bool ReadEnumIndex(int symbols, out int index)
    {
        if (!ReadLong(out var raw)) { index = 0; return false; }
        index = (int)raw;
        if (raw < 0 || raw >= symbols) return Fail(AvroReasonCodes.EnumOutOfRange, $"enum index {raw} of {symbols} symbols");
        return true;
    }

    /// <summary>Reads an array or map block header; 0 ends the sequence.</summary>
    /// <param name="count">Items in the block.</param>
    /// <param name="minItemSize">The fewest bytes one item can take; 0 for items such as null.</param>
    public bool ReadBlockCount(int minItemSize, out int count)
    {
        count = 0;
        if (!ReadLong(out var raw)) return false;
        if (raw < 0)
        {
            // A negative count is followed by the block's size in bytes, which lets readers skip it.
            if (raw == long.MinValue) return Fail(AvroReasonCodes.LengthOutOfRange, "block count is long.MinValue");
            raw = -raw;
            if (!ReadLong(out var size)) return false;
            if (size < 0 || size > Remaining) return Fail(AvroReasonCodes.LengthOutOfRange, $"block size {size} but {Remaining} bytes remain");
        }
        // Items of zero width could claim any count; cap them so a few bytes cannot buy unbounded work.
        var limit = minItemSize == 0 ? MaxZeroWidthItems : Remaining / minItemSize;
        if (raw > limit) return Fail(AvroReasonCodes.LengthOutOfRange, $"block of {raw} items but {Remaining} bytes remain");
        count = (int)raw;
        return true;
    }

    /// <summary>Most items of a zero-width type (null, empty record) accepted in one array.</summary>
    public const int MaxZeroWidthItems = 1 << 16;
}
