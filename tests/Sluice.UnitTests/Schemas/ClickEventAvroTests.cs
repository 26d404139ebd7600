using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.UnitTests.Schemas;

public sealed class ClickEventAvroTests
{
    private readonly ClickEventAvro _codec = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void the_fast_path_round_trips_an_event(bool purchase)
    {
        var e = purchase ? SampleEvents.Purchase() : SampleEvents.AnonymousSearch();
        Assert.True(_codec.TryRead(ClickEventAvro.ToBytes(e), out var back, out var error), error.Detail);
        Assert.Equal(e, back);
    }

    [Fact]
    public void the_fast_path_writes_the_bytes_the_generic_encoder_writes_for_v3()
    {
        var e = SampleEvents.Purchase();
        var generic = AvroEncoder.Encode(EventSchemas.V3, ClickEventAvro.ToRecord(e, (RecordSchema)EventSchemas.V3));
        Assert.Equal(Convert.ToHexString(generic), Convert.ToHexString(ClickEventAvro.ToBytes(e)));
    }

    [Fact]
    public void the_fast_path_and_the_generic_decoder_agree()
    {
        var e = SampleEvents.AnonymousSearch();
        Assert.True(AvroDecoder.Create(EventSchemas.V3).TryDecode(ClickEventAvro.ToBytes(e), out var record, out _));
        Assert.True(ClickEventAvro.TryFromRecord((AvroRecord)record!, 3, out var viaGeneric, out _));
        Assert.Equal(e, viaGeneric);
    }

    [Fact]
    public void repeated_short_strings_are_shared_not_reallocated()
    {
        var bytes = ClickEventAvro.ToBytes(SampleEvents.Purchase());
        Assert.True(_codec.TryRead(bytes, out var a, out _));
        Assert.True(_codec.TryRead(bytes, out var b, out _));
        Assert.Same(a!.Browser, b!.Browser);
        Assert.Same(a.GeoCountry, b.GeoCountry);
    }

    [Fact]
    public void a_serialized_frame_carries_magic_byte_and_big_endian_schema_id()
    {
        var frame = new ClickEventAvroSerializer(0x01020304).Serialize(SampleEvents.Purchase());
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, frame[..5]);
    }

    private static ClickEventAvroDeserializer Deserializer() =>
        new(new StaticSchemaSource().Add(1, EventSchemas.V1).Add(2, EventSchemas.V2).Add(3, EventSchemas.V3));

    private static byte[] Frame(int id, AvroSchema schema, ClickEvent e)
    {
        var buffer = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(buffer, id);
        AvroEncoder.Encode(schema, ClickEventAvro.ToRecord(e, (RecordSchema)schema), buffer);
        return buffer.ToArray();
    }

    [Fact]
    public void a_v1_producer_and_a_v3_processor_interoperate()
    {
        var original = SampleEvents.Purchase();

        Assert.True(Deserializer().TryDeserialize(Frame(1, EventSchemas.V1, original), out var e, out var error), error.Detail);

        Assert.Equal(original.EventId, e!.EventId);
        Assert.Equal(original.EventType, e.EventType);
        Assert.Equal(original.Timestamp, e.Timestamp);
        Assert.Equal(original.UserId, e.UserId);
        Assert.Equal(original.ProductId, e.ProductId);
        Assert.Equal(original.PriceCents, e.PriceCents);
        Assert.Equal("", e.SessionId);
        Assert.Null(e.GeoCountry);
        Assert.Equal(1, e.SchemaVersion);
    }

    [Fact]
    public void a_v2_producer_and_a_v3_processor_interoperate_through_the_category_alias()
    {
        var original = SampleEvents.Purchase();
        Assert.True(Deserializer().TryDeserialize(Frame(2, EventSchemas.V2, original), out var e, out _));
        Assert.Equal(original.ProductCategory, e!.ProductCategory);
        Assert.Equal(original.SessionId, e.SessionId);
        Assert.Equal(original.Quantity, e.Quantity);
        Assert.Equal(2, e.SchemaVersion);
    }

    [Fact]
    public void a_v3_producer_and_a_v2_reader_interoperate()
    {
        var original = SampleEvents.Purchase();
        var decoder = AvroDecoder.Create(writer: EventSchemas.V3, reader: EventSchemas.V2);

        Assert.Empty(decoder.Issues);
        Assert.True(decoder.TryDecode(ClickEventAvro.ToBytes(original), out var value, out _));

        var v2 = (AvroRecord)value!;
        Assert.Equal(original.SessionId, v2["session_id"]);
        Assert.Equal(original.PriceCents, v2["price_cents"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(original.Timestamp), v2["timestamp"]);
        Assert.Null(v2["category"]); // renamed in v3; v2's reader alias cannot know the new name, so its default applies
    }

    [Fact]
    public void a_v1_reader_cannot_read_v2_data_because_event_time_has_no_default()
    {
        Assert.Contains(AvroDecoder.Create(writer: EventSchemas.V2, reader: EventSchemas.V1).Issues,
            i => i.Contains("'event_time' has no default", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new byte[] { }, AvroReasonCodes.BadMagic)]
    [InlineData(new byte[] { 1, 0, 0, 0, 3 }, AvroReasonCodes.BadMagic)]
    [InlineData(new byte[] { 0, 0, 0 }, AvroReasonCodes.BadMagic)]
    [InlineData(new byte[] { 0, 0, 0, 0, 99 }, AvroReasonCodes.UnknownSchema)]
    [InlineData(new byte[] { 0, 0, 0, 0, 3 }, AvroReasonCodes.Truncated)]
    [InlineData(new byte[] { 0, 0, 0, 0, 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, AvroReasonCodes.VarintOverflow)]
    [InlineData(new byte[] { 0, 0, 0, 0, 3, 0xFE, 0xFF, 0xFF, 0xFF, 0x0F }, AvroReasonCodes.LengthOutOfRange)]
    public void bad_frames_are_rejected_with_a_reason_code(byte[] frame, string code)
    {
        Assert.False(Deserializer().TryDeserialize(frame, out var e, out var error));
        Assert.Null(e);
        Assert.Equal(code, error.ReasonCode);
    }

    [Fact]
    public void an_event_type_index_out_of_range_is_rejected()
    {
        var frame = new ClickEventAvroSerializer(3).Serialize(SampleEvents.Purchase());
        frame[5 + 37] = 0x0C; // event_type index 6: one past the last symbol (after the 1+36 uuid bytes)
        Assert.False(Deserializer().TryDeserialize(frame, out _, out var error));
        Assert.Equal(AvroReasonCodes.EnumOutOfRange, error.ReasonCode);
    }

    [Fact]
    public void a_body_cut_anywhere_is_rejected_as_truncated_or_length_out_of_range()
    {
        var frame = new ClickEventAvroSerializer(3).Serialize(SampleEvents.Purchase());
        var deserializer = Deserializer();
        for (var length = 5; length < frame.Length; length++)
        {
            Assert.False(deserializer.TryDeserialize(frame.AsSpan(0, length), out _, out var error));
            // A cut inside a string leaves its length prefix pointing past the end of the buffer.
            Assert.Contains(error.ReasonCode, new[] { AvroReasonCodes.Truncated, AvroReasonCodes.LengthOutOfRange });
        }
    }

    [Theory]
    [InlineData("3f2504e0-4f89-41d3-9a0c-0305e82c3301", true)]
    [InlineData("3F2504E0-4F89-41D3-9A0C-0305E82C3301", true)]
    [InlineData("00000000-0000-0000-0000-000000000000", true)]
    [InlineData("3f2504e0-4f89-41d3-9a0c-0305e82c330g", false)]
    [InlineData("3f2504e0f4f89-41d3-9a0c-0305e82c3301", false)]
    [InlineData("{3f2504e0-4f89-41d3-9a0c-0305e82c330}", false)]
    [InlineData("3f2504e04f8941d39a0c0305e82c3301", false)]
    public void uuids_parse_exactly_like_the_framework_parser(string text, bool valid)
    {
        Assert.Equal(valid, ClickEventAvro.TryParseUuid(System.Text.Encoding.UTF8.GetBytes(text), out var parsed));
        if (valid) Assert.Equal(Guid.ParseExact(text, "D"), parsed);
    }

    [Fact]
    public void random_uuids_parse_to_the_framework_parsers_value_in_either_case()
    {
        var random = new Random(36);
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 2_000; i++)
        {
            random.NextBytes(bytes);
            var expected = new Guid(bytes);
            foreach (var text in new[] { expected.ToString("D"), expected.ToString("D").ToUpperInvariant() })
            {
                Assert.True(ClickEventAvro.TryParseUuid(System.Text.Encoding.ASCII.GetBytes(text), out var parsed));
                Assert.Equal(expected, parsed);
            }
        }
    }

    private sealed class CountingSource(StaticSchemaSource inner) : ISchemaSource
    {
        public int Calls { get; private set; }

        public AvroSchema? GetSchema(int id)
        {
            Calls++;
            return inner.GetSchema(id);
        }
    }

    [Fact]
    public void an_unknown_id_is_remembered_so_bad_frames_do_not_flood_the_registry()
    {
        var source = new CountingSource(new StaticSchemaSource());
        var deserializer = new ClickEventAvroDeserializer(source, TimeSpan.FromHours(1));
        for (var i = 0; i < 100; i++) Assert.False(deserializer.TryDeserialize([0, 0, 0, 0, 9, 0], out _, out _));
        Assert.Equal(1, source.Calls);
    }

    [Fact]
    public void an_id_registered_after_it_was_unknown_is_found_once_the_retention_passes()
    {
        var schemas = new StaticSchemaSource();
        var deserializer = new ClickEventAvroDeserializer(schemas, TimeSpan.Zero);
        var frame = new ClickEventAvroSerializer(3).Serialize(SampleEvents.Purchase());
        Assert.False(deserializer.TryDeserialize(frame, out _, out var error));
        Assert.Equal(AvroReasonCodes.UnknownSchema, error.ReasonCode);

        schemas.Add(3, EventSchemas.V3);

        Assert.True(deserializer.TryDeserialize(frame, out var e, out _));
        Assert.Equal(SampleEvents.Purchase(), e);
    }
}
