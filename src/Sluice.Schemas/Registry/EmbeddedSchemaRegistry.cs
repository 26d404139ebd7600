using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sluice.Schemas.Registry;

/// <summary>An in-process Schema Registry that serves the Confluent REST API subset Sluice uses on 127.0.0.1.</summary>
/// <remarks>
/// For demo and tests: Confluent's registry client talks to it over real HTTP as it would to
/// a Confluent server. Endpoints: <c>GET /subjects</c>, <c>GET|POST /subjects/{s}/versions</c>,
/// <c>GET /subjects/{s}/versions/{v}</c>, <c>POST /subjects/{s}</c>, <c>GET /schemas/ids/{id}</c>,
/// <c>POST /compatibility/subjects/{s}/versions/{v}</c>, <c>GET|PUT /config</c>, <c>GET|PUT /config/{s}</c>.
/// </remarks>
public sealed class EmbeddedSchemaRegistry : IAsyncDisposable
{
    private const string ContentType = "application/vnd.schemaregistry.v1+json";
    private readonly WebApplication _app;

    private EmbeddedSchemaRegistry(WebApplication app, SchemaRegistryStore store, Uri url)
    {
        _app = app;
        Store = store;
        Url = url;
    }

    /// <summary>The base URL, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>The registry's state.</summary>
    public SchemaRegistryStore Store { get; }

    /// <summary>Starts a registry on 127.0.0.1 (port 0 picks a free one), persisting to <paramref name="path"/> when given.</summary>
    public static async Task<EmbeddedSchemaRegistry> StartAsync(string? path = null, int port = 0, CancellationToken cancellationToken = default)
    {
        var store = new SchemaRegistryStore(path);
        try
        {
            return await StartAsync(store, port, cancellationToken);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static async Task<EmbeddedSchemaRegistry> StartAsync(SchemaRegistryStore store, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        Map(app, store);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EmbeddedSchemaRegistry(app, store, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Store.Dispose();
    }

    private static void Map(WebApplication app, SchemaRegistryStore store)
    {
        app.MapGet("/subjects", ctx => Json(ctx, 200, w =>
        {
            w.WriteStartArray();
            foreach (var s in store.Subjects()) w.WriteStringValue(s);
            w.WriteEndArray();
        }));
        app.MapGet("/subjects/{subject}/versions", ctx => Handle(ctx, () =>
        {
            var versions = store.Versions(Route(ctx, "subject"));
            return Json(ctx, 200, w =>
            {
                w.WriteStartArray();
                foreach (var v in versions) w.WriteNumberValue(v);
                w.WriteEndArray();
            });
        }));
        app.MapGet("/subjects/{subject}/versions/{version}", ctx => Handle(ctx, () =>
            WriteRegistered(ctx, store.GetVersion(Route(ctx, "subject"), Route(ctx, "version")))));
        app.MapPost("/subjects/{subject}/versions", ctx => HandleWithSchema(ctx, schema =>
        {
            var id = store.Register(Route(ctx, "subject"), schema);
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteEndObject();
            });
        }));
        app.MapPost("/subjects/{subject}", ctx => HandleWithSchema(ctx, schema =>
            WriteRegistered(ctx, store.Lookup(Route(ctx, "subject"), schema))));
        app.MapGet("/schemas/ids/{id}", ctx => Handle(ctx, () =>
        {
            var id = int.TryParse(Route(ctx, "id"), out var n) ? n : 0;
            var schema = store.GetSchema(id);
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("schema", schema);
                w.WriteEndObject();
            });
        }));
        app.MapPost("/compatibility/subjects/{subject}/versions/{version}", ctx => HandleWithSchema(ctx, schema =>
        {
            var messages = store.TestCompatibility(Route(ctx, "subject"), schema, Route(ctx, "version"));
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("is_compatible", messages.Count == 0);
                w.WriteStartArray("messages");
                foreach (var m in messages) w.WriteStringValue(m);
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        app.MapGet("/config", ctx => WriteLevel(ctx, "compatibilityLevel", store.GetLevel(null)));
        app.MapGet("/config/{subject}", ctx => WriteLevel(ctx, "compatibilityLevel", store.GetLevel(Route(ctx, "subject"))));
        app.MapPut("/config", ctx => HandleLevel(ctx, store, null));
        app.MapPut("/config/{subject}", ctx => HandleLevel(ctx, store, Route(ctx, "subject")));
    }

    private static string Route(HttpContext ctx, string name) => (string)ctx.Request.RouteValues[name]!;

    private static Task WriteRegistered(HttpContext ctx, RegisteredSchema r) => Json(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString("subject", r.Subject);
        w.WriteNumber("id", r.Id);
        w.WriteNumber("version", r.Version);
        w.WriteString("schema", r.Schema);
        w.WriteEndObject();
    });

    private static Task WriteLevel(HttpContext ctx, string property, CompatibilityLevel level) => Json(ctx, 200, w =>
    {
        w.WriteStartObject();
        w.WriteString(property, level.ToWireName());
        w.WriteEndObject();
    });

    private static async Task HandleLevel(HttpContext ctx, SchemaRegistryStore store, string? subject)
    {
        using var body = await ReadBody(ctx);
        var text = body is not null && body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("compatibility", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()
            : null;
        if (!SchemaCompatibility.TryParse(text, out var level))
        {
            await Error(ctx, new SchemaRegistryException(422, SchemaRegistryException.InvalidCompatibilityLevel, $"Invalid compatibility level '{text}'. Valid values are NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"));
            return;
        }
        await Handle(ctx, () =>
        {
            store.SetLevel(level, subject);
            return WriteLevel(ctx, "compatibility", level);
        });
    }

    private static async Task HandleWithSchema(HttpContext ctx, Func<string, Task> action)
    {
        using var body = await ReadBody(ctx);
        if (body is null || body.RootElement.ValueKind != JsonValueKind.Object
            || !body.RootElement.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.String)
        {
            await Error(ctx, new SchemaRegistryException(422, SchemaRegistryException.InvalidSchema, "Invalid request: the body must be {\"schema\": \"<schema JSON as a string>\"}"));
            return;
        }
        if (body.RootElement.TryGetProperty("schemaType", out var type) && type.GetString() is { } t && t != "AVRO")
        {
            await Error(ctx, new SchemaRegistryException(422, SchemaRegistryException.InvalidSchema, $"Schema type {t} is not supported; this registry holds AVRO only"));
            return;
        }
        await Handle(ctx, () => action(schema.GetString()!));
    }

    private static async Task<JsonDocument?> ReadBody(HttpContext ctx)
    {
        try
        {
            return await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task Handle(HttpContext ctx, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (SchemaRegistryException ex)
        {
            await Error(ctx, ex);
        }
    }

    private static Task Error(HttpContext ctx, SchemaRegistryException ex) => Json(ctx, ex.HttpStatus, w =>
    {
        w.WriteStartObject();
        w.WriteNumber("error_code", ex.ErrorCode);
        w.WriteString("message", ex.Message);
        w.WriteEndObject();
    });

    private static async Task Json(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = ContentType;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted);
    }
}
