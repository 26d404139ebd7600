using Avro;
using Avro.Generic;
using Avro.Specific;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Avro;
using EnumSchema = Avro.EnumSchema;
using RecordSchema = Avro.RecordSchema;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using AvroSchema = Avro.Schema;

namespace Sluice.IntegrationTests.Schemas;

/// <summary>
/// Frames written by Confluent's Avro serializer decode in Sluice's pipeline, and Sluice's frames decode with Confluent's
/// deserializer, for v1, v2 and v3 writers, through the embedded registry over HTTP.
/// </summary>
public sealed class ConfluentInteropTests : IAsyncLifetime
{
    private EmbeddedSchemaRegistry _registry = null!;
    private CachedSchemaRegistryClient _client = null!;
    private RegistrySchemaSource _source = null!;

    /// <summary>The writer schema versions, 1 to 3.</summary>
    public static TheoryData<int> Writers => new() { 1, 2, 3 };

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync();
        _client = SchemaRegistryClients.Create(_registry.Url.ToString());
        _source = new RegistrySchemaSource(_client, _registry.Url.ToString());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _registry.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task a_generic_record_from_confluents_serializer_decodes_in_sluices_pipeline(int writer)
    {
        var topic = $"generic-v{writer}";
        var serializer = new AvroSerializer<GenericRecord>(_client);
        var events = Events();

        foreach (var e in events)
        {
            var frame = await serializer.SerializeAsync(ToGeneric(e, writer), Context(topic));
            AssertDecodesInSluice(frame, Project(e, writer));
        }
        Assert.Equal([1], await _client.GetSubjectVersionsAsync(topic + "-value")); // auto-registered under TopicNameStrategy
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task a_specific_record_from_confluents_serializer_decodes_in_sluices_pipeline(int writer)
    {
        var topic = $"specific-v{writer}";
        foreach (var e in Events())
        {
            var frame = writer switch
            {
                1 => await new AvroSerializer<ClickEventV1>(_client).SerializeAsync(ToSpecific<ClickEventV1>(e), Context(topic)),
                2 => await new AvroSerializer<ClickEventV2>(_client).SerializeAsync(ToSpecific<ClickEventV2>(e), Context(topic)),
                _ => await new AvroSerializer<ClickEventV3>(_client).SerializeAsync(ToSpecific<ClickEventV3>(e), Context(topic)),
            };
            AssertDecodesInSluice(frame, Project(e, writer));
        }
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public async Task a_sluice_frame_decodes_with_confluents_generic_deserializer(int writer)
    {
        var topic = $"sluice-v{writer}";
        var id = await _client.RegisterSchemaAsync(topic + "-value", new Confluent.SchemaRegistry.Schema(EventSchemas.ForVersionJson(writer), SchemaType.Avro));
        var deserializer = new AvroDeserializer<GenericRecord>(_client);

        foreach (var e in Events())
        {
            var frame = SluiceFrame(e, writer, id);
            var record = await deserializer.DeserializeAsync(frame, isNull: false, Context(topic));
            AssertRecordEquals(Project(e, writer), record);
        }
    }

    [Fact]
    public async Task the_generators_avro_sink_frames_decode_with_confluents_deserializer()
    {
        var settings = new GeneratorSettings { Users = 50, Products = 20, MaxEvents = 500, MalformedRate = 0, DuplicateRate = 0, Cdc = false };
        var id = await _client.RegisterSchemaAsync(settings.EventsTopic + "-value", new Confluent.SchemaRegistry.Schema(EventSchemas.V3Json, SchemaType.Avro));
        var captured = new CapturingSink();
        using (var sink = new AvroTrafficWriter(captured, id))
        {
            GeneratorRunner.Run(new ClickstreamGenerator(settings), sink);
        }
        var deserializer = new AvroDeserializer<GenericRecord>(_client);

        Assert.True(captured.Records.Count >= 400, $"{captured.Records.Count} records");
        foreach (var (frame, evt) in captured.Records)
        {
            AssertRecordEquals(evt, await deserializer.DeserializeAsync(frame, isNull: false, Context(settings.EventsTopic)));
        }
    }

    private static SerializationContext Context(string topic) => new(MessageComponentType.Value, topic);

    private void AssertDecodesInSluice(byte[] frame, ClickEvent expected)
    {
        Assert.True(new ClickEventDecoder(_source).TryDecode(frame, out var viaPipeline, out var error), error.ReasonCode + ": " + error.Detail);
        Assert.True(new ClickEventAvroDeserializer(_source).TryDeserialize(frame, out var viaDeserializer, out error), error.ReasonCode + ": " + error.Detail);
        Assert.Equal(expected, viaPipeline);
        Assert.Equal(expected, viaDeserializer);
    }

    // Sluice writes v3 with its own codec (what AvroTrafficWriter sends); v1 and v2 frames are what an older Sluice producer wrote.
    private static byte[] SluiceFrame(ClickEvent e, int writer, int id)
    {
        if (writer == 3) return new ClickEventAvroSerializer(id).Serialize(e);
        var buffer = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(buffer, id);
        var schema = EventSchemas.ForVersion(writer);
        AvroEncoder.Encode(schema, ClickEventAvro.ToRecord(e, (Sluice.Schemas.Avro.RecordSchema)schema), buffer);
        return buffer.ToArray();
    }

    /// <summary>What a reader of v3 gets from an event written with <paramref name="writer"/>: the fields that version has, defaults for the rest.</summary>
    private static ClickEvent Project(ClickEvent e, int writer) => writer switch
    {
        1 => new ClickEvent
        {
            EventId = e.EventId, EventType = e.EventType, Timestamp = e.Timestamp, UserId = e.UserId, ProductId = e.ProductId,
            PriceCents = e.PriceCents, SessionId = "", SchemaVersion = 1,
        },
        2 => new ClickEvent
        {
            EventId = e.EventId, EventType = e.EventType, Timestamp = e.Timestamp, UserId = e.UserId, ProductId = e.ProductId,
            PriceCents = e.PriceCents, SessionId = e.SessionId, ProductCategory = e.ProductCategory, Quantity = e.Quantity,
            UserSegment = e.UserSegment, SearchQuery = e.SearchQuery, SchemaVersion = 2,
        },
        _ => e,
    };

    private static List<ClickEvent> Events() =>
    [
        new()
        {
            EventId = Guid.Parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301"), EventType = EventType.Purchase, Timestamp = 1_763_700_000_000,
            UserId = "u-42", SessionId = "s-9", ProductId = "p-7", ProductCategory = "books", PriceCents = 1999, Quantity = 2,
            PageUrl = "https://shop.example/p/7", Referrer = "https://shop.example/", UserAgent = "Mozilla/5.0 (X11; Linux x86_64)",
            IpAddress = "10.1.2.0", GeoCountry = "DE", GeoCity = "Köln", UserSegment = "returning", DeviceType = "mobile",
            Browser = "firefox", CampaignId = "spring", SchemaVersion = 3,
        },
        new()
        {
            EventId = Guid.Parse("0b6f0f56-0a5e-4d43-a1e1-7d0c3c5d9e11"), EventType = EventType.Search, Timestamp = 1_763_700_000_500,
            SessionId = "s-anon", SearchQuery = "lego 日本", Referrer = "https://search.example/?q=lego", SchemaVersion = 3,
        },
        new()
        {
            EventId = Guid.Parse("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"), EventType = EventType.Wishlist, Timestamp = 0,
            UserId = "", SessionId = "", ProductId = "p-0", PriceCents = 0, Quantity = -1, SchemaVersion = 3,
        },
    ];

    // Field values by position as Apache.Avro holds them (a Guid for the uuid string, a UTC DateTime for
    // timestamp-millis), from the record Sluice's older producers build for that schema.
    private static object?[] FieldValues(ClickEvent e, RecordSchema schema)
    {
        var record = ClickEventAvro.ToRecord(e, (Sluice.Schemas.Avro.RecordSchema)Sluice.Schemas.Avro.AvroSchema.Parse(schema.ToString()));
        return [.. schema.Fields.Select(f => record[f.Name] switch
        {
            DateTimeOffset t => t.UtcDateTime,
            AvroEnum symbol => new GenericEnum((EnumSchema)f.Schema, symbol.Symbol),
            var value => value,
        })];
    }

    private static GenericRecord ToGeneric(ClickEvent e, int writer)
    {
        var schema = (RecordSchema)AvroSchema.Parse(EventSchemas.ForVersionJson(writer));
        var record = new GenericRecord(schema);
        var values = FieldValues(e, schema);
        foreach (var field in schema.Fields) record.Add(field.Name, values[field.Pos]);
        return record;
    }

    private static T ToSpecific<T>(ClickEvent e) where T : SpecificClickEvent, new()
    {
        var record = new T();
        var values = FieldValues(e, (RecordSchema)record.Schema);
        for (var i = 0; i < values.Length; i++) record.Put(i, values[i] is GenericEnum g ? g.Value : values[i]);
        return record;
    }

    private static void AssertRecordEquals(ClickEvent expected, GenericRecord actual)
    {
        var values = FieldValues(expected, actual.Schema);
        foreach (var field in actual.Schema.Fields)
        {
            var want = values[field.Pos];
            var got = actual[field.Name];
            if (want is GenericEnum e) Assert.Equal(e.Value, ((GenericEnum)got).Value);
            else Assert.Equal(want, got);
        }
    }

    private sealed class CapturingSink : ITrafficWriter
    {
        public List<(byte[] Frame, ClickEvent Event)> Records { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) Records.Add((record.Payload.ToArray(), record.Event!));
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}

/// <summary>A click event as an Avro specific record, values by field position; one subclass per schema version.</summary>
/// <remarks>Hand-written instead of generated by avrogen: the three versions differ only in their schema.</remarks>
public abstract class SpecificClickEvent : ISpecificRecord
{
    private readonly object?[] _values;

    protected SpecificClickEvent(AvroSchema schema) => _values = new object?[((RecordSchema)schema).Count];

    public abstract AvroSchema Schema { get; }

    public object? Get(int fieldPos) => _values[fieldPos];

    public void Put(int fieldPos, object? fieldValue) => _values[fieldPos] = fieldValue;
}

/// <summary>v1 of the click event as a specific record.</summary>
public sealed class ClickEventV1() : SpecificClickEvent(_SCHEMA)
{
    // The name Confluent's serializer looks for by reflection, as avrogen writes it.
#pragma warning disable CA2211, IDE1006, SA1311
    public static AvroSchema _SCHEMA = AvroSchema.Parse(EventSchemas.V1Json);
#pragma warning restore CA2211, IDE1006, SA1311

    public override AvroSchema Schema => _SCHEMA;
}

/// <summary>v2 of the click event as a specific record.</summary>
public sealed class ClickEventV2() : SpecificClickEvent(_SCHEMA)
{
#pragma warning disable CA2211, IDE1006, SA1311
    public static AvroSchema _SCHEMA = AvroSchema.Parse(EventSchemas.V2Json);
#pragma warning restore CA2211, IDE1006, SA1311

    public override AvroSchema Schema => _SCHEMA;
}

/// <summary>v3 of the click event as a specific record.</summary>
public sealed class ClickEventV3() : SpecificClickEvent(_SCHEMA)
{
#pragma warning disable CA2211, IDE1006, SA1311
    public static AvroSchema _SCHEMA = AvroSchema.Parse(EventSchemas.V3Json);
#pragma warning restore CA2211, IDE1006, SA1311

    public override AvroSchema Schema => _SCHEMA;
}
