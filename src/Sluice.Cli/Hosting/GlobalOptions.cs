using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;

namespace Sluice.Cli.Hosting;

/// <summary>Options every command takes, and the configuration and logging they produce.</summary>
internal static class GlobalOptions
{
    public static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "YAML configuration file (default: config/sluice.yaml when present)",
        Recursive = true,
    };

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override a configuration key, e.g. --set kafka.partitions=12 (repeatable)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> LogFormat = new("--log-format")
    {
        Description = "console or json (default: logging.format)",
        Recursive = true,
    };

    static GlobalOptions()
    {
        LogFormat.AcceptOnlyFromAmong("console", "json");
    }

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Config);
        root.Options.Add(Set);
        root.Options.Add(LogFormat);
    }

    /// <summary>Loads and validates the layered configuration for a parsed command line.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="bound">
    /// Options that set a configuration key when they are typed; they win over every layer, <c>--set</c> included.
    /// An invalid value is reported against the option, as a bad command line.
    /// </param>
    public static SluiceOptions LoadOptions(ParseResult parse, params OptionKey[] bound)
    {
        var typed = bound.Select(b => (Binding: b, Value: b.Value(parse))).Where(t => t.Value is not null).ToList();
        var sets = (parse.GetValue(Set) ?? []).ToList();
        sets.AddRange(typed.Select(t => $"{t.Binding.Key}={t.Value}"));
        if (parse.GetValue(LogFormat) is { } format) sets.Add($"logging.format={format}");
        try
        {
            return SluiceConfiguration.Load(parse.GetValue(Config)?.FullName, sets);
        }
        catch (ConfigurationException ex) when (typed.LastOrDefault(t => t.Binding.Key.Equals(ex.Key, StringComparison.OrdinalIgnoreCase)) is { Binding: { } b })
        {
            throw new UsageException($"{b.Option.Name}: {ex.Problem}", ex);
        }
    }

    /// <summary>Console logging to stderr (stdout is for tables), readable or JSON, at the configured level.</summary>
    public static ILoggerFactory CreateLoggerFactory(LoggingOptions options, LogLevel? minimum = null) =>
        LoggerFactory.Create(b =>
        {
            var level = minimum ?? Enum.Parse<LogLevel>(options.Level, ignoreCase: true);
            b.SetMinimumLevel(level);
            if (options.Format.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                b.AddJsonConsole(o =>
                {
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    o.UseUtcTimestamp = true;
                });
            }
            else
            {
                b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                    o.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
                });
            }
            b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
}

/// <summary>A command-line option that stands for a configuration key: typed, its value is that key's.</summary>
internal sealed record OptionKey(Option Option, string Key, Func<ParseResult, string?> Value)
{
    /// <summary>Binds <paramref name="option"/> to <paramref name="key"/>; the option's own default never overrides the configuration.</summary>
    public static OptionKey Of<T>(Option<T> option, string key) =>
        new(option, key, parse => parse.GetResult(option) is { Implicit: false } ? Text(parse.GetValue(option)) : null);

    private static string? Text(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

/// <summary>A bad command line: an option value that cannot be used. Exit code 2, like the parser's own errors.</summary>
internal sealed class UsageException(string message, Exception? inner = null) : SluiceException(message, isTransient: false, inner);
