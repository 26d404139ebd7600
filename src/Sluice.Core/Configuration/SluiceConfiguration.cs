using Microsoft.Extensions.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>Builds and validates <see cref="SluiceOptions"/> from the layered sources.</summary>
/// <remarks>
/// Later layers win: built-in defaults, then the YAML file, then <c>SLUICE__SECTION__KEY</c>
/// environment variables, then <c>--set section.key=value</c> arguments.
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
        return builder.Build();
    }

    /// <summary>Binds and validates; unknown keys and unconvertible values are errors that name the key.</summary>
    public static SluiceOptions Bind(IConfiguration configuration)
    {
        var options = new SluiceOptions();
        try
        {
            configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
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

    // The binder's messages name keys as "section:key" inside prose; turn them into our one-line form.
    private static ConfigurationException Explain(InvalidOperationException ex)
    {
        var message = ex.Message;
        if (message.Contains("were not found", StringComparison.Ordinal) || message.Contains("was not found", StringComparison.Ordinal))
        {
            var names = System.Text.RegularExpressions.Regex.Matches(message, @"'([^']+)'").Select(m => m.Groups[1].Value).ToList();
            var typeName = names.FirstOrDefault() ?? "?";
            var section = SectionOf(typeName);
            var keys = names.Skip(1).Select(k => section.Length == 0 ? k : $"{section}.{k}");
            return new ConfigurationException(string.Join(", ", keys), $"unknown key; check the spelling against config/sluice.yaml, which lists every key");
        }
        var path = System.Text.RegularExpressions.Regex.Match(message, @"at '([^']+)' to type '([^']+)'");
        if (path.Success)
        {
            var type = path.Groups[2].Value;
            var hint = type switch
            {
                "System.Int32" or "System.Int64" => "a whole number",
                "System.Double" => "a number such as 0.02",
                "System.TimeSpan" => "a duration written hh:mm:ss, such as 00:01:00",
                "System.Boolean" => "true or false",
                _ => type,
            };
            return new ConfigurationException(path.Groups[1].Value.Replace(':', '.'), $"cannot be read as {hint}");
        }
        return new ConfigurationException("?", message);
    }

    private static string SectionOf(string typeName) => typeName switch
    {
        var t when t.EndsWith(nameof(SluiceOptions), StringComparison.Ordinal) => "",
        var t when t.EndsWith(nameof(KafkaOptions), StringComparison.Ordinal) => "kafka",
        var t when t.EndsWith(nameof(EmbeddedBrokerOptions), StringComparison.Ordinal) => "kafka.embedded",
        var t when t.EndsWith(nameof(TopicOptions), StringComparison.Ordinal) => "kafka.topics",
        var t when t.EndsWith(nameof(GeneratorOptions), StringComparison.Ordinal) => "generator",
        var t when t.EndsWith(nameof(ProcessorOptions), StringComparison.Ordinal) => "processor",
        var t when t.EndsWith(nameof(PostgresOptions), StringComparison.Ordinal) => "postgres",
        var t when t.EndsWith(nameof(LoggingOptions), StringComparison.Ordinal) => "logging",
        _ => "",
    };
}
