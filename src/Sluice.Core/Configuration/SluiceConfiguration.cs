using Microsoft.Extensions.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>Builds and validates <see cref="SluiceOptions"/> from the layered sources.</summary>
/// <remarks>
/// Later layers win: built-in defaults, then the YAML file, then <c>SLUICE__SECTION__KEY</c>
/// environment variables, then <c>--set section.key=value</c> arguments. <c>${env:NAME}</c> and <c>${file:PATH}</c> in the
/// value that wins are resolved before binding (<see cref="SecretReferences"/>).
/// </remarks>
public static class SluiceConfiguration
{
    public const string DefaultPath = "config/sluice.yaml";
    public const string EnvironmentPrefix = "SLUICE__";

    /// <summary>Loads the layers into a configuration root (also usable by the host).</summary>
    /// <param name="yamlPath">A YAML file; null uses config/sluice.yaml when it exists.</param>
    /// <param name="sets"><c>key=value</c> overrides, keys dotted.</param>
    public static IConfigurationRoot Build(string? yamlPath, IEnumerable<string> sets)
    {
        var builder = new ConfigurationBuilder();
        if (yamlPath is not null)
        {
            if (!File.Exists(yamlPath)) ThrowHelper.Throw($"configuration file {yamlPath} not found; pass an existing file to --config");
            builder.Add(new YamlConfigurationSource(Path.GetFullPath(yamlPath)));
        }
        else if (File.Exists(DefaultPath))
        {
            builder.Add(new YamlConfigurationSource(Path.GetFullPath(DefaultPath)));
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddInMemoryCollection(ParseSets(sets));
        var root = builder.Build();
        ResolveReferences(root);
        return root;
    }

    /// <summary>Binds and validates; unknown keys and unconvertible values are errors that name the key.</summary>
    public static SluiceOptions Bind(IConfiguration configuration)
    {
        var unknown = UnknownKeys(configuration, typeof(SluiceOptions), "").ToList();
        foreach (var key in unknown)
            if (MovedKeys.TryGetValue(key, out var moved)) throw new ConfigurationException(key, moved);
        if (unknown.Count > 0)
            throw new ConfigurationException(string.Join(", ", unknown), "unknown key; check the spelling against config/sluice.yaml, which lists every key");
        var options = new SluiceOptions();
        try
        {
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw Explain(ex);
        }
        options.Validate();
        return options;
    }

    /// <summary>Build then bind: the usual entry point.</summary>
    public static SluiceOptions Load(string? yamlPath = null, IEnumerable<string>? sets = null) =>
        Bind(Build(yamlPath, sets ?? []));

    // Keys that a domain file now holds: their errors say where the setting went.
    private static readonly Dictionary<string, string> MovedKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["processor.maxPriceCents"] = "is a rule of the domain file now: { code: price_above_maximum, field: price_cents, max: N } in config/domains/ecommerce.yaml; copy that file, change the rule, and set processor.domain to the copy",
        ["processor.maxFutureSkew"] = "is a rule of the domain file now: { code: timestamp_in_future, field: timestamp, maxFutureSkew: \"00:05:00\" } in config/domains/ecommerce.yaml; copy that file, change the rule, and set processor.domain to the copy",
        ["processor.windowSize"] = "never reached the processor: the e-commerce aggregates' windows are fixed (events_1m is 1 minute; docs/streaming.md); remove the key",
    };

    private static Dictionary<string, string?> ParseSets(IEnumerable<string> sets)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var set in sets)
        {
            var eq = set.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) ThrowHelper.Throw($"--set '{set}' is not key=value; write for example --set kafka.partitions=12");
            result[set[..eq].Trim().Replace('.', ':')] = set[(eq + 1)..];
        }
        return result;
    }

    // Only the value that wins is resolved: a variable an overridden layer names need not be set. Setting through the root
    // writes every layer, so the winner stays the winner.
    private static void ResolveReferences(IConfigurationRoot root)
    {
        foreach (var (path, value) in root.AsEnumerable().ToList())
            if (SecretReferences.HasReference(value)) root[path] = SecretReferences.Resolve(value!, OptionsKey(path));
    }

    // "POSTGRES:CONNECTIONSTRING", from SLUICE__POSTGRES__CONNECTIONSTRING, reported as the options spell it: "postgres.connectionString".
    private static string OptionsKey(string path)
    {
        Type? type = typeof(SluiceOptions);
        var parts = new List<string>();
        foreach (var part in path.Split(':'))
        {
            var property = type?.GetProperty(part, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            parts.Add(Dotted(property?.Name ?? part));
            type = property?.PropertyType;
        }
        return string.Join('.', parts);
    }

    // Walks the configuration against the options types, so a typo is reported with its full dotted key.
    private static IEnumerable<string> UnknownKeys(IConfiguration section, Type type, string prefix)
    {
        foreach (var child in section.GetChildren())
        {
            var key = prefix.Length == 0 ? Dotted(child.Key) : $"{prefix}.{Dotted(child.Key)}";
            var property = type.GetProperty(child.Key, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                yield return key;
                continue;
            }
            var propertyType = property.PropertyType;
            // A map's keys are data (ingest.columns), not settings to spell-check.
            if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>)) continue;
            if (propertyType.IsClass && propertyType != typeof(string))
            {
                foreach (var nested in UnknownKeys(child, propertyType, key)) yield return nested;
            }
        }
    }

    // The binder says "Failed to convert configuration value at 'Generator:Users' to type 'System.Int32'".
    private static ConfigurationException Explain(InvalidOperationException ex)
    {
        var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"at '([^']+)' to type '([^']+)'");
        if (!match.Success) return new ConfigurationException(ex.Message, ex);
        var hint = match.Groups[2].Value switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" => "a number such as 0.02",
            "System.TimeSpan" => "a duration written hh:mm:ss, such as 00:01:00",
            "System.Boolean" => "true or false",
            var other => other,
        };
        return new ConfigurationException(Dotted(match.Groups[1].Value), $"cannot be read as {hint}");
    }

    // "Generator:Users" and "GENERATOR__USERS"-style keys reported as "generator.users".
    private static string Dotted(string key) =>
        string.Join('.', key.Split(':').Select(part => part.Length == 0 ? part : char.ToLowerInvariant(part[0]) + part[1..]));
}
