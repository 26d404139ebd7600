using System.Collections.Concurrent;
using Confluent.SchemaRegistry;
using Sluice.Core.Configuration;
using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Registry;

/// <summary>Confluent's <see cref="CachedSchemaRegistryClient"/> configured from Sluice's settings, and its errors in Sluice's terms.</summary>
public static class SchemaRegistryClients
{
    /// <summary>A client for the registry at <paramref name="url"/>, with HTTP basic auth when <paramref name="basicAuthUserInfo"/> (<c>user:password</c>) is given.</summary>
    public static CachedSchemaRegistryClient Create(string url, string? basicAuthUserInfo = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        var config = new SchemaRegistryConfig { Url = url, RequestTimeoutMs = 10_000 };
        if (!string.IsNullOrEmpty(basicAuthUserInfo))
        {
            config.BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo;
            config.BasicAuthUserInfo = basicAuthUserInfo;
        }
        return new CachedSchemaRegistryClient(config);
    }

    /// <summary>A client for <c>schemaRegistry.url</c> and <c>schemaRegistry.basicAuthUserInfo</c>.</summary>
    public static CachedSchemaRegistryClient Create(SchemaRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(options.Url, options.BasicAuthUserInfo);
    }

    /// <summary>Registers an Avro schema under <paramref name="subject"/> (idempotent: the same schema keeps its id); returns the id.</summary>
    public static Task<int> RegisterAvroAsync(this ISchemaRegistryClient client, string url, string subject, string schema)
    {
        ArgumentNullException.ThrowIfNull(client);
        return CallAsync(url, () => client.RegisterSchemaAsync(subject, new Schema(schema, SchemaType.Avro)));
    }

    /// <summary>Runs a registry call; the registry's refusals and an unreachable registry become <see cref="SchemaRegistryException"/>.</summary>
    public static async Task<T> CallAsync<T>(string url, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, url) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The Sluice error for an exception of Confluent's client, or null when it is none of the registry's.</summary>
    /// <remarks>Only an unreachable registry or a 5xx answer is transient: retrying can succeed, so a record that
    /// needed it is not dead-lettered. The message names the URL, never the credentials (they are not in it).</remarks>
    public static SchemaRegistryException? Translate(Exception ex, string url) => ex switch
    {
        Confluent.SchemaRegistry.SchemaRegistryException e =>
            new SchemaRegistryException((int)e.Status, e.ErrorCode, e.Message, isTransient: (int)e.Status >= 500),
        HttpRequestException or TaskCanceledException { InnerException: TimeoutException } =>
            new SchemaRegistryException($"schema registry at {url} is unreachable ({ex.Message}); check the registry URL and that it is running", ex),
        _ => null,
    };
}

/// <summary>Writer schemas by id for the decode loop, through Confluent's registry client: synchronous, parsed once per id.</summary>
/// <remarks>
/// The decoder needs a blocking lookup and Sluice's schema model; Confluent's client caches the schema text, this
/// caches the parsed schema, so the registry is asked once per id. An id the registry does not know (40403) is null,
/// which the decoder reports as <c>avro_unknown_schema</c>; an unreachable registry is a transient
/// <see cref="SchemaRegistryException"/>.
/// </remarks>
public sealed class RegistrySchemaSource : ISchemaSource, IDisposable
{
    private readonly ISchemaRegistryClient _client;
    private readonly bool _ownsClient;
    private readonly ConcurrentDictionary<int, AvroSchema> _byId = new();

    /// <summary>Reads through <paramref name="client"/>, disposing it with this when <paramref name="ownsClient"/>.</summary>
    public RegistrySchemaSource(ISchemaRegistryClient client, string url, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Url = url;
        _ownsClient = ownsClient;
    }

    /// <summary>A source with its own client for <c>schemaRegistry.url</c>.</summary>
    public static RegistrySchemaSource Connect(SchemaRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RegistrySchemaSource(SchemaRegistryClients.Create(options), options.Url, ownsClient: true);
    }

    /// <summary>The registry's URL, for messages.</summary>
    public string Url { get; }

    /// <summary>The Confluent client this reads through.</summary>
    public ISchemaRegistryClient Client => _client;

    /// <inheritdoc />
    /// <remarks>The first call per id blocks on an HTTP request; later calls hit the cache.</remarks>
    public AvroSchema? GetSchema(int id)
    {
        if (_byId.TryGetValue(id, out var cached)) return cached;
        string text;
        try
        {
            text = _client.GetSchemaAsync(id).GetAwaiter().GetResult().SchemaString;
        }
        catch (Confluent.SchemaRegistry.SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.SchemaNotFound)
        {
            return null;
        }
        catch (Exception ex) when (SchemaRegistryClients.Translate(ex, Url) is { } translated)
        {
            throw translated;
        }
        return _byId.GetOrAdd(id, AvroSchema.Parse(text));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }
}
