using System.Net;
using Confluent.SchemaRegistry;
using System.Text;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using SchemaRegistryException = Sluice.Schemas.Registry.SchemaRegistryException;

namespace Sluice.IntegrationTests.Schemas;

/// <summary>Confluent's registry client against the embedded registry over real HTTP on 127.0.0.1: what works here works against Confluent's server.</summary>
public sealed class EmbeddedSchemaRegistryTests : IAsyncLifetime
{
    private const string Subject = EventSchemas.DefaultSubject;
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-registry-it-").FullName;
    private EmbeddedSchemaRegistry _registry = null!;
    private CachedSchemaRegistryClient _client = null!;

    private string StatePath => Path.Combine(_dir, "schemas.json");

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync(StatePath);
        _client = SchemaRegistryClients.Create(_registry.Url.ToString());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _registry.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static Schema Avro(string text) => new(text, SchemaType.Avro);

    private Task<int> RegisterAsync(string subject, string schema) => _client.RegisterSchemaAsync(subject, Avro(schema));

    [Fact]
    public void the_registry_listens_on_loopback_on_a_chosen_port()
    {
        Assert.Equal("127.0.0.1", _registry.Url.Host);
        Assert.NotEqual(0, _registry.Url.Port);
    }

    [Fact]
    public async Task register_look_up_list_and_fetch_by_id_and_version()
    {
        var v1 = await RegisterAsync(Subject, EventSchemas.V1Json);
        var v2 = await RegisterAsync(Subject, EventSchemas.V2Json);
        using var fresh = SchemaRegistryClients.Create(_registry.Url.ToString()); // nothing cached

        Assert.Equal(v1, await fresh.RegisterSchemaAsync(Subject, Avro(EventSchemas.V1Json)));
        Assert.Equal([Subject], await fresh.GetAllSubjectsAsync());
        Assert.Equal([1, 2], await fresh.GetSubjectVersionsAsync(Subject));
        var latest = await fresh.GetLatestSchemaAsync(Subject);
        Assert.Equal((v2, 2, Subject, SchemaType.Avro), (latest.Id, latest.Version, latest.Subject, latest.SchemaType));
        Assert.Empty(latest.References);
        var first = await fresh.GetRegisteredSchemaAsync(Subject, 1, ignoreDeletedSchemas: true);
        Assert.Equal((v1, 1), (first.Id, first.Version));
        var byId = await fresh.GetSchemaAsync(v1);
        Assert.Equal(SchemaType.Avro, byId.SchemaType);
        Assert.Equal(EventSchemas.V1.ToNormalizedJson(), AvroSchema.Parse(byId.SchemaString).ToNormalizedJson());
        var looked = await fresh.LookupSchemaAsync(Subject, Avro(EventSchemas.V2Json), ignoreDeletedSchemas: true, normalize: false);
        Assert.Equal((v2, 2), (looked.Id, looked.Version));
        Assert.Equal(v2, await fresh.GetSchemaIdAsync(Subject, Avro(EventSchemas.V2Json), normalize: true));
    }

    [Fact]
    public async Task an_incompatible_schema_is_refused_with_409_and_the_reason()
    {
        await _client.UpdateCompatibilityAsync(Compatibility.Forward, Subject);
        await RegisterAsync(Subject, EventSchemas.V1Json);

        var ex = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() => RegisterAsync(Subject, EventSchemas.V2Json));

        Assert.Equal(HttpStatusCode.Conflict, ex.Status);
        Assert.Equal(SchemaRegistryException.Incompatible, ex.ErrorCode);
        Assert.Contains("event_time", ex.Message, StringComparison.Ordinal);
        Assert.False(SchemaRegistryClients.Translate(ex, "x")!.IsTransient);
    }

    [Fact]
    public async Task compatibility_check_answers_without_registering()
    {
        await RegisterAsync(Subject, EventSchemas.V1Json);
        await RegisterAsync(Subject, EventSchemas.V2Json);
        await _client.UpdateCompatibilityAsync(Compatibility.FullTransitive, Subject);

        Assert.False(await _client.IsCompatibleAsync(Subject, Avro(EventSchemas.V3Json)));
        await _client.UpdateCompatibilityAsync(Compatibility.Full, Subject);
        Assert.True(await _client.IsCompatibleAsync(Subject, Avro(EventSchemas.V3Json)));
        Assert.Equal([1, 2], await _client.GetSubjectVersionsAsync(Subject));
    }

    [Fact]
    public async Task config_is_global_with_per_subject_overrides()
    {
        Assert.Equal(Compatibility.Backward, await _client.GetCompatibilityAsync());
        Assert.Equal(Compatibility.Full, await _client.UpdateCompatibilityAsync(Compatibility.Full));
        Assert.Equal(Compatibility.None, await _client.UpdateCompatibilityAsync(Compatibility.None, "other-value"));

        Assert.Equal(Compatibility.Full, await _client.GetCompatibilityAsync());
        Assert.Equal(Compatibility.Full, await _client.GetCompatibilityAsync(Subject));
        Assert.Equal(Compatibility.None, await _client.GetCompatibilityAsync("other-value"));
    }

    [Fact]
    public async Task unknown_ids_subjects_and_invalid_schemas_get_confluents_error_codes()
    {
        var id = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() => _client.GetSchemaAsync(404));
        Assert.Equal((HttpStatusCode.NotFound, SchemaRegistryException.SchemaNotFound), (id.Status, id.ErrorCode));
        var subject = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() => _client.GetSubjectVersionsAsync("missing"));
        Assert.Equal((HttpStatusCode.NotFound, SchemaRegistryException.SubjectNotFound), (subject.Status, subject.ErrorCode));
        var latest = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() => _client.GetLatestSchemaAsync("missing"));
        Assert.Equal(SchemaRegistryException.SubjectNotFound, latest.ErrorCode);
        var invalid = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() => RegisterAsync(Subject, "{\"type\":\"record\"}"));
        Assert.Equal(((HttpStatusCode)422, SchemaRegistryException.InvalidSchema), (invalid.Status, invalid.ErrorCode));
        var other = await Assert.ThrowsAsync<Confluent.SchemaRegistry.SchemaRegistryException>(() =>
            _client.RegisterSchemaAsync(Subject, new Schema("syntax = \"proto3\";", SchemaType.Protobuf)));
        Assert.Equal(SchemaRegistryException.InvalidSchema, other.ErrorCode);
        Assert.Null(new RegistrySchemaSource(_client, _registry.Url.ToString()).GetSchema(404));
    }

    [Fact]
    public async Task a_raw_confluent_style_request_gets_a_confluent_style_answer()
    {
        using var http = new HttpClient();
        using var content = new StringContent("{\"schema\":\"\\\"string\\\"\"}", Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await http.PostAsync(new Uri(_registry.Url, "subjects/raw-value/versions?normalize=true"), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.schemaregistry.v1+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"id\":1}", await response.Content.ReadAsStringAsync());
        using var missing = await http.GetAsync(new Uri(_registry.Url, "schemas/ids/99"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("\"error_code\":40403", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task schemas_survive_a_registry_restart()
    {
        var id = await RegisterAsync(Subject, EventSchemas.V3Json);
        await _registry.DisposeAsync();

        _registry = await EmbeddedSchemaRegistry.StartAsync(StatePath);
        using var client = SchemaRegistryClients.Create(_registry.Url.ToString());

        Assert.Equal(EventSchemas.V3.ToNormalizedJson(), AvroSchema.Parse((await client.GetSchemaAsync(id)).SchemaString).ToNormalizedJson());
        Assert.Equal(id, (await client.LookupSchemaAsync(Subject, Avro(EventSchemas.V3Json), true, false)).Id);
    }

    [Fact]
    public async Task an_unreachable_registry_is_a_transient_error()
    {
        var url = _registry.Url.ToString();
        // Start the replacement first so it cannot be given the port being closed.
        var replacement = await EmbeddedSchemaRegistry.StartAsync();
        await _registry.DisposeAsync();
        _registry = replacement;
        using var source = RegistrySchemaSource.Connect(new SchemaRegistryOptions { Url = url });

        var ex = await Assert.ThrowsAsync<SchemaRegistryException>(() => SchemaRegistryClients.CallAsync(url, source.Client.GetAllSubjectsAsync));
        Assert.True(ex.IsTransient);
        var decode = Assert.Throws<SchemaRegistryException>(() => source.GetSchema(1));
        Assert.True(decode.IsTransient);
        Assert.Contains(url, decode.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_v1_producer_and_a_v3_processor_interoperate_through_the_registry()
    {
        var v1Id = await RegisterAsync(Subject, EventSchemas.V1Json);
        var v3Id = await RegisterAsync(Subject, EventSchemas.V3Json);
        var e = new ClickEvent
        {
            EventId = Guid.NewGuid(), EventType = EventType.AddToCart, Timestamp = 1_763_700_000_000,
            UserId = "u-1", SessionId = "s-1", ProductId = "p-1", PriceCents = 500, GeoCountry = "FR",
        };
        var old = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(old, v1Id);
        AvroEncoder.Encode(EventSchemas.V1, ClickEventAvro.ToRecord(e, (RecordSchema)EventSchemas.V1), old);
        var current = new ClickEventAvroSerializer(v3Id).Serialize(e);

        var deserializer = new ClickEventAvroDeserializer(new RegistrySchemaSource(_client, _registry.Url.ToString()));

        Assert.True(deserializer.TryDeserialize(old.WrittenSpan, out var fromV1, out var error), error.Detail);
        Assert.True(deserializer.TryDeserialize(current, out var fromV3, out _));
        Assert.Equal((e.EventId, e.PriceCents, e.Timestamp, 1), (fromV1!.EventId, fromV1.PriceCents, fromV1.Timestamp, fromV1.SchemaVersion));
        Assert.Null(fromV1.GeoCountry);
        Assert.Equal(e, fromV3);
        Assert.False(deserializer.TryDeserialize([0, 0, 0, 0, 77, 0], out _, out var unknown));
        Assert.Equal(AvroReasonCodes.UnknownSchema, unknown.ReasonCode);
    }
}
