using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Avro.Generic;
using Avro.IO;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using AvroSchema = Avro.Schema;

namespace Sluice.Cli.Inspection;

/// <summary>Writes a consumed record as one JSON line a person or <c>jq</c> can read, decoding Avro frames through the registry.</summary>
/// <remarks>
/// A value in the Confluent wire format (magic byte 0, schema id, Avro body) becomes the record in Avro's JSON
/// encoding, read with the writer's schema from the registry; JSON text stays as it is; other UTF-8 text becomes a
/// string; anything else (and a frame that does not decode) is shown as base64 with the reason, never dropped.
/// </remarks>
internal sealed class RecordJson(ISchemaRegistryClient? registry)
{
    private readonly ConcurrentDictionary<int, AvroSchema> _schemas = new();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether a frame was seen with no registry to decode it (reported once by the caller).</summary>
    public bool SawFrameWithoutRegistry { get; private set; }

    public string Format(ConsumeResult<byte[]?, byte[]?> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("topic", result.Topic);
            json.WriteNumber("partition", result.Partition.Value);
            json.WriteNumber("offset", result.Offset.Value);
            json.WriteString("timestamp", DateTimeOffset.FromUnixTimeMilliseconds(result.Message.Timestamp.UnixTimestampMs).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WritePropertyName("key");
            WritePayload(json, result.Message.Key, decodeAvro: false);
            if (result.Message.Headers is { Count: > 0 } headers)
            {
                json.WriteStartObject("headers");
                foreach (var h in headers) { json.WritePropertyName(h.Key); WritePayload(json, h.GetValueBytes(), decodeAvro: false); }
                json.WriteEndObject();
            }
            json.WritePropertyName("value");
            WritePayload(json, result.Message.Value, decodeAvro: true);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void WritePayload(Utf8JsonWriter json, byte[]? bytes, bool decodeAvro)
    {
        if (bytes is null) { json.WriteNullValue(); return; }
        if (decodeAvro && bytes.Length >= 5 && bytes[0] == 0)
        {
            WriteFrame(json, bytes);
            return;
        }
        if (TryText(bytes, out var text))
        {
            if (LooksLikeJson(bytes)) json.WriteRawValue(bytes, skipInputValidation: false);
            else json.WriteStringValue(text);
            return;
        }
        json.WriteStartObject();
        json.WriteString("base64", Convert.ToBase64String(bytes));
        json.WriteEndObject();
    }

    private void WriteFrame(Utf8JsonWriter json, byte[] frame)
    {
        var id = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(1, 4));
        string? error;
        if (registry is null)
        {
            SawFrameWithoutRegistry = true;
            error = "no schema registry configured (schemaRegistry.url or --registry)";
        }
        else
        {
            try
            {
                var schema = _schemas.GetOrAdd(id, i => AvroSchema.Parse(registry.GetSchemaAsync(i).GetAwaiter().GetResult().SchemaString));
                var datum = new GenericDatumReader<object>(schema, schema)
                    .Read(null!, new BinaryDecoder(new MemoryStream(frame, 5, frame.Length - 5, writable: false)));
                using var text = new MemoryStream();
                var encoder = new JsonEncoder(schema, text);
                new GenericDatumWriter<object>(schema).Write(datum, encoder);
                encoder.Flush();
                json.WriteRawValue(text.ToArray(), skipInputValidation: false);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                error = ex.Message;
            }
        }
        json.WriteStartObject();
        json.WriteNumber("schema_id", id);
        json.WriteString("error", error);
        json.WriteString("base64", Convert.ToBase64String(frame));
        json.WriteEndObject();
    }

    private static bool TryText(byte[] bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static bool LooksLikeJson(byte[] bytes)
    {
        if (bytes.Length == 0) return false;
        try
        {
            using var _ = JsonDocument.Parse(bytes);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
