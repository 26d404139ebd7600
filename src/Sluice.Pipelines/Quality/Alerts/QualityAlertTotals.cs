namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Process-wide alert counts by outcome, for the <c>sluice.quality.alerts</c> instrument.</summary>
public static class QualityAlertTotals
{
    /// <summary>What became of an alert.</summary>
    public enum Outcome
    {
        Raised,
        Dropped,
        Suppressed,
        Delivered,
        Failed,
    }

    private static readonly long[] Counts = new long[5];

    public static void Add(Outcome outcome) => Interlocked.Increment(ref Counts[(int)outcome]);

    public static long Get(Outcome outcome) => Interlocked.Read(ref Counts[(int)outcome]);
}
