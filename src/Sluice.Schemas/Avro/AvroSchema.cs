using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Schemas.Avro;

/// <summary>The Avro type kinds of the specification.</summary>
public enum AvroType
{
    Null, Boolean, Int, Long, Float, Double, Bytes, String, Record, Enum, Array, Map, Union, Fixed,
}

/// <summary>The logical types Sluice understands; any other logicalType attribute is ignored, as the spec says.</summary>
public enum AvroLogicalType
{
    None, TimestampMillis, Uuid, Date,
}

/// <summary>An invalid Avro schema: the message names the JSON path and what is wrong.</summary>
public sealed class AvroSchemaException : SluiceException
{
    public AvroSchemaException(string message) : base(message) { }
    public AvroSchemaException() { }
    public AvroSchemaException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>A parsed Avro schema. Immutable; parse once and share.</summary>
public abstract class AvroSchema
{
    private protected AvroSchema(AvroType type, AvroLogicalType logical)
    {
        Type = type;
        Logical = logical;
    }

    /// <summary>The type kind.</summary>
    public AvroType Type { get; }

    /// <summary>The logical type annotation, if Sluice knows it.</summary>
    public AvroLogicalType Logical { get; }

    /// <summary>The name used in union branch JSON and error messages: the full name or the primitive name.</summary>
    public abstract string Name { get; }

    /// <summary>Parses a schema from its JSON text.</summary>
    /// <exception cref="AvroSchemaException">The text is not JSON or not a valid Avro schema.</exception>
    public static AvroSchema Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new AvroSchemaException($"schema is not valid JSON: {ex.Message}");
        }
        using (doc)
        {
            return AvroSchemaParser.Parse(doc.RootElement);
        }
    }

    /// <summary>A deterministic, complete JSON form (names fully qualified, attributes in a fixed order).</summary>
    /// <remarks>Two schemas with the same normalized JSON read and write the same bytes and resolve the same way.</remarks>
    public string ToNormalizedJson() => Write(canonical: false);

    /// <summary>The spec's Parsing Canonical Form: only what decides the bytes on the wire (no docs, aliases, defaults or logical types).</summary>
    /// <remarks>Two schemas with the same canonical form write identical bytes for the same data.</remarks>
    public string ToCanonicalJson() => Write(canonical: true);

    private string Write(bool canonical)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(w, new HashSet<string>(StringComparer.Ordinal), canonical);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <inheritdoc />
    public override string ToString() => ToNormalizedJson();

    internal abstract void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical);

    private protected void WriteLogical(Utf8JsonWriter w)
    {
        var name = Logical switch
        {
            AvroLogicalType.TimestampMillis => "timestamp-millis",
            AvroLogicalType.Uuid => "uuid",
            AvroLogicalType.Date => "date",
            _ => null,
        };
        if (name is not null) w.WriteString("logicalType", name);
    }
}

/// <summary>null, boolean, int, long, float, double, bytes or string, possibly with a logical type.</summary>
public sealed class PrimitiveSchema : AvroSchema
{
    internal PrimitiveSchema(AvroType type, AvroLogicalType logical = AvroLogicalType.None) : base(type, logical) { }

    /// <summary>The Avro null type.</summary>
    public static readonly PrimitiveSchema Null = new(AvroType.Null);

    /// <inheritdoc />
    public override string Name => Type switch
    {
        AvroType.Null => "null",
        AvroType.Boolean => "boolean",
        AvroType.Int => "int",
        AvroType.Long => "long",
        AvroType.Float => "float",
        AvroType.Double => "double",
        AvroType.Bytes => "bytes",
        _ => "string",
    };

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        if (Logical == AvroLogicalType.None || canonical)
        {
            w.WriteStringValue(Name);
            return;
        }
        w.WriteStartObject();
        w.WriteString("type", Name);
        WriteLogical(w);
        w.WriteEndObject();
    }
}

/// <summary>A record, enum or fixed: a type with a full name and aliases.</summary>
public abstract class NamedSchema : AvroSchema
{
    private protected NamedSchema(AvroType type, string fullName, IReadOnlyList<string> aliases, string? doc)
        : base(type, AvroLogicalType.None)
    {
        FullName = fullName;
        Aliases = aliases;
        Doc = doc;
        var dot = fullName.LastIndexOf('.');
        ShortName = dot < 0 ? fullName : fullName[(dot + 1)..];
        Namespace = dot < 0 ? null : fullName[..dot];
    }

    /// <summary>Namespace-qualified name.</summary>
    public string FullName { get; }

    /// <summary>The unqualified name.</summary>
    public string ShortName { get; }

    /// <summary>The namespace, or null.</summary>
    public string? Namespace { get; }

    /// <summary>Full names this type was known by before (used when this schema is the reader).</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>Documentation.</summary>
    public string? Doc { get; }

    /// <inheritdoc />
    public override string Name => FullName;

    /// <summary>True when <paramref name="writerName"/> is this type's name or one of its aliases (unqualified comparison).</summary>
    public bool Accepts(NamedSchema writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (writer.ShortName == ShortName) return true;
        foreach (var alias in Aliases)
        {
            var dot = alias.LastIndexOf('.');
            if ((dot < 0 ? alias : alias[(dot + 1)..]) == writer.ShortName) return true;
        }
        return false;
    }

    private protected bool WriteReferenceOrStart(Utf8JsonWriter w, HashSet<string> written, string typeName, bool canonical)
    {
        if (!written.Add(FullName))
        {
            w.WriteStringValue(FullName);
            return false;
        }
        w.WriteStartObject();
        if (canonical)
        {
            // Parsing Canonical Form orders name before type and keeps nothing else here.
            w.WriteString("name", FullName);
            w.WriteString("type", typeName);
            return true;
        }
        w.WriteString("type", typeName);
        w.WriteString("name", FullName);
        if (Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var a in Aliases) w.WriteStringValue(a);
            w.WriteEndArray();
        }
        if (Doc is not null) w.WriteString("doc", Doc);
        return true;
    }
}

/// <summary>One field of a record.</summary>
public sealed class AvroField
{
    internal AvroField(string name, int position, AvroSchema schema, bool hasDefault, string? defaultJson, IReadOnlyList<string> aliases, string? doc)
    {
        Name = name;
        Position = position;
        Schema = schema;
        HasDefault = hasDefault;
        DefaultJson = defaultJson;
        Aliases = aliases;
        Doc = doc;
    }

    /// <summary>Field name.</summary>
    public string Name { get; }

    /// <summary>Zero-based position in the record.</summary>
    public int Position { get; }

    /// <summary>Field type.</summary>
    public AvroSchema Schema { get; }

    /// <summary>True when the field declares a default (which may be JSON null).</summary>
    public bool HasDefault { get; }

    /// <summary>The default as raw JSON, when <see cref="HasDefault"/>.</summary>
    public string? DefaultJson { get; }

    /// <summary>The default as a generic value (see <see cref="AvroJson"/>); null when there is none or it is null.</summary>
    public object? DefaultValue { get; internal set; }

    /// <summary>Former names of this field, matched when this schema is the reader.</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>Documentation.</summary>
    public string? Doc { get; }
}

/// <summary>An Avro record.</summary>
public sealed class RecordSchema : NamedSchema
{
    private readonly Dictionary<string, AvroField> _byName = new(StringComparer.Ordinal);
    private AvroField[] _fields = [];

    internal RecordSchema(string fullName, IReadOnlyList<string> aliases, string? doc) : base(AvroType.Record, fullName, aliases, doc) { }

    /// <summary>Fields in declaration (and wire) order.</summary>
    public IReadOnlyList<AvroField> Fields => _fields;

    internal void SetFields(AvroField[] fields)
    {
        _fields = fields;
        foreach (var f in fields) _byName[f.Name] = f;
    }

    /// <summary>The field called <paramref name="name"/>, or null.</summary>
    public AvroField? GetField(string name) => _byName.GetValueOrDefault(name);

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        if (!WriteReferenceOrStart(w, written, "record", canonical)) return;
        w.WriteStartArray("fields");
        foreach (var f in _fields)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WritePropertyName("type");
            f.Schema.WriteJson(w, written, canonical);
            if (canonical)
            {
                w.WriteEndObject();
                continue;
            }
            if (f.HasDefault)
            {
                w.WritePropertyName("default");
                w.WriteRawValue(f.DefaultJson!, skipInputValidation: true);
            }
            if (f.Aliases.Count > 0)
            {
                w.WriteStartArray("aliases");
                foreach (var a in f.Aliases) w.WriteStringValue(a);
                w.WriteEndArray();
            }
            if (f.Doc is not null) w.WriteString("doc", f.Doc);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary>An Avro enum.</summary>
public sealed class EnumSchema : NamedSchema
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    internal EnumSchema(string fullName, IReadOnlyList<string> aliases, string? doc, IReadOnlyList<string> symbols, string? defaultSymbol)
        : base(AvroType.Enum, fullName, aliases, doc)
    {
        Symbols = symbols;
        Default = defaultSymbol;
        for (var i = 0; i < symbols.Count; i++) _index[symbols[i]] = i;
    }

    /// <summary>Symbols in index order.</summary>
    public IReadOnlyList<string> Symbols { get; }

    /// <summary>The symbol a reader uses for a writer symbol it does not know, or null.</summary>
    public string? Default { get; }

    /// <summary>The index of <paramref name="symbol"/>, or -1.</summary>
    public int IndexOf(string symbol) => _index.GetValueOrDefault(symbol, -1);

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        if (!WriteReferenceOrStart(w, written, "enum", canonical)) return;
        w.WriteStartArray("symbols");
        foreach (var s in Symbols) w.WriteStringValue(s);
        w.WriteEndArray();
        if (Default is not null && !canonical) w.WriteString("default", Default);
        w.WriteEndObject();
    }
}

/// <summary>An Avro fixed-size byte sequence.</summary>
public sealed class FixedSchema : NamedSchema
{
    internal FixedSchema(string fullName, IReadOnlyList<string> aliases, string? doc, int size)
        : base(AvroType.Fixed, fullName, aliases, doc) => Size = size;

    /// <summary>Number of bytes.</summary>
    public int Size { get; }

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        if (!WriteReferenceOrStart(w, written, "fixed", canonical)) return;
        w.WriteNumber("size", Size);
        w.WriteEndObject();
    }
}

/// <summary>An Avro array.</summary>
public sealed class ArraySchema : AvroSchema
{
    internal ArraySchema(AvroSchema items) : base(AvroType.Array, AvroLogicalType.None) => Items = items;

    /// <summary>Item type.</summary>
    public AvroSchema Items { get; }

    /// <inheritdoc />
    public override string Name => "array";

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        w.WriteStartObject();
        w.WriteString("type", "array");
        w.WritePropertyName("items");
        Items.WriteJson(w, written, canonical);
        w.WriteEndObject();
    }
}

/// <summary>An Avro map (string keys).</summary>
public sealed class MapSchema : AvroSchema
{
    internal MapSchema(AvroSchema values) : base(AvroType.Map, AvroLogicalType.None) => Values = values;

    /// <summary>Value type.</summary>
    public AvroSchema Values { get; }

    /// <inheritdoc />
    public override string Name => "map";

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        w.WriteStartObject();
        w.WriteString("type", "map");
        w.WritePropertyName("values");
        Values.WriteJson(w, written, canonical);
        w.WriteEndObject();
    }
}

/// <summary>An Avro union.</summary>
public sealed class UnionSchema : AvroSchema
{
    internal UnionSchema(IReadOnlyList<AvroSchema> branches) : base(AvroType.Union, AvroLogicalType.None)
    {
        Branches = branches;
        NullIndex = -1;
        for (var i = 0; i < branches.Count; i++)
        {
            if (branches[i].Type == AvroType.Null) NullIndex = i;
        }
    }

    /// <summary>Branches in index order.</summary>
    public IReadOnlyList<AvroSchema> Branches { get; }

    /// <summary>Index of the null branch, or -1.</summary>
    public int NullIndex { get; }

    /// <inheritdoc />
    public override string Name => "union";

    internal override void WriteJson(Utf8JsonWriter w, HashSet<string> written, bool canonical)
    {
        w.WriteStartArray();
        foreach (var b in Branches) b.WriteJson(w, written, canonical);
        w.WriteEndArray();
    }
}
