using Confluent.SchemaRegistry;
using Sluice.Schemas.Cli;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using SchemaRegistryException = Sluice.Schemas.Registry.SchemaRegistryException;

namespace Sluice.IntegrationTests.Schemas;

/// <summary><c>sluice schema register | check | list | diff</c> against the embedded registry over HTTP.</summary>
public sealed class SchemaCommandTests : IAsyncLifetime
{
    private const string Subject = EventSchemas.DefaultSubject;
    private EmbeddedSchemaRegistry _registry = null!;
    private CachedSchemaRegistryClient _client = null!;
    private readonly StringWriter _output = new();
    private SchemaCommand _command = null!;

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync();
        _client = SchemaRegistryClients.Create(_registry.Url.ToString());
        _command = new SchemaCommand(_client, _registry.Url.ToString(), _output);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _registry.DisposeAsync();
        await _output.DisposeAsync();
    }

    [Fact]
    public async Task register_prints_subject_version_and_id()
    {
        Assert.Equal(SchemaCommand.Ok, await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 1)));
        Assert.Equal(SchemaCommand.Ok, await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 2)));
        Assert.Matches(@"clicks-value\s+2\s+2\s+event schema v2", _output.ToString());
    }

    [Fact]
    public async Task register_refused_prints_the_reasons_and_exits_1()
    {
        await _client.UpdateCompatibilityAsync(Compatibility.Forward);
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 1));

        Assert.Equal(SchemaCommand.Refused, await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 2)));
        Assert.Contains("refused", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains("'event_time' has no default", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task check_reports_compatibility_without_registering()
    {
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 2));
        await _client.UpdateCompatibilityAsync(Compatibility.Full, Subject);

        Assert.Equal(SchemaCommand.Ok, await _command.CheckAsync(Subject, new SchemaRef(EventVersion: 3)));
        Assert.Equal(SchemaCommand.Refused, await _command.CheckAsync(Subject, new SchemaRef(EventVersion: 1)));
        Assert.Matches(@"clicks-value\s+latest\s+FULL\s+no", _output.ToString());
        Assert.Equal([1], await _client.GetSubjectVersionsAsync(Subject));
    }

    [Fact]
    public async Task check_against_a_new_subject_says_it_can_be_registered()
    {
        Assert.Equal(SchemaCommand.Ok, await _command.CheckAsync("fresh-value", new SchemaRef(EventVersion: 3)));
        Assert.Contains("can be registered as version 1", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task list_prints_subjects_and_versions()
    {
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 1));
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 2));
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 3));
        _output.GetStringBuilder().Clear();

        Assert.Equal(SchemaCommand.Ok, await _command.ListAsync());
        Assert.Equal(SchemaCommand.Ok, await _command.ListAsync(Subject));

        var text = _output.ToString();
        Assert.Matches(@"clicks-value\s+1,2,3\s+3\s+BACKWARD", text);
        Assert.Matches(@"3\s+3\s+21\s+v3", text);
    }

    [Fact]
    public async Task diff_between_registered_versions_prints_field_changes()
    {
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 2));
        await _command.RegisterAsync(Subject, new SchemaRef(EventVersion: 3));

        Assert.Equal(SchemaCommand.Ok, await _command.DiffAsync(Subject, "1", "2"));

        Assert.Matches(@"product_category\s+null\|string\s+null\|string\s+renamed from category", _output.ToString());
        Assert.Matches(@"page_url\s+null\|string\s+added \(default null\)", _output.ToString());
    }

    [Fact]
    public async Task an_unknown_subject_and_a_dead_registry_are_errors_naming_the_cause()
    {
        var unknown = await Assert.ThrowsAsync<SchemaRegistryException>(() => _command.ListAsync("nope"));
        Assert.Equal(SchemaRegistryException.SubjectNotFound, unknown.ErrorCode);
        Assert.False(unknown.IsTransient);
        var url = _registry.Url;
        // Start the replacement first so it cannot be given the port being closed.
        var replacement = await EmbeddedSchemaRegistry.StartAsync();
        await _registry.DisposeAsync();
        _registry = replacement;
        using var client = SchemaRegistryClients.Create(url.ToString());
        var down = await Assert.ThrowsAsync<SchemaRegistryException>(() => new SchemaCommand(client, url.ToString(), _output).ListAsync());
        Assert.True(down.IsTransient);
        Assert.Contains("unreachable", down.Message, StringComparison.Ordinal);
    }
}
