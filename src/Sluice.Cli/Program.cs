using System.CommandLine;
using Sluice.Cli.Commands;
using Sluice.Cli.Hosting;
using Sluice.Core.Errors;
using Spectre.Console;

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
root.Subcommands.Add(BrokerCommand.Create());
root.Subcommands.Add(SchemaCommands.Serve());
root.Subcommands.Add(SchemaCommands.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TopicsCommand.Create());
root.Subcommands.Add(TailCommand.Create());
root.Subcommands.Add(VerifyCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // One line per problem and the way out, instead of a wall of help text.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"sluice: {error.Message}");
    Console.Error.WriteLine($"sluice: see '{string.Join(' ', ["sluice", .. parse.CommandResult.Command.Name == root.Name ? [] : new[] { parse.CommandResult.Command.Name }])} --help'");
    return 2;
}

try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
