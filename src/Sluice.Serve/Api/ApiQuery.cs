using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Sluice.Serve.Api;

/// <summary>A query value the API cannot use; answered 400 with the parameter's name.</summary>
public sealed class BadQueryException(string parameter, string problem) : Exception($"query parameter '{parameter}': {problem}")
{
    public string Parameter { get; } = parameter;
}

/// <summary>Reads the API's query values: whole numbers within bounds and optional text.</summary>
internal static class ApiQuery
{
    /// <summary>The whole number <paramref name="name"/> in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public static int Int(HttpRequest request, string name, int fallback, int min, int max)
    {
        if (!request.Query.TryGetValue(name, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0])) return fallback;
        if (values.Count > 1) throw new BadQueryException(name, "give it once");
        if (!int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            throw new BadQueryException(name, $"'{values[0]}' is not a whole number from {min} to {max}");
        return n;
    }

    /// <summary>The text <paramref name="name"/>, or null when absent or empty.</summary>
    public static string? Text(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0])) return null;
        if (values.Count > 1) throw new BadQueryException(name, "give it once");
        if (values[0]!.Length > 200) throw new BadQueryException(name, "longer than 200 characters");
        return values[0];
    }
}
