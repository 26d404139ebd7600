using System.Text.Encodings.Web;

namespace Sluice.Core.Configuration;

/// <summary>The process-wide set of secret values, and the step that masks them in text meant for a person.</summary>
/// <remarks>
/// <see cref="SecretReferences"/> registers every value a reference resolves to, and configuration loading registers the
/// keys that are secrets however they are written. The CLI passes its console output, logs included, through
/// <see cref="Redact"/>. A value shorter than <see cref="MinimumLength"/> is not registered: masking "ab" would mask
/// every "ab" in every line, and a secret that short protects nothing anyway.
/// </remarks>
public static class SecretRedactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>Shorter values are not masked (see the remarks).</summary>
    public const int MinimumLength = 4;

    private static readonly Lock Gate = new();

    // Longest first, so that a secret containing another is masked whole. Replaced, never mutated: readers take no lock.
    private static string[] _secrets = [];

    /// <summary>True once any secret is registered; until then <see cref="Redact"/> returns its input.</summary>
    public static bool IsActive => Volatile.Read(ref _secrets).Length > 0;

    /// <summary>Masks <paramref name="secret"/> from now on, as written and as a JSON string escapes it, and each of its lines.</summary>
    public static void Register(string? secret)
    {
        if (secret is null || secret.Length < MinimumLength) return;
        lock (Gate)
        {
            var set = new HashSet<string>(_secrets, StringComparer.Ordinal);
            var added = false;
            foreach (var form in Forms(secret))
                if (form.Length >= MinimumLength) added |= set.Add(form);
            if (added) Volatile.Write(ref _secrets, [.. set.OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal)]);
        }
    }

    /// <summary><paramref name="text"/> with every registered secret replaced by <see cref="Mask"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var secret in Volatile.Read(ref _secrets))
            if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }

    /// <summary>
    /// The length of the longest end of <paramref name="text"/> that begins a secret: a writer holds those characters back
    /// until the next write tells whether the secret follows.
    /// </summary>
    public static int PartialSecretAtEnd(ReadOnlySpan<char> text)
    {
        var longest = 0;
        foreach (var secret in Volatile.Read(ref _secrets))
        {
            for (var start = Math.Max(0, text.Length - secret.Length + 1); start < text.Length; start++)
            {
                var tail = text[start..];
                if (tail.Length <= longest) break;
                if (secret.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                {
                    longest = tail.Length;
                    break;
                }
            }
        }
        return longest;
    }

    // JSON logs escape quotes, backslashes, non-ASCII and HTML-sensitive characters; a multi-line secret (a key file)
    // may be printed a line at a time, and its indentation alone is no secret.
    private static IEnumerable<string> Forms(string secret)
    {
        yield return secret;
        yield return JavaScriptEncoder.Default.Encode(secret);
        if (!secret.Contains('\n', StringComparison.Ordinal)) yield break;
        foreach (var line in secret.Split('\n'))
            yield return line.Trim();
    }
}
