using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Registry;

/// <summary>The answer of a compatibility check: whether the schema may be registered and, if not, why.</summary>
public sealed record CompatibilityResult(bool IsCompatible, IReadOnlyList<string> Messages);

/// <summary>A client for the Confluent Schema Registry REST API, caching what never changes.</summary>
/// <remarks>
/// Ids are immutable in a registry, so schemas by id are cached forever, as are the ids of schemas this
/// client registered or looked up per subject. Errors the registry reports become
/// <see cref="SchemaRegistryException"/> with its error code; a registry that cannot be reached is a
/// transient <see cref="SchemaRegistryException"/> (retry, never dead-letter).
/// </remarks>
public sealed class SchemaRegistryClient : ISchemaSource, IDisposable
{
    private static readonly MediaTypeHeaderValue ContentType = new("application/vnd.schemaregistry.v1+json");
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ConcurrentDictionary<int, AvroSchema> _byId = new();
    private readonly ConcurrentDictionary<(string Subject, string Schema), int> _ids = new();

    /// <summary>A client for the registry at <paramref name="baseUrl"/>; pass an <see cref="HttpClient"/> to share one.</summary>
    public SchemaRegistryClient(Uri baseUrl, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The registry's base URL.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Registers <paramref name="schema"/> under <paramref name="subject"/> (idempotent); returns the id.</summary>
    public async Task<int> RegisterAsync(string subject, string schema, CancellationToken cancellationToken = default)
    {
        var key = (subject, Normalize(schema));
        if (_ids.TryGetValue(key, out var cached)) return cached;
        using var doc = await SendAsync(HttpMethod.Post, $"subjects/{Escape(subject)}/versions", SchemaBody(schema), cancellationToken);
        var id = doc.RootElement.GetProperty("id").GetInt32();
        _ids[key] = id;
        return id;
    }

    /// <summary>The registration of <paramref name="schema"/> under <paramref name="subject"/>; 40401/40403 when absent.</summary>
    public async Task<RegisteredSchema> LookupAsync(string subject, string schema, CancellationToken cancellationToken = default)
    {
        using var doc = await SendAsync(HttpMethod.Post, $"subjects/{Escape(subject)}", SchemaBody(schema), cancellationToken);
        var registered = ReadRegistered(doc.RootElement);
        _ids[(subject, Normalize(schema))] = registered.Id;
        return registered;
    }

    /// <summary>The schema with registry id <paramref name="id"/>.</summary>
    public async Task<AvroSchema> GetSchemaAsync(int id, CancellationToken cancellationToken = default)
    {
        if (_byId.TryGetValue(id, out var cached)) return cached;
        using var doc = await SendAsync(HttpMethod.Get, $"schemas/ids/{id.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);
        return _byId.GetOrAdd(id, AvroSchema.Parse(doc.RootElement.GetProperty("schema").GetString()!));
    }

    /// <inheritdoc />
    /// <remarks>Synchronous (for the decode loop): the first call per id makes a blocking HTTP request, later calls hit the cache.</remarks>
    public AvroSchema? GetSchema(int id)
    {
        if (_byId.TryGetValue(id, out var cached)) return cached;
        try
        {
            using var doc = Send(HttpMethod.Get, $"schemas/ids/{id.ToString(CultureInfo.InvariantCulture)}");
            return _byId.GetOrAdd(id, AvroSchema.Parse(doc.RootElement.GetProperty("schema").GetString()!));
        }
        catch (SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.SchemaNotFound)
        {
            return null;
        }
    }

    /// <summary>Every subject.</summary>
    public async Task<IReadOnlyList<string>> GetSubjectsAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, "subjects", null, cancellationToken);
        return doc.RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>The version numbers of <paramref name="subject"/>.</summary>
    public async Task<IReadOnlyList<int>> GetVersionsAsync(string subject, CancellationToken cancellationToken = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, $"subjects/{Escape(subject)}/versions", null, cancellationToken);
        return doc.RootElement.EnumerateArray().Select(e => e.GetInt32()).ToList();
    }

    /// <summary>One version of <paramref name="subject"/>: a number or "latest".</summary>
    public async Task<RegisteredSchema> GetVersionAsync(string subject, string version = "latest", CancellationToken cancellationToken = default)
    {
        using var doc = await SendAsync(HttpMethod.Get, $"subjects/{Escape(subject)}/versions/{Escape(version)}", null, cancellationToken);
        return ReadRegistered(doc.RootElement);
    }

    /// <summary>Whether <paramref name="schema"/> may be registered after <paramref name="version"/> of <paramref name="subject"/>, with reasons.</summary>
    public async Task<CompatibilityResult> TestCompatibilityAsync(string subject, string schema, string version = "latest", CancellationToken cancellationToken = default)
    {
        using var doc = await SendAsync(HttpMethod.Post, $"compatibility/subjects/{Escape(subject)}/versions/{Escape(version)}?verbose=true", SchemaBody(schema), cancellationToken);
        var messages = doc.RootElement.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array
            ? m.EnumerateArray().Select(e => e.GetString()!).ToList()
            : [];
        return new CompatibilityResult(doc.RootElement.GetProperty("is_compatible").GetBoolean(), messages);
    }

    /// <summary>The compatibility level of <paramref name="subject"/> (falling back to global), or the global one.</summary>
    public async Task<CompatibilityLevel> GetCompatibilityAsync(string? subject = null, CancellationToken cancellationToken = default)
    {
        var path = subject is null ? "config" : $"config/{Escape(subject)}?defaultToGlobal=true";
        using var doc = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        var text = doc.RootElement.GetProperty("compatibilityLevel").GetString();
        return SchemaCompatibility.TryParse(text, out var level)
            ? level
            : throw new SchemaRegistryException(502, SchemaRegistryException.InvalidCompatibilityLevel, $"registry answered an unknown compatibility level '{text}'");
    }

    /// <summary>Sets the compatibility level of <paramref name="subject"/>, or the global one when null.</summary>
    public async Task SetCompatibilityAsync(CompatibilityLevel level, string? subject = null, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializerBody(w => w.WriteString("compatibility", level.ToWireName()));
        using var _ = await SendAsync(HttpMethod.Put, subject is null ? "config" : $"config/{Escape(subject)}", body, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string Normalize(string schema)
    {
        try
        {
            return AvroSchema.Parse(schema).ToNormalizedJson();
        }
        catch (AvroSchemaException)
        {
            return schema; // the registry will refuse it with its own message
        }
    }

    private static string SchemaBody(string schema) => JsonSerializerBody(w => w.WriteString("schema", schema));

    private static string JsonSerializerBody(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static RegisteredSchema ReadRegistered(JsonElement e) => new(
        e.GetProperty("subject").GetString()!, e.GetProperty("id").GetInt32(), e.GetProperty("version").GetInt32(), e.GetProperty("schema").GetString()!);

    private HttpRequestMessage Request(HttpMethod method, string path, string? body)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUrl, path));
        request.Headers.Accept.ParseAdd("application/vnd.schemaregistry.v1+json, application/json");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = ContentType;
        }
        return request;
    }

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, string? body, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, body);
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return Parse((int)response.StatusCode, bytes);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(ex);
        }
    }

    private JsonDocument Send(HttpMethod method, string path)
    {
        using var request = Request(method, path, null);
        try
        {
            using var response = _http.Send(request);
            using var stream = response.Content.ReadAsStream();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return Parse((int)response.StatusCode, copy.ToArray());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw Unreachable(ex);
        }
    }

    private SchemaRegistryException Unreachable(Exception ex) =>
        new($"schema registry at {BaseUrl} is unreachable ({ex.Message}); check the registry URL and that it is running", ex);

    private static JsonDocument Parse(int status, byte[] bytes)
    {
        JsonDocument? doc = null;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            // handled below: a non-JSON answer is an error whatever the status
        }
        if (status is >= 200 and < 300 && doc is not null) return doc;
        using (doc)
        {
            var code = status;
            var message = $"schema registry answered HTTP {status}";
            if (doc is not null && doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("error_code", out var c) && c.TryGetInt32(out var n)) code = n;
                if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString()!;
            }
            throw new SchemaRegistryException(status, code, message, isTransient: status >= 500);
        }
    }
}
