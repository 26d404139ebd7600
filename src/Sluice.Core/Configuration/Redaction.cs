using System.Data.Common;

namespace Sluice.Core.Configuration;

/// <summary>Removes secrets from values before they reach a log line.</summary>
public static class Redaction
{
    public const string Mask = "***";

    private static readonly string[] SecretKeyMarkers = ["password", "secret", "token", "sasl.jaas.config", "ssl.key.pem", "credentials", "userinfo"];

    /// <summary>True when a configuration key names a secret (sasl.password, ssl.key.password, Password ...).</summary>
    public static bool IsSecretKey(string key) =>
        SecretKeyMarkers.Any(m => key.Contains(m, StringComparison.OrdinalIgnoreCase));

    /// <summary>A copy of a key/value configuration with every secret value masked.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Redact(IEnumerable<KeyValuePair<string, string>> config) =>
        config.Select(kv => IsSecretKey(kv.Key) ? new KeyValuePair<string, string>(kv.Key, Mask) : kv);

    /// <summary>A connection string with its password (and any other secret) masked.</summary>
    public static string ConnectionString(string connectionString)
    {
        if (string.IsNullOrEmpty(connectionString)) return connectionString;
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in builder.Keys.Cast<string>().ToList())
                if (IsSecretKey(key)) builder[key] = Mask;
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            // Unparseable: say nothing of its content rather than risk leaking a password.
            return "(unparseable connection string)";
        }
    }
}
