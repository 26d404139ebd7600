using System.Buffers.Binary;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public sealed class AvroDecodeTests
{
    private static StaticSchemaSource Registry() =>
        new StaticSchemaSource().Add(1, EventSchemas.V1).Add(2, EventSchemas.V2).Add(3, EventSchemas.V3);

    private static TopologyTestDriver AvroDriver()
    {
        var topology = new ClickstreamTopology(new ClickstreamOptions(), Registry());
        return new TopologyTestDriver(topology, topology.WatermarkStrategy);
    }

    private static byte[] Frame(int id, AvroSchema schema, ClickEvent e)
    {
        var buffer = new AvroBuffer(256);
        ConfluentWireFormat.WriteHeader(buffer, id);
        AvroEncoder.Encode(schema, ClickEventAvro.ToRecord(e, (RecordSchema)schema), buffer);
        return buffer.ToArray();
    }

    private static byte[] V3Frame(ClickEvent e, int id = 3) => new ClickEventAvroSerializer(id).Serialize(e);

    [Fact]
    public void mixed_stream_of_avro_versions_json_and_corrupt_frames_is_decoded_and_dead_lettered_by_reason()
    {
        using var d = AvroDriver();
        var v1 = Event(EventType.AddToCart, T0, product: "p-1", price: 1999);  // v1 has no quantity: a purchase would lack it; a priced page view is invalid
        var v2 = Event(EventType.AddToCart, T0 + 1000, product: "p-2", category: "books", price: 500, quantity: 2);
        var v3 = Event(EventType.Search, T0 + 2000, query: "lego");
        var json = Event(EventType.PageView, T0 + 3000);
        var negative = Event(EventType.AddToCart, T0 + 4000, product: "p-3", price: -5, quantity: 1);
        var whole = V3Frame(Event(at: T0 + 5000));

        d.Pipe(Frame(1, EventSchemas.V1, v1));
        d.Pipe(Frame(2, EventSchemas.V2, v2));
        d.Pipe(V3Frame(v3));
        d.Pipe(ClickEventJson.ToBytes(json));
        d.Pipe(V3Frame(negative));
        d.Pipe(whole[..(whole.Length - 3)]);                   // body cut short
        d.Pipe(V3Frame(Event(at: T0 + 6000), id: 99));         // id the registry does not have
        d.Pipe([0, 0, 0]);                                      // magic byte, then half a header
        var badEnum = V3Frame(Event(at: T0 + 7000));
        badEnum[ConfluentWireFormat.HeaderLength + 37] = 7 << 1;
        d.Pipe(badEnum);
        d.Pipe("<html>503</html>"u8.ToArray());                 // neither a frame nor JSON
        d.EndOfInput();

        var enriched = d.Output<EnrichedEvent>("clickstream.enriched").Select(e => e.Event.EventId.Key).ToHashSet();
        Assert.Equal([v1.EventId.Key, v2.EventId.Key, v3.EventId.Key, json.EventId.Key], enriched.Order());
        var reasons = d.Output<DeadLetterRecord>("clickstream.dlq").Select(l => l.ReasonCode).ToList();
        Assert.Equal(
            [ReasonCodes.NegativePrice, AvroReasonCodes.Truncated, AvroReasonCodes.UnknownSchema, AvroReasonCodes.BadMagic,
             AvroReasonCodes.EnumOutOfRange, ReasonCodes.InvalidJson],
            reasons);
    }

    [Fact]
    public void older_writer_versions_are_resolved_to_v3_with_their_schema_version()
    {
        using var d = AvroDriver();
        var v1 = Event(EventType.AddToCart, T0, product: "p-1", price: 1999);  // v1 has no quantity: a purchase would lack it; a priced page view is invalid
        var v2 = Event(EventType.AddToCart, T0 + 1000, product: "p-2", category: "books", price: 500, quantity: 2);
        d.Pipe(Frame(1, EventSchemas.V1, v1));
        d.Pipe(Frame(2, EventSchemas.V2, v2));
        d.EndOfInput();

        var events = d.Output<EnrichedEvent>("clickstream.enriched").Select(e => e.Event).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal((1, 1999L, "u1"), (events[0].SchemaVersion, events[0].PriceCents!.Value, events[0].UserId!));
        Assert.Equal((2, "books", 2), (events[1].SchemaVersion, events[1].ProductCategory!, events[1].Quantity!.Value));
    }

    [Fact]
    public void the_decoder_hands_over_each_event_id_as_soon_as_it_has_read_it()
    {
        var seen = new List<Guid>();
        var decoder = new ClickEventDecoder(Registry(), seen.Add);
        var first = Event();
        var second = Event() with { EventId = Guid.NewGuid() };
        Assert.True(decoder.TryDecode(V3Frame(first), out _, out _));
        Assert.True(decoder.TryDecode(V3Frame(second), out _, out _));
        // A frame cut short after its id: the id was read (and handed over) before the decode failed.
        var cut = V3Frame(first with { EventId = Guid.NewGuid() });
        Assert.False(decoder.TryDecode(cut.AsSpan(0, 5 + 39).ToArray(), out _, out _));
        Assert.Equal([first.EventId.Key, second.EventId.Key, new Guid(System.Text.Encoding.ASCII.GetString(cut, 6, 36))], seen);
    }

    [Fact]
    public void avro_event_with_an_oversized_field_is_refused_like_json()
    {
        var decoder = new ClickEventDecoder(Registry());
        var big = Event() with { UserAgent = new string('A', ClickEventJson.MaxStringLength + 1) };

        Assert.False(decoder.TryDecode(V3Frame(big), out _, out var error));
        Assert.Equal(ReasonCodes.FieldTooLong, error.ReasonCode);
        Assert.Contains("user_agent", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void without_a_schema_source_a_frame_is_read_as_json_and_refused()
    {
        Assert.False(ClickEventDecoder.JsonOnly.TryDecode(V3Frame(Event()), out _, out var error));
        Assert.Equal(ReasonCodes.InvalidJson, error.ReasonCode);
    }

    [Fact]
    public void frame_with_a_huge_declared_string_length_is_refused_without_allocating_it()
    {
        var frame = new byte[ConfluentWireFormat.HeaderLength + 10];
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 3);
        // A varint length of about 2^31 for event_id, with 10 bytes behind it.
        frame.AsSpan(ConfluentWireFormat.HeaderLength).Fill(0xFF);
        frame[ConfluentWireFormat.HeaderLength + 4] = 0x0F;

        Assert.False(new ClickEventDecoder(Registry()).TryDecode(frame, out _, out var error));
        Assert.StartsWith("avro_", error.ReasonCode, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FaultKind.MissingFields)]
    [InlineData(FaultKind.UnknownEventType)]
    [InlineData(FaultKind.WrongTypes)]
    [InlineData(FaultKind.NotJson)]
    public void avro_sink_makes_each_structural_fault_fail_with_the_code_the_manifest_expects(FaultKind kind)
    {
        var capture = new CaptureSink();
        using var writer = new AvroTrafficWriter(capture, schemaId: 3);
        var e = Event();
        var json = kind == FaultKind.NotJson ? new byte[] { 0x00, 0xFF, 0xFE, 0x1F } : ClickEventJson.ToBytes(e);
        writer.Write(new GeneratedRecord(RecordKind.Click, "clicks", "u1", json, e.Timestamp, e.Timestamp, kind, e.EventId, null));

        Assert.False(new ClickEventDecoder(Registry()).TryDecode(capture.Last, out _, out var error));
        Assert.Equal(kind.ExpectedReasonCode(PayloadFormat.Avro), error.ReasonCode);
    }

    [Fact]
    public void avro_sink_writes_valid_events_as_v3_frames_under_its_schema_id()
    {
        var capture = new CaptureSink();
        using var writer = new AvroTrafficWriter(capture, schemaId: 3);
        var e = Event(EventType.Purchase, product: "p-1", price: -1, quantity: 1);
        writer.Write(new GeneratedRecord(RecordKind.Click, "clicks", "u1", ClickEventJson.ToBytes(e), e.Timestamp, e.Timestamp,
            FaultKind.NegativePrice, e.EventId, e));

        Assert.Equal(V3Frame(e), capture.Last);
        Assert.True(new ClickEventDecoder(Registry()).TryDecode(capture.Last, out var decoded, out _));
        Assert.Equal(e, decoded);
    }

    [Fact]
    public void generator_stream_in_avro_reaches_the_dead_letter_output_with_the_codes_its_manifest_expects()
    {
        // A day before the driver's clock, so no event is in the future (30 sessions at once cover about half an hour).
        var settings = new GeneratorSettings
        {
            Users = 300, Products = 100, ConcurrentSessions = 30, MaxEvents = 3_000, MalformedRate = 0.1, Cdc = false,
            Start = new DateTimeOffset(2025, 12, 31, 0, 0, 0, TimeSpan.Zero),
        };
        var manifest = new ManifestBuilder { Format = PayloadFormat.Avro };
        var capture = new CaptureSink();
        using (var writer = new AvroTrafficWriter(capture, schemaId: 3, ownsInner: false))
        {
            GeneratorRunner.Run(new ClickstreamGenerator(settings), writer, manifest: manifest);
        }
        using var d = AvroDriver();
        foreach (var payload in capture.All) d.Pipe(payload);
        d.EndOfInput();

        var expected = new Dictionary<string, long>();
        foreach (var kind in FaultKinds.Malformed)
        {
            var code = kind.ExpectedReasonCode(PayloadFormat.Avro)!;
            expected[code] = expected.GetValueOrDefault(code) + manifest.FaultCount(kind);
        }
        var actual = d.Output<DeadLetterRecord>("clickstream.dlq").GroupBy(l => l.ReasonCode).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(7, actual.Count);
        Assert.Equal(manifest.FaultCount(FaultKind.Bot), d.Output<ClickEvent>("clickstream.bots").Count);
    }

    private sealed class CaptureSink : ITrafficWriter
    {
        public List<byte[]> All { get; } = [];

        public byte[] Last => All[^1];

        public void Write(in GeneratedRecord record) => All.Add(record.Payload.ToArray());

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
