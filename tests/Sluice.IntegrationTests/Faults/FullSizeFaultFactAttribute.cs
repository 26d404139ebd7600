using System.Globalization;

namespace Sluice.IntegrationTests.Faults;

/// <summary>
/// A fault test at the size the issues name (1M events), too long for every CI run: it runs only when
/// SLUICE_FAULT_EVENTS gives the number of events (`./build.sh test-faults` sets 1,000,000), and is skipped saying so otherwise.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FullSizeFaultFactAttribute : FactAttribute
{
    public const string Variable = "SLUICE_FAULT_EVENTS";

    public FullSizeFaultFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } value)
            Skip = $"full-size fault test: set {Variable} (for example {Variable}=1000000, as `./build.sh test-faults` does) to run it";
        else if (!int.TryParse(value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var n) || n < 1_000)
            Skip = $"{Variable}={value} is not a number of events of at least 1,000";
    }

    /// <summary>The number of events SLUICE_FAULT_EVENTS asks for.</summary>
    public static int Events =>
        int.Parse(Environment.GetEnvironmentVariable(Variable)!, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
}
