using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Core.Events;

namespace Sluice.Pipelines.Domains;

/// <summary>Decodes a JSON object into a <see cref="DomainRecord"/> of one schema, field by field, without reflection.</summary>
/// <remarks>
/// <para>Properties are matched to fields by name (a name the schema does not have is skipped, so producers may add
/// fields before the file lists them); producers usually write the fields in one order, so the field after the last one
/// matched is tried first. Values are typed by the field: text for string and enum fields, an integer for long, int and
/// timestamp fields, any number for double fields; null is absent.</para>
/// <para>The reason codes are the e-commerce decoder's where they apply: <c>invalid_json</c>,
/// <c>missing_required_fields</c> (the absent names, sorted and comma-separated), <c>invalid_field_type</c>,
/// <c>field_too_long</c> (text over <see cref="ClickEventJson.MaxStringLength"/> characters), and
/// <c>invalid_enum_value</c> for an enum field's unknown value.</para>
/// <para>With an Avro codec, a payload that starts with the Confluent wire format's magic byte (0, which no JSON text
/// starts with) is an Avro frame and is read by <see cref="DomainRecordAvro"/>.</para>
/// </remarks>
public sealed class DomainRecordDecoder(DomainSchema schema, DomainRecordAvro? avro = null)
{
    /// <summary>An enum field's value is not one the file lists.</summary>
    public const string InvalidEnumValue = "invalid_enum_value";

    /// <summary>Every code the decoder gives, sorted.</summary>
    public static IReadOnlyList<string> ReasonCodes { get; } =
    [
        Core.Errors.ReasonCodes.FieldTooLong, InvalidEnumValue, Core.Errors.ReasonCodes.InvalidFieldType,
        Core.Errors.ReasonCodes.InvalidJson, Core.Errors.ReasonCodes.MissingRequiredFields,
    ];

    /// <summary>Whether Avro frames are read.</summary>
    public bool ReadsAvro => avro is not null;

    private const int MaxStringLength = ClickEventJson.MaxStringLength;
    private readonly DomainSchema _schema = schema ?? throw new ArgumentNullException(nameof(schema));
    private readonly byte[][] _names = schema.Utf8Names;
    private readonly byte[][][] _values = [.. schema.Fields.Select(f => f.Values.Select(System.Text.Encoding.UTF8.GetBytes).ToArray())];

    /// <summary>Decodes one payload; on failure <paramref name="error"/> carries the reason code and a detail naming the field.</summary>
    public bool TryDecode(ReadOnlySpan<byte> payload, out DomainRecord? record, out DecodeError error)
    {
        if (avro is not null && !payload.IsEmpty && payload[0] == Schemas.Avro.ConfluentWireFormat.MagicByte)
            return avro.TryRead(payload, out record, out error);
        record = null;
        var fields = _schema.Fields;
        var r = new DomainRecord(_schema);
        Span<bool> seen = fields.Count <= 256 ? stackalloc bool[fields.Count] : new bool[fields.Count];
        seen.Clear();
        string? badEnum = null;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = new DecodeError(Core.Errors.ReasonCodes.InvalidJson, "payload is not a JSON object");
                return false;
            }
            var hint = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var index = Find(ref reader, hint);
                if (!reader.Read())
                {
                    error = new DecodeError(Core.Errors.ReasonCodes.InvalidJson, "truncated");
                    return false;
                }
                if (index < 0)
                {
                    reader.Skip();
                    continue;
                }
                hint = index + 1;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    seen[index] = false;
                    Clear(r, index);
                    continue;
                }
                if (!ReadValue(ref reader, index, r, ref badEnum, out error)) return false;
                seen[index] = true;
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = new DecodeError(Core.Errors.ReasonCodes.InvalidJson, "trailing data after the JSON object");
                return false;
            }
        }
        catch (JsonException ex)
        {
            error = new DecodeError(Core.Errors.ReasonCodes.InvalidJson, $"not valid JSON at byte {ex.BytePositionInLine}");
            return false;
        }
        catch (InvalidOperationException)
        {
            error = new DecodeError(Core.Errors.ReasonCodes.InvalidJson, "not valid UTF-8 JSON");
            return false;
        }

        List<string>? missing = null;
        for (var i = 0; i < fields.Count; i++)
            if (fields[i].Required && !seen[i]) (missing ??= []).Add(fields[i].Name);
        if (missing is not null)
        {
            missing.Sort(StringComparer.Ordinal);
            error = new DecodeError(Core.Errors.ReasonCodes.MissingRequiredFields, string.Join(",", missing));
            return false;
        }
        if (badEnum is not null)
        {
            error = new DecodeError(InvalidEnumValue, badEnum);
            return false;
        }
        record = _schema.Complete(r);
        error = default;
        return true;
    }

    // The field whose name the reader is on, or -1; the one after the last matched is tried first.
    private int Find(ref Utf8JsonReader reader, int hint)
    {
        var names = _names;
        if (hint < names.Length && reader.ValueTextEquals(names[hint])) return hint;
        for (var i = 0; i < names.Length; i++)
            if (i != hint && reader.ValueTextEquals(names[i])) return i;
        return -1;
    }

    private bool ReadValue(ref Utf8JsonReader reader, int index, DomainRecord r, ref string? badEnum, out DecodeError error)
    {
        error = default;
        var field = _schema.Fields[index];
        var slot = _schema.SlotOf(index);
        switch (field.Type)
        {
            case FieldType.String:
                if (reader.TokenType != JsonTokenType.String) return TypeError(field.Name, "a string", out error);
                var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                string? text;
                if (length > MaxStringLength * 6L || (text = reader.GetString())!.Length > MaxStringLength)
                {
                    error = new DecodeError(Core.Errors.ReasonCodes.FieldTooLong, $"{field.Name} is longer than {MaxStringLength} characters");
                    return false;
                }
                r.SetText(slot, text);
                return true;
            case FieldType.Enum:
                if (reader.TokenType != JsonTokenType.String) return TypeError(field.Name, "a string", out error);
                var values = _values[index];
                for (var v = 0; v < values.Length; v++)
                {
                    if (!reader.ValueTextEquals(values[v])) continue;
                    r.SetText(slot, field.Values[v]); // the file's own string: no copy per record
                    return true;
                }
                // Reported after a missing required field, as the e-commerce decoder reports an unknown event type.
                if (badEnum is null)
                {
                    var value = reader.GetString()!;
                    if (value.Length > 64) value = value[..64] + "…";
                    badEnum = $"{field.Name} '{value}' is not one of {string.Join(", ", field.Values)}";
                }
                return true;
            case FieldType.Double:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var real) || !double.IsFinite(real))
                    return TypeError(field.Name, "a number", out error);
                r.SetReal(slot, real);
                return true;
            case FieldType.Int:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var small)) return TypeError(field.Name, "an integer", out error);
                r.SetWhole(slot, small);
                return true;
            case FieldType.Timestamp:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var time))
                    return TypeError(field.Name, "an integer (epoch milliseconds)", out error);
                r.SetWhole(slot, time);
                return true;
            default:
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var whole)) return TypeError(field.Name, "an integer", out error);
                r.SetWhole(slot, whole);
                return true;
        }
    }

    // A null after a value for the same name: the last one wins, as for values.
    private void Clear(DomainRecord r, int index)
    {
        var slot = _schema.SlotOf(index);
        switch (_schema.Fields[index].Type)
        {
            case FieldType.String or FieldType.Enum: r.SetText(slot, null); break;
            case FieldType.Double: r.SetReal(slot, null); break;
            default: r.SetWhole(slot, null); break;
        }
    }

    private static bool TypeError(string field, string expected, out DecodeError error)
    {
        error = new DecodeError(Core.Errors.ReasonCodes.InvalidFieldType, $"{field} must be {expected}");
        return false;
    }
}
