using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sluice.Core.Configuration;

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
    public static SluiceOptions LoadOptions(ParseResult parse, params string[] extraSets)
    {
        var sets = (parse.GetValue(Set) ?? []).Concat(extraSets).ToList();
        if (parse.GetValue(LogFormat) is { } format) sets.Add($"logging.format={format}");
        return SluiceConfiguration.Load(parse.GetValue(Config)?.FullName, sets);
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
