using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Sluice.Serve;

/// <summary>Checks the dashboard token on every request: <c>Authorization: Bearer TOKEN</c> or <c>?token=TOKEN</c>; 401 otherwise.</summary>
/// <remarks>Compared in constant time. With no token configured (loopback only, which configuration validation enforces) every request passes.</remarks>
public sealed class TokenGate(string token)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(token.Trim());

    public bool Required => _token.Length > 0;

    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Required) return true;
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(header["Bearer ".Length..].Trim())) return true;
        return request.Query.TryGetValue("token", out var query) && Matches(query.ToString());
    }

    private bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (Allows(context.Request))
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(new { error = "a token is required: send Authorization: Bearer TOKEN or ?token=TOKEN (dashboard.token)" });
    }
}
