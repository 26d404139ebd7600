using System.CommandLine;
using Sluice.Cli.Commands;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Spectre.Console;

// Before anything writes or captures the console: help, tables, errors and logs all leave through the secret mask.
RedactingWriter.Install();

if (Console.IsOutputRedirected)
{
    // Piped or captured output gets plain text at a readable width, not escape codes.
    AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
    AnsiConsole.Profile.Width = 120;
}

var root = new RootCommand("Sluice: a real-time clickstream pipeline for .NET");
GlobalOptions.AddTo(root);
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ProduceCommand.Create());
root.Subcommands.Add(IngestCommand.Create());
root.Subcommands.Add(BrokerCommand.Create());
root.Subcommands.Add(ProcessCommand.Create());
root.Subcommands.Add(SchemaCommands.Serve());
root.Subcommands.Add(SchemaCommands.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TopicsCommand.Create());
root.Subcommands.Add(TailCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());
root.Subcommands.Add(RecordCommand.Create());
root.Subcommands.Add(SinkCommand.Create());
root.Subcommands.Add(LakeCommand.Create());
root.Subcommands.Add(SqlCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(DomainCommand.Create());
root.Subcommands.Add(DlqCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line per problem, the last with the way out, instead of a wall of help text.
    var help = $"see '{CommandPath(parse.CommandResult)} --help'";
    for (var i = 0; i < parse.Errors.Count; i++)
        Console.Error.WriteLine($"sluice: {OneLine(parse.Errors[i])}{(i == parse.Errors.Count - 1 ? $"; {help}" : "")}");
    return 2;
}

try
{
    // SIGTERM and Ctrl+C cancel the command; `process` then checkpoints and leaves its group, which takes longer than
    // System.CommandLine's default 2 s before it gives up on the command and exits with 143.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(90) });
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"sluice: {ex.Message}; see '{CommandPath(parse.CommandResult)} --help'");
    return 2;
}
catch (SluiceException ex)
{
    Console.Error.WriteLine($"sluice: {ex.Message}");
    return 1;
}
catch (OperationCanceledException)
{
    return 130;
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // A bug, not a user error: still one line, plus where to look, instead of an unhandled-exception dump.
    Console.Error.WriteLine($"sluice: unexpected {ex.GetType().Name}: {ex.Message} (set SLUICE_DEBUG=1 for the stack trace)");
    if (Environment.GetEnvironmentVariable("SLUICE_DEBUG") == "1") Console.Error.WriteLine(ex);
    return 1;
}

// "sluice bench kafka", not just "kafka".
static string CommandPath(System.CommandLine.Parsing.SymbolResult? result)
{
    var names = new List<string>();
    for (; result is not null; result = result.Parent)
        if (result is System.CommandLine.Parsing.CommandResult c) names.Add(c.Command is RootCommand ? "sluice" : c.Command.Name);
    names.Reverse();
    return string.Join(' ', names);
}

// The parser lists allowed values one per line ("Must be one of:\n\t'a'\n\t'b'") and may not name the option.
static string OneLine(System.CommandLine.Parsing.ParseError error)
{
    var lines = error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    var text = (lines.Length == 1 ? lines[0] : $"{lines[0]} {string.Join(", ", lines[1..])}").TrimEnd('.');
    var option = error.SymbolResult switch
    {
        System.CommandLine.Parsing.OptionResult o => o.Option.Name,
        System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option.Name,
        _ => null,
    };
    return option is null || text.Contains(option, StringComparison.Ordinal) ? text : $"{option}: {text}";
}
