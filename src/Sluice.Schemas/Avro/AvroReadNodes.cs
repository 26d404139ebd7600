using System.Buffers.Text;

namespace Sluice.Schemas.Avro;

internal sealed class NullNode : ReadNode
{
    public static readonly NullNode Instance = new();

    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        return true;
    }
}

internal sealed class BooleanNode : ReadNode
{
    public static readonly BooleanNode Instance = new();

    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        var ok = r.ReadBoolean(out var b);
        value = b;
        return ok;
    }
}

internal sealed class IntNode(AvroType target, AvroLogicalType logical) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (!r.ReadInt(out var i)) return false;
        if (target == AvroType.Int && logical == AvroLogicalType.Date)
        {
            if (!TryDate(i, out var date)) return r.Fail(AvroReasonCodes.InvalidValue, $"date {i} is outside years 1-9999");
            value = date;
            return true;
        }
        value = target switch
        {
            AvroType.Int => i,
            AvroType.Long => (long)i,
            AvroType.Float => (float)i,
            _ => (object)(double)i,
        };
        return true;
    }

    private static bool TryDate(int days, out DateOnly date)
    {
        var dayNumber = (long)days + AvroJson.EpochDay;
        date = default;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber) return false;
        date = DateOnly.FromDayNumber((int)dayNumber);
        return true;
    }
}

internal sealed class LongNode(AvroType target, AvroLogicalType logical) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (!r.ReadLong(out var l)) return false;
        if (target == AvroType.Long && logical == AvroLogicalType.TimestampMillis)
        {
            if (l is < AvroJson.MinMillis or > AvroJson.MaxMillis) return r.Fail(AvroReasonCodes.InvalidValue, $"timestamp-millis {l} is outside years 1-9999");
            value = DateTimeOffset.FromUnixTimeMilliseconds(l);
            return true;
        }
        value = target switch
        {
            AvroType.Long => l,
            AvroType.Float => (float)l,
            _ => (object)(double)l,
        };
        return true;
    }
}

internal sealed class FloatNode(AvroType target) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        var ok = r.ReadFloat(out var f);
        value = target == AvroType.Float ? f : (object)(double)f;
        return ok;
    }
}

internal sealed class DoubleNode : ReadNode
{
    public static readonly DoubleNode Instance = new();

    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        var ok = r.ReadDouble(out var d);
        value = d;
        return ok;
    }
}

/// <summary>Reads bytes or string into bytes, string or uuid (the spec lets bytes and string promote to each other).</summary>
internal sealed class StringNode(AvroType target, AvroLogicalType logical) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (target == AvroType.Bytes)
        {
            if (!r.ReadBytes(out var bytes)) return false;
            value = bytes.ToArray();
            return true;
        }
        if (logical == AvroLogicalType.Uuid)
        {
            if (!r.ReadBytes(out var text)) return false;
            if (!Utf8Parser.TryParse(text, out Guid g, out var consumed, 'D') || consumed != text.Length)
            {
                return r.Fail(AvroReasonCodes.InvalidValue, "uuid is not a 36-character UUID string");
            }
            value = g;
            return true;
        }
        if (!r.ReadString(out var s)) return false;
        value = s;
        return true;
    }
}

internal sealed class FixedNode(int size) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (!r.ReadFixed(size, out var bytes)) return false;
        value = new AvroFixed(bytes.ToArray());
        return true;
    }
}

/// <summary>Maps writer symbol indexes to reader symbols; a null entry is a symbol the reader cannot take.</summary>
internal sealed class EnumNode(AvroEnum?[] map) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (!r.ReadEnumIndex(map.Length, out var index)) return false;
        value = map[index];
        return value is not null || r.Fail(AvroReasonCodes.SchemaMismatch, $"writer enum symbol #{index} is unknown to the reader");
    }
}

internal sealed class ArrayNode(ReadNode items, int minItemSize) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (depth >= AvroDecoder.MaxDepth) return r.Fail(AvroReasonCodes.TooDeep, "nesting too deep");
        var list = new List<object?>();
        while (true)
        {
            if (!r.ReadBlockCount(minItemSize, out var count)) return false;
            if (count == 0) break;
            if (minItemSize == 0 && list.Count + count > AvroReader.MaxZeroWidthItems) return r.Fail(AvroReasonCodes.LengthOutOfRange, "too many zero-width items");
            for (var i = 0; i < count; i++)
            {
                if (!items.Read(ref r, depth + 1, out var item)) return false;
                list.Add(item);
            }
        }
        value = list;
        return true;
    }
}

internal sealed class MapNode(ReadNode values) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (depth >= AvroDecoder.MaxDepth) return r.Fail(AvroReasonCodes.TooDeep, "nesting too deep");
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            // Each entry is at least a key length byte.
            if (!r.ReadBlockCount(1, out var count)) return false;
            if (count == 0) break;
            for (var i = 0; i < count; i++)
            {
                if (!r.ReadString(out var key)) return false;
                if (!values.Read(ref r, depth + 1, out var item)) return false;
                map[key] = item;
            }
        }
        value = map;
        return true;
    }
}

internal sealed class WriterUnionNode(ReadNode[] branches) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (depth >= AvroDecoder.MaxDepth) return r.Fail(AvroReasonCodes.TooDeep, "nesting too deep");
        return r.ReadUnionIndex(branches.Length, out var index) && branches[index].Read(ref r, depth + 1, out value);
    }
}

internal sealed class RecordNode(RecordSchema reader) : ReadNode
{
    public (int Target, ReadNode Node)[] Steps { get; set; } = [];

    public (int Position, object? Value)[] Defaults { get; set; } = [];

    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        if (depth >= AvroDecoder.MaxDepth) return r.Fail(AvroReasonCodes.TooDeep, "nesting too deep");
        var record = new AvroRecord(reader);
        foreach (var (target, node) in Steps)
        {
            if (!node.Read(ref r, depth + 1, out var v)) return false;
            if (target >= 0) record.Values[target] = v;
        }
        foreach (var (position, v) in Defaults) record.Values[position] = Copy(v);
        value = record;
        return true;
    }

    /// <summary>Defaults are shared by every decoded record, so mutable ones are copied.</summary>
    private static object? Copy(object? v) => v switch
    {
        List<object?> list => list.ConvertAll(Copy),
        Dictionary<string, object?> map => map.ToDictionary(e => e.Key, e => Copy(e.Value), StringComparer.Ordinal),
        AvroRecord rec => CopyRecord(rec),
        byte[] bytes => bytes.Clone(),
        _ => v,
    };

    private static AvroRecord CopyRecord(AvroRecord rec)
    {
        var copy = new AvroRecord(rec.Schema);
        for (var i = 0; i < rec.Values.Length; i++) copy.Values[i] = Copy(rec.Values[i]);
        return copy;
    }
}

/// <summary>Reads past a writer value the reader has no field for, without materialising it.</summary>
internal sealed class SkipNode(AvroSchema writer) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        return Skip(writer, ref r, depth);
    }

    private static bool Skip(AvroSchema s, ref AvroReader r, int depth)
    {
        if (depth >= AvroDecoder.MaxDepth) return r.Fail(AvroReasonCodes.TooDeep, "nesting too deep");
        switch (s.Type)
        {
            case AvroType.Null: return true;
            case AvroType.Boolean: return r.ReadBoolean(out _);
            case AvroType.Int: return r.ReadInt(out _);
            case AvroType.Long: return r.ReadLong(out _);
            case AvroType.Float: return r.ReadFloat(out _);
            case AvroType.Double: return r.ReadDouble(out _);
            case AvroType.Bytes or AvroType.String: return r.ReadBytes(out _);
            case AvroType.Fixed: return r.ReadFixed(((FixedSchema)s).Size, out _);
            case AvroType.Enum: return r.ReadEnumIndex(((EnumSchema)s).Symbols.Count, out _);
            case AvroType.Union:
                var u = (UnionSchema)s;
                return r.ReadUnionIndex(u.Branches.Count, out var b) && Skip(u.Branches[b], ref r, depth + 1);
            case AvroType.Record:
                foreach (var f in ((RecordSchema)s).Fields)
                {
                    if (!Skip(f.Schema, ref r, depth + 1)) return false;
                }
                return true;
            case AvroType.Array:
                var items = ((ArraySchema)s).Items;
                var min = ResolverBuilder.MinSize(items, []);
                long total = 0;
                while (true)
                {
                    if (!r.ReadBlockCount(min, out var count)) return false;
                    if (count == 0) return true;
                    total += count;
                    if (min == 0 && total > AvroReader.MaxZeroWidthItems) return r.Fail(AvroReasonCodes.LengthOutOfRange, "too many zero-width items");
                    for (var i = 0; i < count; i++)
                    {
                        if (!Skip(items, ref r, depth + 1)) return false;
                    }
                }
            default:
                var values = ((MapSchema)s).Values;
                while (true)
                {
                    if (!r.ReadBlockCount(1, out var count)) return false;
                    if (count == 0) return true;
                    for (var i = 0; i < count; i++)
                    {
                        if (!r.ReadBytes(out _) || !Skip(values, ref r, depth + 1)) return false;
                    }
                }
        }
    }
}

internal sealed class ErrorNode(string problem) : ReadNode
{
    public override bool Read(ref AvroReader r, int depth, out object? value)
    {
        value = null;
        return r.Fail(AvroReasonCodes.SchemaMismatch, problem);
    }
}
