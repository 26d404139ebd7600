using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Registry;

namespace Sluice.Pipelines.Domains;

/// <summary>The Avro schema of a domain's event, generated from the file's <c>schema</c> and <c>fields</c> sections.</summary>
/// <remarks>
/// <para>One record field per domain field, in file order. The types: string → <c>string</c>, long → <c>long</c>,
/// int → <c>int</c>, double → <c>double</c>, timestamp → <c>long</c> with the <c>timestamp-millis</c> logical type,
/// enum → an Avro enum named after the field in PascalCase (<c>event_type</c> → <c>EventType</c>) with the file's
/// values as symbols. A field that is not required and has no <c>default</c> is the union <c>["null", type]</c>
/// defaulting to null; a field with a <c>default</c> is the plain type with that default (readers of data written
/// without the field read the default); a required field without one has no default. The file's <c>aliases</c> and
/// <c>doc</c> are the field's.</para>
/// <para>The registry subject is the input topic's value subject (<c>TOPIC-value</c>, Confluent's TopicNameStrategy),
/// and evolution between two versions of a file is checked with the registry's own rules
/// (<see cref="SchemaCompatibility"/>): adding an optional field or one with a default is BACKWARD compatible,
/// adding a required field without a default is not, a renamed field needs the old name among its aliases.</para>
/// </remarks>
public static class DomainAvroSchema
{
    /// <summary>The generated schema, parsed (which checks it is valid Avro).</summary>
    public static AvroSchema Generate(DomainDefinition domain) => AvroSchema.Parse(Json(domain));

    /// <summary>The registry subject of events on <paramref name="topic"/>.</summary>
    public static string SubjectFor(string topic) => topic + "-value";

    /// <summary>Why <paramref name="candidate"/>'s schema may not follow <paramref name="previous"/>'s under <paramref name="level"/>; empty when it may.</summary>
    public static IReadOnlyList<string> Evolution(DomainDefinition candidate, DomainDefinition previous, CompatibilityLevel level) =>
        SchemaCompatibility.Check(level, Generate(candidate), [(1, Generate(previous))], _ => $"data written with {previous.Source}");

    /// <summary>The generated schema's JSON, indented.</summary>
    public static string Json(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("type", "record");
            w.WriteString("name", domain.Schema.Name);
            if (domain.Schema.Namespace.Length > 0) w.WriteString("namespace", domain.Schema.Namespace);
            if (domain.Schema.Doc is { } doc) w.WriteString("doc", doc);
            w.WriteStartArray("fields");
            foreach (var field in domain.Fields) WriteField(w, field);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteField(Utf8JsonWriter w, FieldSpec field)
    {
        w.WriteStartObject();
        w.WriteString("name", field.Name);
        w.WritePropertyName("type");
        var nullable = !field.Required && field.Default is null;
        if (nullable)
        {
            w.WriteStartArray();
            w.WriteStringValue("null");
            WriteType(w, field);
            w.WriteEndArray();
            w.WriteNull("default");
        }
        else
        {
            WriteType(w, field);
            if (field.Default is { } value)
            {
                w.WritePropertyName("default");
                WriteDefault(w, field, value);
            }
        }
        if (field.Aliases.Count > 0)
        {
            w.WriteStartArray("aliases");
            foreach (var alias in field.Aliases) w.WriteStringValue(alias);
            w.WriteEndArray();
        }
        if (field.Doc is { } doc) w.WriteString("doc", doc);
        w.WriteEndObject();
    }

    private static void WriteType(Utf8JsonWriter w, FieldSpec field)
    {
        switch (field.Type)
        {
            case FieldType.Timestamp:
                w.WriteStartObject();
                w.WriteString("type", "long");
                w.WriteString("logicalType", "timestamp-millis");
                w.WriteEndObject();
                break;
            case FieldType.Enum:
                w.WriteStartObject();
                w.WriteString("type", "enum");
                w.WriteString("name", Pascal(field.Name));
                w.WriteStartArray("symbols");
                foreach (var symbol in field.Values) w.WriteStringValue(symbol);
                w.WriteEndArray();
                w.WriteEndObject();
                break;
            default:
                w.WriteStringValue(field.Type switch
                {
                    FieldType.Long => "long",
                    FieldType.Int => "int",
                    FieldType.Double => "double",
                    _ => "string",
                });
                break;
        }
    }

    private static void WriteDefault(Utf8JsonWriter w, FieldSpec field, string value)
    {
        switch (field.Type)
        {
            case FieldType.Int or FieldType.Long or FieldType.Timestamp:
                w.WriteNumberValue(long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
                break;
            case FieldType.Double:
                w.WriteNumberValue(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));
                break;
            default:
                w.WriteStringValue(value);
                break;
        }
    }

    /// <summary><c>event_type</c> → <c>EventType</c>; names that are not snake_case keep their letters and lose the rest.</summary>
    internal static string Pascal(string name)
    {
        var sb = new StringBuilder(name.Length);
        var upper = true;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, 'D');
        return sb.ToString();
    }
}
