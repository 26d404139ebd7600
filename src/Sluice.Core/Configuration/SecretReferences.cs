using System.Text;
using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>Resolves <c>${env:NAME}</c> and <c>${file:PATH}</c> references in configuration and domain values.</summary>
/// <remarks>
/// A reference may stand alone or sit inside other text (<c>Host=db;Password=${env:PGPASS}</c>); <c>$${</c> is a literal
/// <c>${</c>. <c>${env:NAME}</c> is the environment variable's value; <c>${file:PATH}</c> is the file's content less one
/// trailing newline, with a relative path taken from the working directory, as every other path in the configuration is.
/// What a reference resolves to is not scanned again. Every resolved value is a secret: it is registered with
/// <see cref="SecretRedactor"/>, and an error about a reference names the key, the variable or the path, never a value.
/// </remarks>
public static class SecretReferences
{
    private const string Open = "${";
    private const string Literal = "write $${ for a literal ${";

    /// <summary>True when <paramref name="value"/> holds a reference or an escaped <c>$${</c>.</summary>
    public static bool HasReference(string? value) => value is not null && value.Contains(Open, StringComparison.Ordinal);

    /// <summary><paramref name="value"/> with its references replaced by what they name, each registered as a secret.</summary>
    /// <param name="value">A configuration or domain value as written.</param>
    /// <param name="key">The dotted key the value belongs to, for errors (for example <c>postgres.connectionString</c>).</param>
    /// <exception cref="ConfigurationException">A variable is not set, a file cannot be read, or a reference is malformed.</exception>
    public static string Resolve(string value, string key)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!HasReference(value)) return value;
        var text = new StringBuilder(value.Length);
        var at = 0;
        while (at < value.Length)
        {
            var open = value.IndexOf(Open, at, StringComparison.Ordinal);
            if (open < 0)
            {
                text.Append(value, at, value.Length - at);
                break;
            }
            if (open > at && value[open - 1] == '$')
            {
                text.Append(value, at, open - 1 - at).Append(Open);
                at = open + Open.Length;
                continue;
            }
            text.Append(value, at, open - at);
            var close = value.IndexOf('}', open);
            if (close < 0)
                ThrowHelper.ThrowConfiguration(key, $"a reference opened with ${{ is never closed with }}; write ${{env:NAME}} or ${{file:PATH}}, or {Literal}");
            var resolved = Reference(value[(open + Open.Length)..close], key);
            SecretRedactor.Register(resolved);
            text.Append(resolved);
            at = close + 1;
        }
        return text.ToString();
    }

    private static string Reference(string reference, string key)
    {
        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? "" : reference[..colon];
        var name = colon < 0 ? "" : reference[(colon + 1)..];
        if (kind == "env" && name.Length > 0) return Variable(name, key);
        if (kind == "file" && name.Length > 0) return FileContent(name, key);
        // The text between the braces is not quoted: a mistyped reference may hold the secret itself.
        return ThrowHelper.ThrowConfiguration<string>(key, $"a reference must be ${{env:NAME}} or ${{file:PATH}}; {Literal}");
    }

    private static string Variable(string name, string key) =>
        Environment.GetEnvironmentVariable(name)
        ?? ThrowHelper.ThrowConfiguration<string>(key, $"${{env:{name}}}: the environment variable {name} is not set; set it, or {Literal}");

    private static string FileContent(string path, string key)
    {
        var full = Path.GetFullPath(path);
        string content;
        try
        {
            content = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return ThrowHelper.ThrowConfiguration<string>(key, $"${{file:{path}}}: the file {full} does not exist; create it, or give the path of one");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ThrowHelper.ThrowConfiguration<string>(key, $"${{file:{path}}}: the file {full} cannot be read ({ex.Message.TrimEnd('.')}); check it is a file Sluice may read");
        }
        // Editors and `echo` end a file with a newline that is no part of the password.
        if (content.EndsWith("\r\n", StringComparison.Ordinal)) return content[..^2];
        return content.EndsWith('\n') ? content[..^1] : content;
    }
}
