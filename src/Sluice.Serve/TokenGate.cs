using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sluice.Serve;

/// <summary>
/// Checks the dashboard token on every request: <c>Authorization: Bearer TOKEN</c>, <c>?token=TOKEN</c>, or the cookie
/// a request with the right <c>?token=</c> was given; 401 otherwise.
/// </summary>
/// <remarks>
/// Compared in constant time. With no token configured (loopback only, which configuration validation enforces) every
/// request passes. The cookie (HttpOnly, SameSite=Strict) is what lets a browser that opened <c>/?token=TOKEN</c> load
/// the page's scripts and style sheets, which it requests without the query.
/// </remarks>
public sealed class TokenGate(string token)
{
    /// <summary>The cookie that carries the token for a browser.</summary>
    public const string Cookie = "sluice_token";

    private readonly byte[] _token = Encoding.UTF8.GetBytes(token.Trim());

    public bool Required => _token.Length > 0;

    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Required) return true;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(header["Bearer ".Length..].Trim())) return true;
        if (request.Cookies.TryGetValue(Cookie, out var cookie) && Matches(cookie)) return true;
        return QueryMatches(request);
    }

    private bool QueryMatches(HttpRequest request) => request.Query.TryGetValue("token", out var query) && Matches(query.ToString());

    private bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (Allows(context.Request))
        {
            if (Required && QueryMatches(context.Request) && !context.Request.Cookies.ContainsKey(Cookie))
                context.Response.Cookies.Append(Cookie, Encoding.UTF8.GetString(_token), new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = context.Request.IsHttps, IsEssential = true,
                });
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new { error = "a token is required: send Authorization: Bearer TOKEN or ?token=TOKEN (dashboard.token)" });
    }
}
