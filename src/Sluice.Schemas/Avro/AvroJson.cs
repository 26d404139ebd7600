using System.Text.Json;

namespace Sluice.Schemas.Avro;

/// <summary>Converts Avro JSON (field defaults, the spec's JSON encoding) into generic values.</summary>
/// <remarks>
/// Bytes and fixed are strings whose code points 0-255 are the bytes, as the spec's JSON encoding says.
/// float and double also accept the strings "NaN", "Infinity" and "-Infinity", which JSON cannot express.
/// With <c>unionsWrapped</c> a non-null union value is <c>{"branch name": value}</c> (the JSON encoding);
/// without, it is the value of the first branch that fits, the first branch preferred (field defaults).
/// </remarks>
public static class AvroJson
{
    /// <summary>Converts <paramref name="json"/> to a generic value of <paramref name="schema"/>.</summary>
    public static bool TryToValue(AvroSchema schema, JsonElement json, bool unionsWrapped, out object? value, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(schema);
        problem = null;
        value = null;
        try
        {
            value = Convert(schema, json, unionsWrapped, "$");
            return true;
        }
        catch (FormatException ex)
        {
            problem = ex.Message;
            return false;
        }
    }

    /// <summary>Converts JSON text; throws <see cref="AvroSchemaException"/> when it does not match.</summary>
    public static object? ToValue(AvroSchema schema, string json, bool unionsWrapped = true)
    {
        using var doc = JsonDocument.Parse(json);
        return TryToValue(schema, doc.RootElement, unionsWrapped, out var value, out var problem)
            ? value
            : throw new AvroSchemaException($"JSON does not match the schema: {problem}");
    }

    private static object? Convert(AvroSchema schema, JsonElement e, bool wrapped, string path)
    {
        switch (schema.Type)
        {
            case AvroType.Null:
                Expect(e.ValueKind == JsonValueKind.Null, path, "null");
                return null;
            case AvroType.Boolean:
                Expect(e.ValueKind is JsonValueKind.True or JsonValueKind.False, path, "a boolean");
                return e.GetBoolean();
            case AvroType.Int:
                Expect(e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i), path, "an int");
                i = e.GetInt32();
                return schema.Logical == AvroLogicalType.Date ? DateOnly.FromDayNumber(checked(EpochDay + i)) : i;
            case AvroType.Long:
                Expect(e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out _), path, "a long");
                var l = e.GetInt64();
                if (schema.Logical == AvroLogicalType.TimestampMillis)
                {
                    Expect(l is >= MinMillis and <= MaxMillis, path, "a timestamp-millis within years 1-9999");
                    return DateTimeOffset.FromUnixTimeMilliseconds(l);
                }
                return l;
            case AvroType.Float:
                return (float)Real(e, path);
            case AvroType.Double:
                return Real(e, path);
            case AvroType.Bytes:
                return Latin1(e, path);
            case AvroType.String:
                Expect(e.ValueKind == JsonValueKind.String, path, "a string");
                if (schema.Logical == AvroLogicalType.Uuid)
                {
                    Expect(Guid.TryParse(e.GetString(), out var g), path, "a uuid string");
                    return g;
                }
                return e.GetString();
            case AvroType.Fixed:
                var bytes = Latin1(e, path);
                Expect(bytes.Length == ((FixedSchema)schema).Size, path, $"{((FixedSchema)schema).Size} bytes");
                return new AvroFixed(bytes);
            case AvroType.Enum:
                var en = (EnumSchema)schema;
                Expect(e.ValueKind == JsonValueKind.String && en.IndexOf(e.GetString()!) >= 0, path, $"a symbol of {en.FullName}");
                return new AvroEnum(e.GetString()!);
            case AvroType.Array:
                Expect(e.ValueKind == JsonValueKind.Array, path, "an array");
                var list = new List<object?>();
                foreach (var item in e.EnumerateArray()) list.Add(Convert(((ArraySchema)schema).Items, item, wrapped, $"{path}[{list.Count}]"));
                return list;
            case AvroType.Map:
                Expect(e.ValueKind == JsonValueKind.Object, path, "an object");
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject()) map[p.Name] = Convert(((MapSchema)schema).Values, p.Value, wrapped, $"{path}.{p.Name}");
                return map;
            case AvroType.Record:
                Expect(e.ValueKind == JsonValueKind.Object, path, "an object");
                var rs = (RecordSchema)schema;
                var record = new AvroRecord(rs);
                foreach (var f in rs.Fields)
                {
                    if (e.TryGetProperty(f.Name, out var fv)) record.Values[f.Position] = Convert(f.Schema, fv, wrapped, $"{path}.{f.Name}");
                    else if (f.HasDefault) record.Values[f.Position] = f.DefaultValue;
                    else throw new FormatException($"{path}: field '{f.Name}' is missing and has no default");
                }
                return record;
            default:
                var union = (UnionSchema)schema;
                if (!wrapped)
                {
                    // Up to Avro 1.11 a default had to match the first branch; 1.12 (AVRO-3649) allows any,
                    // so the first is preferred and the others are tried in order.
                    FormatException? first = null;
                    foreach (var b in union.Branches)
                    {
                        try
                        {
                            return Convert(b, e, wrapped, path);
                        }
                        catch (FormatException ex)
                        {
                            first ??= ex;
                        }
                    }
                    throw first!;
                }
                if (e.ValueKind == JsonValueKind.Null)
                {
                    Expect(union.NullIndex >= 0, path, "a non-null value (the union has no null)");
                    return null;
                }
                Expect(e.ValueKind == JsonValueKind.Object, path, "{\"branch\": value}");
                foreach (var p in e.EnumerateObject())
                {
                    foreach (var b in union.Branches)
                    {
                        if (b.Name == p.Name) return Convert(b, p.Value, wrapped, $"{path}.{p.Name}");
                    }
                    throw new FormatException($"{path}: '{p.Name}' is not a branch of the union");
                }
                throw new FormatException($"{path}: empty union object");
        }
    }

    internal static readonly int EpochDay = new DateOnly(1970, 1, 1).DayNumber;
    internal const long MinMillis = -62135596800000;
    internal const long MaxMillis = 253402300799999;

    private static double Real(JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.String)
        {
            return e.GetString() switch
            {
                // The quiet NaN with the sign bit clear, as Java and JavaScript write it (.NET's double.NaN has it set).
                "NaN" => BitConverter.Int64BitsToDouble(0x7FF8000000000000),
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => throw new FormatException($"{path}: expected a number"),
            };
        }
        Expect(e.ValueKind == JsonValueKind.Number, path, "a number");
        return e.GetDouble();
    }

    private static byte[] Latin1(JsonElement e, string path)
    {
        Expect(e.ValueKind == JsonValueKind.String, path, "a string of bytes");
        var s = e.GetString()!;
        var bytes = new byte[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            Expect(s[i] <= 0xFF, path, "code points 0-255 only");
            bytes[i] = (byte)s[i];
        }
        return bytes;
    }

    private static void Expect(bool ok, string path, string what)
    {
        if (!ok) throw new FormatException($"{path}: expected {what}");
    }
}
