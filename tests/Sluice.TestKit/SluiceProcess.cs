using System.Diagnostics;

namespace Sluice.TestKit;

/// <summary>What a finished <c>sluice</c> process did.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs the real <c>sluice</c> CLI (sluice.dll copied next to the tests) as a child process.</summary>
public static class SluiceProcess
{
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "sluice.dll");

    /// <summary>Starts sluice with arguments and extra environment; the caller reads and stops it.</summary>
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // An empty working directory of the process's own: no config/sluice.yaml is picked up unless a test passes
            // --config, and what a command writes under ./data by default (the demo's warehouse file and lake) is not
            // shared with the tests beside it.
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("sluice-cwd-").FullName,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        // Children run side by side: each serves /metrics on a free port unless the test chose one.
        if (!info.Environment.ContainsKey("SLUICE__OBSERVE__LISTEN")) info.Environment["SLUICE__OBSERVE__LISTEN"] = "http://127.0.0.1:0";
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>Runs sluice to completion (killing it after <paramref name="timeout"/>) and captures its output.</summary>
    public static async Task<ProcessResult> RunAsync(IEnumerable<string> args, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        using var child = SluiceChild.Start(args, environment, workingDirectory);
        var exitCode = await child.WaitForExitAsync(timeout);
        return new ProcessResult(exitCode, child.StdOut, child.StdErr + (child.StdErr.Length > 0 ? "\n" : ""));
    }
}
