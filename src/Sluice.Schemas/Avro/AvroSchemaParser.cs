using System.Text.Json;

namespace Sluice.Schemas.Avro;

/// <summary>Turns schema JSON into <see cref="AvroSchema"/> objects, resolving named-type references.</summary>
internal sealed class AvroSchemaParser
{
    private readonly Dictionary<string, NamedSchema> _names = new(StringComparer.Ordinal);

    public static AvroSchema Parse(JsonElement root) => new AvroSchemaParser().ParseSchema(root, null, "$");

    private AvroSchema ParseSchema(JsonElement e, string? ns, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return ResolveName(e.GetString()!, ns, path);
            case JsonValueKind.Array:
                return ParseUnion(e, ns, path);
            case JsonValueKind.Object:
                break;
            default:
                throw Error(path, "a schema must be a type name, an object or a union array");
        }

        if (!e.TryGetProperty("type", out var typeElement)) throw Error(path, "object has no \"type\"");
        if (typeElement.ValueKind != JsonValueKind.String)
        {
            // {"type": {...}} and {"type": [...]} wrap another schema.
            return ParseSchema(typeElement, ns, path + ".type");
        }
        var type = typeElement.GetString()!;
        switch (type)
        {
            case "record" or "error": return ParseRecord(e, ns, path);
            case "enum": return ParseEnum(e, ns, path);
            case "fixed": return ParseFixed(e, ns, path);
            case "array":
                if (!e.TryGetProperty("items", out var items)) throw Error(path, "array has no \"items\"");
                return new ArraySchema(ParseSchema(items, ns, path + ".items"));
            case "map":
                if (!e.TryGetProperty("values", out var values)) throw Error(path, "map has no \"values\"");
                return new MapSchema(ParseSchema(values, ns, path + ".values"));
        }
        var primitive = PrimitiveType(type);
        if (primitive is null) return ResolveName(type, ns, path);
        var logical = AvroLogicalType.None;
        if (e.TryGetProperty("logicalType", out var lt) && lt.ValueKind == JsonValueKind.String)
        {
            // Unknown or misplaced logical types fall back to the underlying type, as the spec requires.
            logical = (lt.GetString(), primitive) switch
            {
                ("timestamp-millis", AvroType.Long) => AvroLogicalType.TimestampMillis,
                ("uuid", AvroType.String) => AvroLogicalType.Uuid,
                ("date", AvroType.Int) => AvroLogicalType.Date,
                _ => AvroLogicalType.None,
            };
        }
        return logical == AvroLogicalType.None ? Primitive(primitive.Value) : new PrimitiveSchema(primitive.Value, logical);
    }

    private static readonly PrimitiveSchema[] Primitives =
    [
        PrimitiveSchema.Null, new(AvroType.Boolean), new(AvroType.Int), new(AvroType.Long),
        new(AvroType.Float), new(AvroType.Double), new(AvroType.Bytes), new(AvroType.String),
    ];

    private static PrimitiveSchema Primitive(AvroType t) => Primitives[(int)t];

    private static AvroType? PrimitiveType(string name) => name switch
    {
        "null" => AvroType.Null,
        "boolean" => AvroType.Boolean,
        "int" => AvroType.Int,
        "long" => AvroType.Long,
        "float" => AvroType.Float,
        "double" => AvroType.Double,
        "bytes" => AvroType.Bytes,
        "string" => AvroType.String,
        _ => null,
    };

    private AvroSchema ResolveName(string name, string? ns, string path)
    {
        if (PrimitiveType(name) is { } p) return Primitive(p);
        // An unqualified name means the enclosing namespace first, as the spec says; then the null namespace.
        if (!name.Contains('.', StringComparison.Ordinal) && ns is not null && _names.TryGetValue(ns + "." + name, out var named)) return named;
        if (_names.TryGetValue(name, out named)) return named;
        throw Error(path, $"unknown type '{name}'");
    }

    private UnionSchema ParseUnion(JsonElement e, string? ns, string path)
    {
        var branches = new List<AvroSchema>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        foreach (var b in e.EnumerateArray())
        {
            var schema = ParseSchema(b, ns, $"{path}[{i}]");
            if (schema.Type == AvroType.Union) throw Error(path, "a union may not directly contain a union");
            if (!seen.Add(schema.Name)) throw Error(path, $"union has two branches of type '{schema.Name}'");
            branches.Add(schema);
            i++;
        }
        if (branches.Count == 0) throw Error(path, "a union needs at least one branch");
        return new UnionSchema(branches);
    }

    private (string FullName, string? Namespace) ParseName(JsonElement e, string? ns, string path)
    {
        if (!e.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String) throw Error(path, "named type has no \"name\"");
        var name = n.GetString()!;
        if (e.TryGetProperty("namespace", out var nsElement) && nsElement.ValueKind == JsonValueKind.String)
        {
            ns = nsElement.GetString();
            if (ns?.Length == 0) ns = null;
        }
        var full = name.Contains('.', StringComparison.Ordinal) || ns is null ? name : ns + "." + name;
        foreach (var part in full.Split('.'))
        {
            if (!IsValidName(part)) throw Error(path, $"'{full}' is not a valid Avro name");
        }
        if (PrimitiveType(full) is not null) throw Error(path, $"'{full}' is a primitive type name");
        if (_names.ContainsKey(full)) throw Error(path, $"type '{full}' is defined twice");
        var dot = full.LastIndexOf('.');
        return (full, dot < 0 ? null : full[..dot]);
    }

    private static List<string> ParseAliases(JsonElement e, string? ns)
    {
        var list = new List<string>();
        if (e.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array)
        {
            foreach (var alias in a.EnumerateArray())
            {
                if (alias.ValueKind != JsonValueKind.String) continue;
                var s = alias.GetString()!;
                list.Add(s.Contains('.', StringComparison.Ordinal) || ns is null ? s : ns + "." + s);
            }
        }
        return list;
    }

    private static string? Doc(JsonElement e) =>
        e.TryGetProperty("doc", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;

    private RecordSchema ParseRecord(JsonElement e, string? ns, string path)
    {
        var (full, recordNs) = ParseName(e, ns, path);
        var record = new RecordSchema(full, ParseAliases(e, recordNs), Doc(e));
        _names[full] = record;
        if (!e.TryGetProperty("fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Array)
        {
            throw Error(path, $"record '{full}' has no \"fields\" array");
        }
        var fields = new List<AvroField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fieldsElement.EnumerateArray())
        {
            var fieldPath = $"{path}.fields[{fields.Count}]";
            if (f.ValueKind != JsonValueKind.Object) throw Error(fieldPath, "a field must be an object");
            if (!f.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String) throw Error(fieldPath, "field has no \"name\"");
            var name = nameElement.GetString()!;
            if (!IsValidName(name)) throw Error(fieldPath, $"'{name}' is not a valid field name");
            if (!names.Add(name)) throw Error(fieldPath, $"record '{full}' has two fields named '{name}'");
            if (!f.TryGetProperty("type", out var typeElement)) throw Error(fieldPath, $"field '{name}' has no \"type\"");
            var schema = ParseSchema(typeElement, recordNs, fieldPath + ".type");
            var hasDefault = f.TryGetProperty("default", out var def);
            var aliases = new List<string>();
            if (f.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array)
            {
                foreach (var alias in a.EnumerateArray())
                {
                    if (alias.ValueKind == JsonValueKind.String) aliases.Add(alias.GetString()!);
                }
            }
            var field = new AvroField(name, fields.Count, schema, hasDefault, hasDefault ? def.GetRawText() : null, aliases, Doc(f));
            if (hasDefault)
            {
                if (!AvroJson.TryToValue(schema, def, unionsWrapped: false, out var value, out var problem))
                {
                    throw Error(fieldPath, $"default of field '{name}' does not match its type: {problem}");
                }
                field.DefaultValue = value;
            }
            fields.Add(field);
        }
        record.SetFields([.. fields]);
        return record;
    }

    private EnumSchema ParseEnum(JsonElement e, string? ns, string path)
    {
        var (full, enumNs) = ParseName(e, ns, path);
        if (!e.TryGetProperty("symbols", out var s) || s.ValueKind != JsonValueKind.Array) throw Error(path, $"enum '{full}' has no \"symbols\" array");
        var symbols = new List<string>();
        foreach (var symbol in s.EnumerateArray())
        {
            var text = symbol.ValueKind == JsonValueKind.String ? symbol.GetString()! : "";
            if (!IsValidName(text)) throw Error(path, $"enum '{full}' has an invalid symbol {symbol.GetRawText()}");
            if (symbols.Contains(text)) throw Error(path, $"enum '{full}' has the symbol '{text}' twice");
            symbols.Add(text);
        }
        string? defaultSymbol = null;
        if (e.TryGetProperty("default", out var d))
        {
            defaultSymbol = d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            if (defaultSymbol is null || !symbols.Contains(defaultSymbol)) throw Error(path, $"enum '{full}' default {d.GetRawText()} is not one of its symbols");
        }
        var schema = new EnumSchema(full, ParseAliases(e, enumNs), Doc(e), symbols, defaultSymbol);
        _names[full] = schema;
        return schema;
    }

    private FixedSchema ParseFixed(JsonElement e, string? ns, string path)
    {
        var (full, fixedNs) = ParseName(e, ns, path);
        if (!e.TryGetProperty("size", out var s) || !s.TryGetInt32(out var size) || size < 0) throw Error(path, $"fixed '{full}' needs a non-negative integer \"size\"");
        var schema = new FixedSchema(full, ParseAliases(e, fixedNs), Doc(e), size);
        _names[full] = schema;
        return schema;
    }

    private static bool IsValidName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_')) return false;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_')) return false;
        }
        return true;
    }

    private static AvroSchemaException Error(string path, string problem) => new($"invalid Avro schema at {path}: {problem}");
}
