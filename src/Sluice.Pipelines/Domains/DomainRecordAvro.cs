using System.Collections.Concurrent;
using System.Buffers.Binary;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Registry;

namespace Sluice.Pipelines.Domains;

/// <summary>A domain's records in Avro, in the Confluent wire format, with the schema generated from its file (<see cref="DomainAvroSchema"/>).</summary>
/// <remarks>
/// <para>Writing follows the generated schema field by field. Reading resolves each frame's writer schema, found by its
/// id in the registry, against the generated schema as the reader, as the Avro specification says: a field the writer
/// did not have takes its default, a field the reader does not have is skipped, a renamed field is found by its alias.
/// So records written with an earlier version of the file are read by the current one, within the compatibility the
/// registry enforced when that version was registered. One resolution per schema id, made when the id is first seen.</para>
/// <para>Reason codes: the Avro ones (<see cref="AvroReasonCodes"/>; an id the registry does not know is
/// <c>avro_unknown_schema</c>, asked again after 5 s), <c>missing_required_fields</c> for a required field a writer left
/// null, and <c>field_too_long</c> as in JSON.</para>
/// </remarks>
public sealed class DomainRecordAvro
{
    private readonly DomainSchema _schema;
    private readonly ISchemaSource? _schemas;
    private readonly AvroSchema _reader;
    private readonly ConcurrentDictionary<int, Plan> _plans = new();

    /// <summary>A codec for <paramref name="schema"/>'s records; reading needs <paramref name="schemas"/> (the registry client).</summary>
    public DomainRecordAvro(DomainSchema schema, ISchemaSource? schemas = null)
    {
        _schema = schema ?? throw new ArgumentNullException(nameof(schema));
        _schemas = schemas;
        _reader = DomainAvroSchema.Generate(schema.Domain);
    }

    /// <summary>The generated schema: what is registered and what frames are read into.</summary>
    public AvroSchema Schema => _reader;

    /// <summary>One frame: the header with <paramref name="schemaId"/> (the generated schema's id), then the record.</summary>
    public byte[] Write(DomainRecord record, int schemaId)
    {
        ArgumentNullException.ThrowIfNull(record);
        var output = new AvroBuffer(128);
        ConfluentWireFormat.WriteHeader(output, schemaId);
        var fields = _schema.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var slot = _schema.SlotOf(i);
            var nullable = !field.Required && field.Default is null;
            object? value = field.Type switch
            {
                FieldType.String or FieldType.Enum => record.Text(slot),
                FieldType.Double => record.Real(slot),
                _ => record.Whole(slot),
            };
            if (nullable)
            {
                output.WriteLong(value is null ? 0 : 1);
                if (value is null) continue;
            }
            else if (value is null)
            {
                // A field with a default that the record lacks is written as the default, as a reader would have filled it.
                value = DefaultOf(field);
            }
            switch (field.Type)
            {
                case FieldType.String: output.WriteString((string)value!); break;
                case FieldType.Enum: output.WriteInt(IndexOf(field, (string)value!)); break;
                case FieldType.Double: output.WriteDouble((double)value!); break;
                case FieldType.Int: output.WriteInt(checked((int)(long)value!)); break;
                default: output.WriteLong((long)value!); break;
            }
        }
        return output.ToArray();
    }

    /// <summary>Reads one frame into a record of this domain; on failure <paramref name="error"/> carries the reason code and a detail.</summary>
    public bool TryRead(ReadOnlySpan<byte> frame, out DomainRecord? record, out DecodeError error)
    {
        record = null;
        if (!ConfluentWireFormat.TryReadHeader(frame, out var id, out var body, out error)) return false;
        var plan = PlanFor(id);
        if (plan.Decoder is null)
        {
            error = new DecodeError(AvroReasonCodes.UnknownSchema, $"schema id {id} is not in the registry");
            return false;
        }
        if (!plan.Decoder.TryDecode(body, out var value, out error)) return false;
        var values = ((AvroRecord)value!).Values;
        var r = new DomainRecord(_schema);
        var fields = _schema.Fields;
        List<string>? missing = null;
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var slot = _schema.SlotOf(i);
            switch (values[i])
            {
                case null:
                    if (field.Required) (missing ??= []).Add(field.Name);
                    break;
                case string text when field.Type == FieldType.String:
                    if (text.Length > ClickEventJson.MaxStringLength)
                    {
                        error = new DecodeError(ReasonCodes.FieldTooLong, $"{field.Name} is longer than {ClickEventJson.MaxStringLength} characters");
                        return false;
                    }
                    r.SetText(slot, text);
                    break;
                case AvroEnum symbol:
                    // The file's own string, as the JSON decoder stores it.
                    r.SetText(slot, field.Values[IndexOf(field, symbol.Symbol)]);
                    break;
                case DateTimeOffset time: r.SetWhole(slot, time.ToUnixTimeMilliseconds()); break;
                case double real: r.SetReal(slot, real); break;
                case long whole: r.SetWhole(slot, whole); break;
                case int small: r.SetWhole(slot, small); break;
                default:
                    error = new DecodeError(ReasonCodes.InvalidFieldType, $"{field.Name} holds a {values[i]!.GetType().Name}, not a {FieldSpec.NameOf(field.Type)}");
                    return false;
            }
        }
        if (missing is not null)
        {
            error = new DecodeError(ReasonCodes.MissingRequiredFields, string.Join(",", missing.Order(StringComparer.Ordinal)));
            return false;
        }
        record = _schema.Complete(r);
        error = default;
        return true;
    }

    /// <summary>The schema id a frame names; 0 when it is not a frame.</summary>
    public static int SchemaIdOf(ReadOnlySpan<byte> frame) =>
        frame.Length >= ConfluentWireFormat.HeaderLength && frame[0] == ConfluentWireFormat.MagicByte ? BinaryPrimitives.ReadInt32BigEndian(frame[1..]) : 0;

    private Plan PlanFor(int id)
    {
        if (_plans.TryGetValue(id, out var plan) && (plan.Decoder is not null || Environment.TickCount64 < plan.RetryAt)) return plan;
        var writer = _schemas?.GetSchema(id);
        plan = writer is null
            ? new Plan(null, Environment.TickCount64 + 5_000)
            : new Plan(AvroDecoder.Create(writer, _reader), 0);
        _plans[id] = plan;
        return plan;
    }

    private static int IndexOf(FieldSpec field, string value)
    {
        for (var i = 0; i < field.Values.Count; i++)
            if (string.Equals(field.Values[i], value, StringComparison.Ordinal)) return i;
        throw new ArgumentException($"{field.Name} '{value}' is not one of {string.Join(", ", field.Values)}", nameof(value));
    }

    private static object DefaultOf(FieldSpec field) => field.Type switch
    {
        FieldType.String or FieldType.Enum => field.Default!,
        FieldType.Double => double.Parse(field.Default!, System.Globalization.CultureInfo.InvariantCulture),
        _ => long.Parse(field.Default!, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>How one schema id's frames are read: a resolution of its writer schema, or none yet (unknown until RetryAt).</summary>
    private sealed record Plan(AvroDecoder? Decoder, long RetryAt);
}
