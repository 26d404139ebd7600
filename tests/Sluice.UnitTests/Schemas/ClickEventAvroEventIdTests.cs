using System.Text;
using System.Text.Json.Nodes;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.UnitTests.Schemas;

/// <summary>event_id in Avro: any string, whether the writer declared it a uuid (Sluice's schemas) or a plain string (other trackers').</summary>
public sealed class ClickEventAvroEventIdTests
{
    private const string Uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    // Registry ids: 1 and 3 Sluice's v1 and v3 (event_id a uuid), 11 and 13 the same with event_id a plain string.
    private static readonly AvroSchema V1Plain = AvroSchema.Parse(PlainEventId(EventSchemas.V1Json));
    private static readonly AvroSchema V3Plain = AvroSchema.Parse(PlainEventId(EventSchemas.V3Json));

    private static StaticSchemaSource Registry() =>
        new StaticSchemaSource().Add(1, EventSchemas.V1).Add(3, EventSchemas.V3).Add(11, V1Plain).Add(13, V3Plain);

    public static TheoryData<string> Ids => ["e1", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "1234567890", "ünïcødé 日本 😀", new string('x', EventId.MaxLength), Uuid];

    [Theory]
    [MemberData(nameof(Ids))]
    public void the_fast_path_round_trips_any_id_and_writes_what_the_generic_encoder_writes(string id)
    {
        var e = SampleEvents.Purchase() with { EventId = EventId.Parse(id) };
        var bytes = ClickEventAvro.ToBytes(e);
        Assert.True(new ClickEventAvro().TryRead(bytes, out var back, out var error), error.Detail);
        Assert.Equal(e, back);
        Assert.Equal(id, back!.EventId.ToString());
        var generic = AvroEncoder.Encode(EventSchemas.V3, ClickEventAvro.ToRecord(e, (RecordSchema)EventSchemas.V3));
        Assert.Equal(Convert.ToHexString(generic), Convert.ToHexString(bytes));
    }

    [Fact]
    public void an_upper_case_uuid_is_the_same_id_written_in_lower_case()
    {
        var bytes = ClickEventAvro.ToBytes(SampleEvents.Purchase());
        Encoding.ASCII.GetBytes(Uuid.ToUpperInvariant()).CopyTo(bytes, 1);
        Assert.True(new ClickEventAvro().TryRead(bytes, out var back, out var error), error.Detail);
        Assert.Equal(SampleEvents.Purchase().EventId, back!.EventId);
        Assert.Equal(Uuid, back.EventId.ToString());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void writers_whose_event_id_is_a_uuid_or_a_plain_string_are_read_by_both_paths(string id)
    {
        var e = SampleEvents.AnonymousSearch() with { EventId = EventId.Parse(id) };
        var deserializer = new ClickEventAvroDeserializer(Registry());
        foreach (var (schemaId, schema) in new[] { (3, EventSchemas.V3), (13, V3Plain), (1, EventSchemas.V1), (11, V1Plain) })
        {
            Assert.True(deserializer.TryDeserialize(Frame(schemaId, schema, e), out var back, out var error), $"schema {schemaId}: {error.Detail}");
            Assert.Equal(id, back!.EventId.ToString());
            Assert.Equal(e.EventId, back.EventId);
        }
    }

    [Fact]
    public void empty_and_over_long_ids_get_the_json_decoders_reason_codes_on_both_paths()
    {
        var deserializer = new ClickEventAvroDeserializer(Registry());
        foreach (var (schemaId, schema) in new[] { (3, EventSchemas.V3), (13, V3Plain), (1, EventSchemas.V1), (11, V1Plain) })
        {
            Assert.False(deserializer.TryDeserialize(Frame(schemaId, schema, WithRawId("")), out _, out var empty));
            Assert.Equal(ReasonCodes.EmptyEventId, empty.ReasonCode);
            Assert.False(deserializer.TryDeserialize(Frame(schemaId, schema, WithRawId(new string('x', EventId.MaxLength + 1))), out _, out var tooLong));
            Assert.Equal(ReasonCodes.EventIdTooLong, tooLong.ReasonCode);
        }
    }

    [Fact]
    public void an_id_that_is_not_utf8_is_an_invalid_value()
    {
        var bytes = ClickEventAvro.ToBytes(SampleEvents.Purchase() with { EventId = EventId.Parse("e1") });
        bytes[2] = 0xFF;
        Assert.False(new ClickEventAvro().TryRead(bytes, out _, out var error));
        Assert.Equal(AvroReasonCodes.InvalidValue, error.ReasonCode);
    }

    // The record carries the id as a string, so ids the event type refuses can be written.
    private static (ClickEvent Event, string Id) WithRawId(string id) => (SampleEvents.AnonymousSearch(), id);

    private static byte[] Frame(int id, AvroSchema schema, ClickEvent e) => Frame(id, schema, (e, e.EventId.ToString()));

    private static byte[] Frame(int id, AvroSchema schema, (ClickEvent Event, string Id) e)
    {
        var record = ClickEventAvro.ToRecord(e.Event, (RecordSchema)schema);
        record.Values[((RecordSchema)schema).Fields.Single(f => f.Name == "event_id").Position] = e.Id;
        var buffer = new AvroBuffer(256);
        ConfluentWireFormat.WriteHeader(buffer, id);
        AvroEncoder.Encode(schema, record, buffer);
        return buffer.ToArray();
    }

    private static string PlainEventId(string json)
    {
        var schema = JsonNode.Parse(json)!;
        schema["fields"]!.AsArray().Single(f => (string?)f!["name"] == "event_id")!["type"] = "string";
        return schema.ToJsonString();
    }
}
