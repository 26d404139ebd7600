using System.CommandLine;

namespace Sluice.Cli.Hosting;

/// <summary>Value rules for options, reported as one-line parse errors.</summary>
internal static class OptionRules
{
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
}
