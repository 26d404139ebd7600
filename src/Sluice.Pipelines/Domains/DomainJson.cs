using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;

namespace Sluice.Pipelines.Domains;

/// <summary>JSON for the outputs of a <see cref="Topology.DomainTopology"/>: records by their file's field names, late records, and
/// the dead letters and aggregate rows the clickstream topology writes too.</summary>
public static class DomainJson
{
    // Relaxed escaping, as for the clickstream's outputs: read by programs and people, never embedded in HTML.
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true, Encoder = Encoder };

    /// <summary>Registers a serialiser for every output type of a domain topology in <paramref name="serializers"/>; one thread at a time.</summary>
    public static RecordSerializers RegisterAll(RecordSerializers serializers)
    {
        ArgumentNullException.ThrowIfNull(serializers);
        var writer = new Utf8JsonWriter(new ArrayBufferWriter<byte>(1), Options);
        return serializers
            .Register<DomainRecord>(static (r, output) => Write(r, output))
            .Register<LateRecord<DomainRecord>>((l, output) =>
            {
                writer.Reset(output);
                Write(writer, l);
                writer.Flush();
            })
            .Register<DeadLetterRecord>((d, output) =>
            {
                writer.Reset(output);
                ClickstreamJson.Write(writer, d);
                writer.Flush();
            })
            .Register<AggregateRow>(static (r, output) => ClickstreamJson.Write(r, output))
            .Register<AggregateRowKey>(static (k, output) => RecordKeys.Write(k, output));
    }

    /// <summary>The record's fields in file order, by name; an absent field is null.</summary>
    public static void Write(DomainRecord record, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(output);
        var schema = record.Schema;
        var o = new JsonOutput(output, Encoder);
        for (var i = 0; i < schema.Fields.Count; i++)
        {
            o.Raw(i == 0 ? "{\""u8 : ",\""u8);
            o.Raw(schema.Utf8Names[i]);
            o.Raw("\":"u8);
            var slot = schema.SlotOf(i);
            switch (schema.Fields[i].Type)
            {
                case FieldType.String or FieldType.Enum: o.String(record.Text(slot)); break;
                case FieldType.Double:
                    if (record.Real(slot) is { } real) o.Number(real);
                    else o.Raw("null"u8);
                    break;
                default: o.Number(record.Whole(slot)); break;
            }
        }
        o.Raw(schema.Fields.Count == 0 ? "{}"u8 : "}"u8);
        o.Commit();
    }

    /// <summary>Which aggregate refused the record, why, the window and watermark, where it was read, and the record.</summary>
    public static void Write(Utf8JsonWriter w, LateRecord<DomainRecord> l)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(l);
        w.WriteStartObject();
        LateRecordJson.WriteFields(w, l);
        w.WritePropertyName("event"u8);
        w.WriteRawValue(Bytes(l.Value), skipInputValidation: true);
        w.WriteEndObject();
    }

    /// <summary>The record as JSON bytes.</summary>
    public static byte[] Bytes(DomainRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(record, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
