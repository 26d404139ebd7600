using System.Buffers.Text;
using System.Collections;

namespace Sluice.Schemas.Avro;

/// <summary>Writes generic values (see <see cref="AvroRecord"/>) as Avro binary.</summary>
public static class AvroEncoder
{
    /// <summary>Appends the encoding of <paramref name="value"/> to <paramref name="output"/>.</summary>
    /// <exception cref="AvroSchemaException">The value does not match the schema; the message gives the path.</exception>
    public static void Encode(AvroSchema schema, object? value, AvroBuffer output)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(output);
        Write(schema, value, output, "$");
    }

    /// <summary>The encoding of <paramref name="value"/> as a new array.</summary>
    public static byte[] Encode(AvroSchema schema, object? value)
    {
        var buffer = new AvroBuffer();
        Encode(schema, value, buffer);
        return buffer.ToArray();
    }

    private static void Write(AvroSchema schema, object? value, AvroBuffer o, string path)
    {
        switch (schema.Type)
        {
            case AvroType.Null:
                if (value is not null) throw Mismatch(schema, value, path);
                return;
            case AvroType.Boolean:
                o.WriteBoolean(value as bool? ?? throw Mismatch(schema, value, path));
                return;
            case AvroType.Int:
                o.WriteInt(value switch
                {
                    int i => i,
                    DateOnly d when schema.Logical == AvroLogicalType.Date => d.DayNumber - AvroJson.EpochDay,
                    _ => throw Mismatch(schema, value, path),
                });
                return;
            case AvroType.Long:
                o.WriteLong(value switch
                {
                    long l => l,
                    int i => i,
                    DateTimeOffset t when schema.Logical == AvroLogicalType.TimestampMillis => t.ToUnixTimeMilliseconds(),
                    _ => throw Mismatch(schema, value, path),
                });
                return;
            case AvroType.Float:
                o.WriteFloat(value switch
                {
                    float f => f,
                    int i => i,
                    long l => l,
                    _ => throw Mismatch(schema, value, path),
                });
                return;
            case AvroType.Double:
                o.WriteDouble(value switch
                {
                    double d => d,
                    float f => f,
                    int i => i,
                    long l => l,
                    _ => throw Mismatch(schema, value, path),
                });
                return;
            case AvroType.Bytes:
                o.WriteBytes(value as byte[] ?? throw Mismatch(schema, value, path));
                return;
            case AvroType.String:
                switch (value)
                {
                    case string s: o.WriteString(s); return;
                    case Guid g:
                        Span<byte> text = stackalloc byte[36];
                        Utf8Formatter.TryFormat(g, text, out _);
                        o.WriteBytes(text);
                        return;
                    default: throw Mismatch(schema, value, path);
                }
            case AvroType.Fixed:
                var fixedBytes = (value as AvroFixed)?.Bytes ?? value as byte[] ?? throw Mismatch(schema, value, path);
                if (fixedBytes.Length != ((FixedSchema)schema).Size) throw new AvroSchemaException($"{path}: fixed {schema.Name} needs {((FixedSchema)schema).Size} bytes, got {fixedBytes.Length}");
                o.WriteRaw(fixedBytes);
                return;
            case AvroType.Enum:
                var symbol = (value as AvroEnum)?.Symbol ?? value as string ?? throw Mismatch(schema, value, path);
                var index = ((EnumSchema)schema).IndexOf(symbol);
                if (index < 0) throw new AvroSchemaException($"{path}: '{symbol}' is not a symbol of {schema.Name}");
                o.WriteInt(index);
                return;
            case AvroType.Array:
                if (value is not IList list) throw Mismatch(schema, value, path);
                if (list.Count > 0)
                {
                    o.WriteLong(list.Count);
                    for (var i = 0; i < list.Count; i++) Write(((ArraySchema)schema).Items, list[i], o, $"{path}[{i}]");
                }
                o.WriteByte(0);
                return;
            case AvroType.Map:
                if (value is not IDictionary map) throw Mismatch(schema, value, path);
                if (map.Count > 0)
                {
                    o.WriteLong(map.Count);
                    foreach (DictionaryEntry entry in map)
                    {
                        var key = entry.Key as string ?? throw new AvroSchemaException($"{path}: map keys must be strings");
                        o.WriteString(key);
                        Write(((MapSchema)schema).Values, entry.Value, o, $"{path}.{key}");
                    }
                }
                o.WriteByte(0);
                return;
            case AvroType.Record:
                if (value is not AvroRecord record || !((RecordSchema)schema).Accepts(record.Schema)) throw Mismatch(schema, value, path);
                foreach (var f in ((RecordSchema)schema).Fields)
                {
                    var slot = record.Schema.GetField(f.Name) ?? throw new AvroSchemaException($"{path}: record has no field '{f.Name}'");
                    Write(f.Schema, record.Values[slot.Position], o, $"{path}.{f.Name}");
                }
                return;
            default:
                var union = (UnionSchema)schema;
                var branch = SelectBranch(union, value);
                if (branch < 0) throw Mismatch(schema, value, path);
                o.WriteInt(branch);
                Write(union.Branches[branch], value, o, path);
                return;
        }
    }

    /// <summary>The union branch a generic value belongs to: an exact type match first, then a widening one.</summary>
    internal static int SelectBranch(UnionSchema union, object? value)
    {
        if (value is null) return union.NullIndex;
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < union.Branches.Count; i++)
            {
                if (Matches(union.Branches[i], value, exact: pass == 0)) return i;
            }
        }
        return -1;
    }

    private static bool Matches(AvroSchema s, object value, bool exact) => (s.Type, value) switch
    {
        (AvroType.Boolean, bool) => true,
        (AvroType.Int, int) => true,
        (AvroType.Int, DateOnly) => s.Logical == AvroLogicalType.Date,
        (AvroType.Long, long) => true,
        (AvroType.Long, DateTimeOffset) => s.Logical == AvroLogicalType.TimestampMillis,
        (AvroType.Float, float) => true,
        (AvroType.Double, double) => true,
        (AvroType.Bytes, byte[]) => true,
        (AvroType.String, string) => true,
        (AvroType.String, Guid) => s.Logical == AvroLogicalType.Uuid || !exact,
        (AvroType.Fixed, AvroFixed f) => f.Bytes.Length == ((FixedSchema)s).Size,
        (AvroType.Enum, AvroEnum e) => ((EnumSchema)s).IndexOf(e.Symbol) >= 0,
        (AvroType.Array, IList) => true,
        (AvroType.Map, IDictionary) => true,
        (AvroType.Record, AvroRecord r) => r.Schema.FullName == ((RecordSchema)s).FullName,
        (AvroType.Long, int) => !exact,
        (AvroType.Float, int or long) => !exact,
        (AvroType.Double, int or long or float) => !exact,
        _ => false,
    };

    private static AvroSchemaException Mismatch(AvroSchema schema, object? value, string path) =>
        new($"{path}: a {value?.GetType().Name ?? "null"} value does not fit Avro type {schema.Name}");
}
