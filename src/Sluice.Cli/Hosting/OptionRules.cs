using System.CommandLine;
using Sluice.Core.Errors;

namespace Sluice.Cli.Hosting;

/// <summary>Value rules for options, reported as one-line parse errors, and checks of the paths options name.</summary>
internal static class OptionRules
{
    /// <summary>The longest wall-clock wait a command accepts (timers in .NET stop at about 49 days).</summary>
    public static readonly TimeSpan MaxWallClock = TimeSpan.FromDays(30);

    /// <summary>Adds a rule; a value that does not even parse is left to the parser's own error.</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> isValid, string message)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // unparseable: System.CommandLine already reports "Cannot parse argument ..."
            }
            if (!isValid(value)) result.AddError(message);
        });
        return option;
    }

    /// <summary>
    /// Fails now, before anything starts, when a file an option names could not be written at the end of a run:
    /// creates its directory if missing, as the writer would, and a scratch file beside it.
    /// </summary>
    public static void EnsureWritable(string path, string option)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) ThrowHelper.Throw($"{option} {path} is a directory; give a file name");
        var directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Throw($"{option} {path}: the directory {directory} cannot be created ({ex.Message.TrimEnd('.')}); choose a path in a writable directory", inner: ex);
        }
        try
        {
            using var probe = new FileStream(full + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Throw($"{option} {path} cannot be written ({ex.Message.TrimEnd('.')}); choose a path in a writable directory", inner: ex);
        }
    }
}
