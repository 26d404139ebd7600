using System.Diagnostics.Metrics;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Streaming.Diagnostics;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The clickstream topology's instruments (meter <c>Sluice.Pipelines.Clickstream</c>), read from the tasks' counters when a reader collects.</summary>
public static class ClickstreamInstruments
{
    public const string MeterName = "Sluice.Pipelines.Clickstream";

    private static readonly Meter Meter = new(MeterName);

    static ClickstreamInstruments()
    {
        var tasks = TaskTelemetry.Shared;
        Meter.CreateObservableCounter("sluice.clickstream.duplicates", () => tasks.Total("duplicates"), "{event}",
            "Events dropped because their event id was seen within the deduplication horizon");
        Meter.CreateObservableCounter("sluice.clickstream.bots", () => tasks.Total("bots"), "{event}",
            "Events flagged as bot traffic");
        Meter.CreateObservableCounter("sluice.quality.alerts", () => Enum.GetValues<QualityAlertTotals.Outcome>().Select(o =>
                new Measurement<long>(QualityAlertTotals.Get(o), new KeyValuePair<string, object?>("outcome", o.ToString().ToLowerInvariant()))),
            "{alert}", "Data-quality alerts by outcome: raised, dropped (queue full), suppressed (cooldown), delivered, failed (an output gave up)");
    }

    /// <summary>Creates the instruments (once); call before a reader subscribes to <see cref="MeterName"/>.</summary>
    public static void EnsureCreated() => Meter.GetHashCode();
}
