using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Core.Errors;

namespace Sluice.Sinks.ClickHouse;

/// <summary>ClickHouse's HTTP interface, as the sink uses it: one statement per request, data in the body as RowBinary.</summary>
/// <remarks>
/// Plain HTTP rather than ClickHouse.Driver: the driver (1.5.0) sends settings with every query that servers before
/// 2024 do not know (<c>output_format_binary_write_json_as_string</c>), reads results as RowBinaryWithNamesAndTypes and
/// binds parameters as <c>{name:Type}</c>; Debian's 18.16 refuses all three (docs/clickhouse.md). Values never enter
/// the SQL text: they travel as RowBinary in the request or response body.
/// </remarks>
internal sealed partial class ClickHouseHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _base;
    private readonly AuthenticationHeaderValue _auth;

    public ClickHouseHttp(Uri url, string user, string password, TimeSpan timeout)
    {
        // A path is kept (a server behind a proxy at /clickhouse/); the query string is each request's own.
        var path = url.AbsolutePath.EndsWith('/') ? url.AbsolutePath : url.AbsolutePath + "/";
        _base = new UriBuilder(url) { UserName = "", Password = "", Path = path, Query = "", Fragment = "" }.Uri;
        _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        _client = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) }) { Timeout = timeout };
    }

    /// <summary>scheme://host:port and any path, what errors and logs name (never credentials).</summary>
    public string Server => _base.GetLeftPart(UriPartial.Path).TrimEnd('/');

    /// <summary>Runs <paramref name="sql"/> (no result expected).</summary>
    public void Execute(string sql, Settings settings, CancellationToken cancellationToken) =>
        Send(settings, query: null, new StringContent(sql, Encoding.UTF8), cancellationToken).Dispose();

    /// <summary>Runs <paramref name="sql"/>, which ends in <c>FORMAT RowBinary</c>, and returns the result's bytes.</summary>
    public byte[] Query(string sql, Settings settings, CancellationToken cancellationToken)
    {
        // The server buffers the result, so an error while it runs is an error status, not a 200 whose body breaks off.
        using var response = Send(settings with { WaitEndOfQuery = true }, query: null, new StringContent(sql, Encoding.UTF8), cancellationToken);
        return response.Content.ReadAsByteArrayAsync(cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Sends <paramref name="rowBinary"/> as the data of <paramref name="insert"/> (<c>INSERT INTO t (…) FORMAT RowBinary</c>).</summary>
    public void Insert(string insert, ReadOnlyMemory<byte> rowBinary, Settings settings, CancellationToken cancellationToken) =>
        Send(settings, insert, new ReadOnlyMemoryContent(rowBinary), cancellationToken).Dispose();

    private HttpResponseMessage Send(Settings settings, string? query, HttpContent body, CancellationToken cancellationToken)
    {
        var parameters = new List<string>(4);
        if (query is not null) parameters.Add("query=" + Uri.EscapeDataString(query));
        if (settings.Database is { } db) parameters.Add("database=" + Uri.EscapeDataString(db));
        if (settings.WaitEndOfQuery) parameters.Add("wait_end_of_query=1");
        if (settings.Session is { } session)
        {
            parameters.Add("session_id=" + Uri.EscapeDataString(session));
            parameters.Add("session_timeout=120");
        }
        var uri = new Uri(_base, "?" + string.Join('&', parameters));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body };
        request.Headers.Authorization = _auth;
        HttpResponseMessage response;
        try
        {
            response = _client.Send(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ClickHouseException(null, Unreachable(ex), transient: true, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClickHouseException(null, $"no answer within {_client.Timeout.TotalSeconds:0} s", transient: true, ex);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = response.Content.ReadAsStringAsync(CancellationToken.None).GetAwaiter().GetResult();
            throw ServerError(response.StatusCode, text);
        }
    }

    public void Dispose() => _client.Dispose();

    private static string Unreachable(HttpRequestException ex)
    {
        var inner = ex.InnerException is SocketException s ? s.Message : ex.Message;
        return inner.ReplaceLineEndings(" ").TrimEnd('.');
    }

    // "Code: 193, e.displayText() = DB::Exception: Wrong password for user x, e.what() = DB::Exception" (18.16), or
    // "Code: 60. DB::Exception: Table sluice.x doesn't exist. (UNKNOWN_TABLE) (version 23.8…)" (newer servers).
    [GeneratedRegex(@"^Code: (?<code>\d+)[.,] (?:e\.displayText\(\) = )?(?:DB::Exception: )?(?<message>.*?)(?:, e\.what\(\) = .*| \(version .*)?$", RegexOptions.Singleline)]
    private static partial Regex ErrorText();

    private static ClickHouseException ServerError(HttpStatusCode status, string body)
    {
        var text = body.Trim();
        var match = ErrorText().Match(text);
        if (!match.Success)
            return new ClickHouseException(null, $"HTTP {(int)status}: {Shorten(text.ReplaceLineEndings(" "))}", transient: (int)status >= 502);
        var code = int.Parse(match.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var message = match.Groups["message"].Value.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        return new ClickHouseException(code, $"Code {code}: {Shorten(message)}", TransientCodes.Contains(code));
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..297] + "...";

    /// <summary>Server errors that a later attempt of the same request can get past: limits, timeouts, network, a lost session.</summary>
    private static readonly HashSet<int> TransientCodes =
    [
        159, // TIMEOUT_EXCEEDED
        164, // READONLY (a replica or a server still starting)
        202, // TOO_MANY_SIMULTANEOUS_QUERIES
        209, // SOCKET_TIMEOUT
        210, // NETWORK_ERROR
        241, // MEMORY_LIMIT_EXCEEDED
        252, // TOO_MANY_PARTS
        372, // SESSION_NOT_FOUND (the server restarted between a batch's requests)
        373, // SESSION_IS_LOCKED
    ];

    /// <summary>Per-request parameters: the database statements run in, and the HTTP session whose temporary tables they see.</summary>
    public readonly record struct Settings(string? Database, string? Session = null, bool WaitEndOfQuery = false);
}

/// <summary>A request ClickHouse refused or that did not reach it; <see cref="Code"/> is the server's error code when it answered.</summary>
internal sealed class ClickHouseException(int? code, string message, bool transient, Exception? inner = null) : Exception(message, inner)
{
    public int? Code { get; } = code;
    public bool IsTransient { get; } = transient;

    /// <summary>No server answered (connection refused, reset, DNS, timeout).</summary>
    public bool Unreachable => Code is null && InnerException is HttpRequestException or TaskCanceledException;
}
