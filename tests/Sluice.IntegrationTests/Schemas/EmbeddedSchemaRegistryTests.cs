using System.Net;
using System.Text;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.IntegrationTests.Schemas;

/// <summary>The registry client against the embedded registry over real HTTP on 127.0.0.1.</summary>
public sealed class EmbeddedSchemaRegistryTests : IAsyncLifetime
{
    private const string Subject = EventSchemas.DefaultSubject;
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-registry-it-").FullName;
    private EmbeddedSchemaRegistry _registry = null!;
    private SchemaRegistryClient _client = null!;

    private string StatePath => Path.Combine(_dir, "schemas.json");

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync(StatePath);
        _client = new SchemaRegistryClient(_registry.Url);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _registry.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void the_registry_listens_on_loopback_on_a_chosen_port()
    {
        Assert.Equal("127.0.0.1", _registry.Url.Host);
        Assert.NotEqual(0, _registry.Url.Port);
    }

    [Fact]
    public async Task register_look_up_list_and_fetch_by_id_over_http()
    {
        var v1 = await _client.RegisterAsync(Subject, EventSchemas.V1Json);
        var v2 = await _client.RegisterAsync(Subject, EventSchemas.V2Json);

        Assert.Equal([Subject], await _client.GetSubjectsAsync());
        Assert.Equal([1, 2], await _client.GetVersionsAsync(Subject));
        var latest = await _client.GetVersionAsync(Subject);
        Assert.Equal((v2, 2), (latest.Id, latest.Version));
        Assert.Equal(EventSchemas.V1.ToNormalizedJson(), (await _client.GetSchemaAsync(v1)).ToNormalizedJson());
        Assert.Equal(1, (await _client.LookupAsync(Subject, EventSchemas.V1Json)).Version);
        Assert.Equal(EventSchemas.V2.ToNormalizedJson(), _client.GetSchema(v2)!.ToNormalizedJson());
    }

    [Fact]
    public async Task an_incompatible_schema_is_refused_with_409_and_the_reason()
    {
        await _client.SetCompatibilityAsync(CompatibilityLevel.Forward, Subject);
        await _client.RegisterAsync(Subject, EventSchemas.V1Json);

        var ex = await Assert.ThrowsAsync<SchemaRegistryException>(() => _client.RegisterAsync(Subject, EventSchemas.V2Json));

        Assert.Equal(409, ex.HttpStatus);
        Assert.Equal(SchemaRegistryException.Incompatible, ex.ErrorCode);
        Assert.Contains("event_time", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task compatibility_check_reports_reasons_without_registering()
    {
        await _client.RegisterAsync(Subject, EventSchemas.V1Json);
        await _client.RegisterAsync(Subject, EventSchemas.V2Json);
        await _client.SetCompatibilityAsync(CompatibilityLevel.FullTransitive, Subject);

        var result = await _client.TestCompatibilityAsync(Subject, EventSchemas.V3Json);
        var againstV2 = await _client.TestCompatibilityAsync(Subject, EventSchemas.V3Json, "2");

        Assert.False(result.IsCompatible);
        Assert.Contains(result.Messages, m => m.Contains("version 1 cannot read the new schema", StringComparison.Ordinal));
        Assert.True(againstV2.IsCompatible);
        Assert.Equal([1, 2], await _client.GetVersionsAsync(Subject));
    }

    [Fact]
    public async Task config_is_global_with_per_subject_overrides()
    {
        Assert.Equal(CompatibilityLevel.Backward, await _client.GetCompatibilityAsync());
        await _client.SetCompatibilityAsync(CompatibilityLevel.Full);
        await _client.SetCompatibilityAsync(CompatibilityLevel.None, "other-value");

        Assert.Equal(CompatibilityLevel.Full, await _client.GetCompatibilityAsync());
        Assert.Equal(CompatibilityLevel.Full, await _client.GetCompatibilityAsync(Subject));
        Assert.Equal(CompatibilityLevel.None, await _client.GetCompatibilityAsync("other-value"));
    }

    [Fact]
    public async Task unknown_ids_and_subjects_map_to_registry_error_codes()
    {
        Assert.Null(_client.GetSchema(404));
        var ex = await Assert.ThrowsAsync<SchemaRegistryException>(() => _client.GetVersionsAsync("missing"));
        Assert.Equal(SchemaRegistryException.SubjectNotFound, ex.ErrorCode);
        var invalid = await Assert.ThrowsAsync<SchemaRegistryException>(() => _client.RegisterAsync(Subject, "{\"type\":\"record\"}"));
        Assert.Equal(SchemaRegistryException.InvalidSchema, invalid.ErrorCode);
    }

    [Fact]
    public async Task a_raw_confluent_style_request_gets_a_confluent_style_answer()
    {
        using var http = new HttpClient();
        using var content = new StringContent("{\"schema\":\"\\\"string\\\"\"}", Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await http.PostAsync(new Uri(_registry.Url, "subjects/raw-value/versions"), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"id\":1}", await response.Content.ReadAsStringAsync());
        using var missing = await http.GetAsync(new Uri(_registry.Url, "schemas/ids/99"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("\"error_code\":40403", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task schemas_survive_a_registry_restart()
    {
        var id = await _client.RegisterAsync(Subject, EventSchemas.V3Json);
        await _registry.DisposeAsync();

        _registry = await EmbeddedSchemaRegistry.StartAsync(StatePath);
        using var client = new SchemaRegistryClient(_registry.Url);

        Assert.Equal(EventSchemas.V3.ToNormalizedJson(), (await client.GetSchemaAsync(id)).ToNormalizedJson());
        Assert.Equal(id, (await client.LookupAsync(Subject, EventSchemas.V3Json)).Id);
    }

    [Fact]
    public async Task an_unreachable_registry_is_a_transient_error()
    {
        var url = _registry.Url;
        // Start the replacement first so it cannot be given the port being closed.
        var replacement = await EmbeddedSchemaRegistry.StartAsync();
        await _registry.DisposeAsync();
        _registry = replacement;
        using var client = new SchemaRegistryClient(url);

        var ex = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetSubjectsAsync());
        Assert.True(ex.IsTransient);
        Assert.Throws<SchemaRegistryException>(() => client.GetSchema(1));
    }

    [Fact]
    public async Task a_v1_producer_and_a_v3_processor_interoperate_through_the_registry()
    {
        var v1Id = await _client.RegisterAsync(Subject, EventSchemas.V1Json);
        var v3Id = await _client.RegisterAsync(Subject, EventSchemas.V3Json);
        var e = new ClickEvent
        {
            EventId = Guid.NewGuid(), EventType = EventType.AddToCart, Timestamp = 1_763_700_000_000,
            UserId = "u-1", SessionId = "s-1", ProductId = "p-1", PriceCents = 500, GeoCountry = "FR",
        };
        var old = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(old, v1Id);
        AvroEncoder.Encode(EventSchemas.V1, ClickEventAvro.ToRecord(e, (RecordSchema)EventSchemas.V1), old);
        var current = new ClickEventAvroSerializer(v3Id).Serialize(e);

        var deserializer = new ClickEventAvroDeserializer(_client);

        Assert.True(deserializer.TryDeserialize(old.WrittenSpan, out var fromV1, out var error), error.Detail);
        Assert.True(deserializer.TryDeserialize(current, out var fromV3, out _));
        Assert.Equal((e.EventId, e.PriceCents, e.Timestamp, 1), (fromV1!.EventId, fromV1.PriceCents, fromV1.Timestamp, fromV1.SchemaVersion));
        Assert.Null(fromV1.GeoCountry);
        Assert.Equal(e, fromV3);
        Assert.False(deserializer.TryDeserialize([0, 0, 0, 0, 77, 0], out _, out var unknown));
        Assert.Equal(AvroReasonCodes.UnknownSchema, unknown.ReasonCode);
    }
}
