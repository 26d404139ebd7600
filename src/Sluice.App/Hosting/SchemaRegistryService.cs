using Microsoft.Extensions.Hosting;
using Sluice.Core.Configuration;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.App.Hosting;

/// <summary>The schema registry a run's producer and processor members share, as a hosted service; it is the members' <see cref="ISchemaSource"/>.</summary>
/// <remarks>
/// On start it connects to the registry at <c>schemaRegistry.url</c> or, when that is empty, starts an embedded one on
/// 127.0.0.1 that lives as long as the service, and registers <paramref name="schemaJson"/> (the v3 event schema unless
/// given) under <paramref name="subject"/>
/// over HTTP, as a separate producer would. The client is shared: ids it resolved once are cached, so the members ask
/// the registry once per schema id, not per record. Released when disposed, after the members have stopped.
/// </remarks>
public sealed class SchemaRegistryService(SchemaRegistryOptions options, string subject, string? schemaJson = null) : IHostedService, IAsyncDisposable, ISchemaSource
{
    private EmbeddedSchemaRegistry? _embedded;
    private RegistrySchemaSource? _source;
    private int _schemaId;

    /// <summary>The registry's URL once started (embedded or configured); null before.</summary>
    public Uri? Url => Volatile.Read(ref _source) is { } s ? new Uri(s.Url) : null;

    /// <summary>The id the registry gave the schema; 0 until started.</summary>
    public int SchemaId => Volatile.Read(ref _schemaId);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = options;
        if (registry.Url.Length == 0)
        {
            _embedded = await EmbeddedSchemaRegistry.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            registry = new SchemaRegistryOptions { Url = _embedded.Url.ToString() };
        }
        var source = RegistrySchemaSource.Connect(registry);
        Volatile.Write(ref _source, source);
        var id = await source.Client.RegisterAvroAsync(source.Url, subject, schemaJson ?? EventSchemas.V3Json).ConfigureAwait(false);
        Volatile.Write(ref _schemaId, id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public AvroSchema? GetSchema(int id) =>
        (Volatile.Read(ref _source) ?? throw new InvalidOperationException("the schema registry service has not started")).GetSchema(id);

    public async ValueTask DisposeAsync()
    {
        _source?.Dispose();
        if (_embedded is not null) await _embedded.DisposeAsync().ConfigureAwait(false);
    }
}
