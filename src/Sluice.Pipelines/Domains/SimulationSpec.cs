namespace Sluice.Pipelines.Domains;

/// <summary>The <c>simulation</c> section: the devices a generator simulates for a domain that describes its own event, and the faults it injects.</summary>
/// <remarks>
/// The model is the IoT shape: <see cref="Devices"/> devices spread over <see cref="Sites"/> sites, each reporting every
/// metric every <see cref="Interval"/>. <see cref="Fields"/> names the domain fields the generator fills; the key, time
/// and id come from the <c>event</c> section.
/// </remarks>
/// <param name="BatteryShare">The share of devices on battery; the rest are mains-powered and send no battery field.</param>
public sealed record SimulationSpec(
    int Devices, int Sites, TimeSpan Interval, double BatteryShare, SimulationFields Fields,
    IReadOnlyList<MetricSimulation> Metrics, SimulationFaults Faults, int Line);

/// <summary>Which domain fields carry the site, the metric's name, its value, its unit and the battery level.</summary>
public sealed record SimulationFields(string Site, string Metric, string Value, string Unit, string Battery)
{
    /// <summary>The IoT file's names: site_id, metric, value, unit, battery.</summary>
    public static SimulationFields Default { get; } = new("site_id", "metric", "value", "unit", "battery");
}

/// <summary>One metric: its unit, and the normal distribution its readings are drawn from.</summary>
/// <param name="Mean">A healthy device's mean reading.</param>
/// <param name="Spread">The standard deviation of readings around the mean; drift is measured in spreads too.</param>
public sealed record MetricSimulation(string Name, string Unit, double Mean, double Spread, int Line);

/// <summary>The faults a simulation injects, each as a rate.</summary>
/// <param name="DriftDevices">The share of devices whose readings drift.</param>
/// <param name="DriftPerHour">How far a drifting device's readings move per hour of simulated time, in spreads.</param>
/// <param name="SilenceRate">The chance, per device and interval, that the device goes silent.</param>
/// <param name="SilenceSpan">How long a silent device sends nothing: longer than every session gap, so its session splits.</param>
/// <param name="OutOfRange">The share of readings with a value outside the bounds of the rule for its metric.</param>
/// <param name="Duplicates">The share of readings sent a second time (the same reading id) shortly after.</param>
/// <param name="Late">The share of readings delivered <see cref="LateDelay"/> after they were taken: after their window closed.</param>
/// <param name="Disorder">The share of readings delivered up to <see cref="DisorderWithin"/> after they were taken: out of order, but within the watermark's bound.</param>
public sealed record SimulationFaults(
    double DriftDevices, double DriftPerHour, double SilenceRate, TimeSpan SilenceSpan, double OutOfRange, double Duplicates,
    double Late, TimeSpan LateDelay, double Disorder, TimeSpan DisorderWithin);
