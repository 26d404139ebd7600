using System.Net;
using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>The web endpoint <c>process</c> and <c>demo</c> serve: <c>/metrics</c>, <c>/healthz</c>, <c>/readyz</c>.</summary>
public sealed class ObserveOptions
{
    /// <summary>http://host:port to listen on; port 0 picks a free port (the bound URL is logged); empty serves nothing.</summary>
    public string Listen { get; set; } = "http://127.0.0.1:9464";

    /// <summary>Consumer lag (records, summed over the partitions) above which <c>/readyz</c> answers 503.</summary>
    public long ReadyMaxLag { get; set; } = 1_000_000;

    /// <summary>An OTLP collector (http://host:4317 for gRPC, or 4318 with <see cref="OtlpProtocol"/> http) to push metrics to as well; empty pushes nothing.</summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>grpc or http (http/protobuf).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>True when something is served.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Listen);

    /// <summary>The parsed <see cref="Listen"/> URL; call after <see cref="Validate"/>.</summary>
    public Uri ListenUri => new(Listen.Trim());

    /// <summary>True when <see cref="Listen"/> names a loopback address (127.0.0.0/8, ::1 or localhost), which needs no token.</summary>
    public bool IsLoopback =>
        ListenUri.IsLoopback || (IPAddress.TryParse(ListenUri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    internal void Validate(DashboardOptions dashboard)
    {
        if (ReadyMaxLag < 0) ThrowHelper.ThrowConfiguration("observe.readyMaxLag", $"{ReadyMaxLag} must be 0 or more records");
        Check.OneOf("observe.otlpProtocol", OtlpProtocol, "grpc", "http");
        if (OtlpEndpoint.Length > 0 && !(Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https"))
            ThrowHelper.ThrowConfiguration("observe.otlpEndpoint", $"'{OtlpEndpoint}' is not an http(s) URL; write it like http://127.0.0.1:4317, or leave it empty");
        if (!Enabled) return;
        if (!Uri.TryCreate(Listen.Trim(), UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || uri.Query.Length > 0)
            ThrowHelper.ThrowConfiguration("observe.listen", $"'{Listen}' is not an http://host:port URL; write it like http://127.0.0.1:9464 (port 0 picks a free one), or leave it empty to serve nothing");
        if (uri.Port is < 0 or > 65535)
            ThrowHelper.ThrowConfiguration("observe.listen", $"port {uri.Port} is out of range; allowed 0 to 65535");
        if (!IsLoopback && dashboard.Token.Trim().Length < 16)
            ThrowHelper.ThrowConfiguration("dashboard.token", $"observe.listen {Listen} is reachable from other machines, so a token of at least 16 characters is required: set SLUICE__DASHBOARD__TOKEN, or listen on 127.0.0.1");
    }
}

/// <summary>Access to what <c>process</c> and <c>demo</c> serve over HTTP.</summary>
public sealed class DashboardOptions
{
    /// <summary>Required on every request when listening beyond loopback (Authorization: Bearer, or ?token=); set it from the environment (SLUICE__DASHBOARD__TOKEN), never in a file. Never logged.</summary>
    public string Token { get; set; } = "";
}
