using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sluice.Serve.Dashboard;

/// <summary>
/// The dashboard's files, embedded in this assembly at build time: the page at <c>/</c>, its script and style sheet
/// and the chart library (uPlot, fetched from npm by the build) under <c>/assets/</c>. Nothing is fetched from
/// elsewhere at run time, so the page works without internet access.
/// </summary>
/// <remarks>
/// Every answer forbids scripts, styles and connections from other origins (Content-Security-Policy), so even a
/// payload that got into the page as markup could not run; the page puts every server value in as text anyway.
/// </remarks>
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";
    private const string Policy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    private static readonly FrozenDictionary<string, (byte[] Bytes, string ContentType)> Files = Load();

    /// <summary>The asset paths served under <c>/assets/</c> (the page itself is <c>/</c>).</summary>
    public static IEnumerable<string> Paths => Files.Keys;

    /// <summary>Maps <c>/</c> (and <c>/dashboard</c>) to the page and <c>/assets/{path}</c> to its files.</summary>
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/", (HttpContext context) => Serve(context, "index.html"));
        endpoints.MapGet("/dashboard", (HttpContext context) => Serve(context, "index.html"));
        endpoints.MapGet("/assets/{**path}", (HttpContext context, string path) => Serve(context, path));
    }

    private static IResult Serve(HttpContext context, string path)
    {
        if (!Files.TryGetValue(path, out var file)) return Results.NotFound();
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-cache";
        return Results.Bytes(file.Bytes, file.ContentType);
    }

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
            files[name[Prefix.Length..]] = (Read(assembly, name), ContentType(name));
        if (!files.ContainsKey("index.html") || !files.ContainsKey("uplot/uPlot.iife.min.js"))
            throw new InvalidOperationException("the dashboard's files are not embedded in Sluice.Serve; rebuild it (eng/fetch-web-assets.sh must succeed)");
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
}
