using System.Globalization;
using YamlDotNet.RepresentationModel;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains;

// The simulation section: what a generator simulates for a domain that describes its own event. Its form is checked here;
// what it refers to (fields, rule bounds, session gaps) when a generator compiles it against the domain.
public sealed partial class DomainDefinition
{
    private static SimulationSpec? ParseSimulation(YamlNode? node, string source, bool ownEvent)
    {
        if (node is null) return null;
        if (!ownEvent) Fail(source, node, "simulation", "belongs to a domain that describes its own event; add event: { key: FIELD, time: FIELD }");
        var map = Mapping(node, source, "simulation", "a mapping such as { devices: 60, sites: 6, interval: 30s, metrics: ..., faults: ... }");
        int devices = 0, sites = 0;
        var interval = TimeSpan.Zero;
        var battery = 0.0;
        var fields = SimulationFields.Default;
        List<MetricSimulation>? metrics = null;
        var faults = new SimulationFaults(0, 0, 0, TimeSpan.FromMinutes(15), 0, 0, 0, TimeSpan.FromMinutes(10), 0, TimeSpan.FromSeconds(60));
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"simulation.{prop}";
            switch (prop)
            {
                case "devices": devices = Whole(pv, source, at, 1, 1_000_000); break;
                case "sites": sites = Whole(pv, source, at, 1, 1_000_000); break;
                case "interval": interval = Positive(pv, source, at); break;
                case "batteryShare": battery = Share(pv, source, at); break;
                case "fields": fields = ParseSimulationFields(pv, source, at); break;
                case "metrics": metrics = ParseMetricSimulations(pv, source, at); break;
                case "faults": faults = ParseFaults(pv, source, at, faults); break;
                default:
                    Fail(source, pk, at, "unknown property; simulation has devices, sites, interval, batteryShare, fields, metrics and faults");
                    break;
            }
        }
        if (devices == 0) Fail(source, map, "simulation.devices", "missing; how many devices report, such as 60");
        if (sites == 0) Fail(source, map, "simulation.sites", "missing; how many sites the devices are spread over, such as 6");
        if (interval == TimeSpan.Zero) Fail(source, map, "simulation.interval", "missing; how often each device reports every metric, such as 30s");
        if (metrics is null || metrics.Count == 0) Fail(source, map, "simulation.metrics", "missing; list each metric: { temperature: { unit: C, mean: 21, spread: 2 } }");
        if (sites > devices) Fail(source, map, "simulation.sites", $"{sites} sites for {devices} devices would leave sites empty");
        return new SimulationSpec(devices, sites, interval, battery, fields, metrics, faults, (int)map.Start.Line);
    }

    private static SimulationFields ParseSimulationFields(YamlNode node, string source, string key)
    {
        var map = Mapping(node, source, key, "a mapping such as { site: site_id, metric: metric, value: value, unit: unit, battery: battery }");
        var fields = SimulationFields.Default;
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var name = FieldName(pv, source, $"{key}.{prop}");
            fields = prop switch
            {
                "site" => fields with { Site = name },
                "metric" => fields with { Metric = name },
                "value" => fields with { Value = name },
                "unit" => fields with { Unit = name },
                "battery" => fields with { Battery = name },
                _ => Invalid<SimulationFields>(source, pk, $"{key}.{prop}", "unknown property; fields has site, metric, value, unit and battery"),
            };
        }
        return fields;
    }

    private static List<MetricSimulation> ParseMetricSimulations(YamlNode node, string source, string key)
    {
        var map = Mapping(node, source, key, "a mapping of metric -> { unit: C, mean: 21, spread: 2 }");
        var metrics = new List<MetricSimulation>();
        foreach (var (mk, mv) in map.Children)
        {
            var name = Scalar(mk);
            var at = $"{key}.{name}";
            var spec = Mapping(mv, source, at, "a mapping such as { unit: C, mean: 21, spread: 2 }");
            string? unit = null;
            double? mean = null, spread = null;
            foreach (var (pk, pv) in spec.Children)
            {
                var prop = Scalar(pk);
                switch (prop)
                {
                    case "unit": unit = Value(pv, $"{at}.unit"); break;
                    case "mean": mean = Real(pv, source, $"{at}.mean"); break;
                    case "spread":
                        spread = Real(pv, source, $"{at}.spread");
                        if (spread < 0) Fail(source, pv, $"{at}.spread", "must be zero or positive");
                        break;
                    default: Fail(source, pk, $"{at}.{prop}", "unknown property; a metric has unit, mean and spread"); break;
                }
            }
            if (unit is null) Fail(source, spec, $"{at}.unit", "missing; the unit the readings are in, such as C");
            if (mean is null) Fail(source, spec, $"{at}.mean", "missing; a healthy device's mean reading");
            if (spread is null) Fail(source, spec, $"{at}.spread", "missing; the standard deviation around the mean");
            metrics.Add(new MetricSimulation(name, unit, mean.Value, spread.Value, (int)mk.Start.Line));
        }
        return metrics;
    }

    private static SimulationFaults ParseFaults(YamlNode node, string source, string key, SimulationFaults faults)
    {
        var map = Mapping(node, source, key, "a mapping such as { outOfRange: 0.005, duplicates: 0.01, late: { rate: 0.003, delay: 10m } }");
        foreach (var (pk, pv) in map.Children)
        {
            var prop = Scalar(pk);
            var at = $"{key}.{prop}";
            switch (prop)
            {
                case "outOfRange": faults = faults with { OutOfRange = Share(pv, source, at) }; break;
                case "duplicates": faults = faults with { Duplicates = Share(pv, source, at) }; break;
                case "drift":
                    var drift = Mapping(pv, source, at, "{ devices: 0.1, perHour: 0.5 }: the share of devices that drift, and by how many spreads an hour");
                    foreach (var (dk, dv) in drift.Children)
                    {
                        faults = Scalar(dk) switch
                        {
                            "devices" => faults with { DriftDevices = Share(dv, source, $"{at}.devices") },
                            "perHour" => faults with { DriftPerHour = Real(dv, source, $"{at}.perHour") },
                            var other => Invalid<SimulationFaults>(source, dk, $"{at}.{other}", "unknown property; drift has devices and perHour"),
                        };
                    }
                    break;
                case "silence":
                    var silence = Mapping(pv, source, at, "{ rate: 0.002, span: 15m }: the chance per device and interval of going silent, and for how long");
                    foreach (var (sk, sv) in silence.Children)
                    {
                        faults = Scalar(sk) switch
                        {
                            "rate" => faults with { SilenceRate = Share(sv, source, $"{at}.rate") },
                            "span" => faults with { SilenceSpan = Positive(sv, source, $"{at}.span") },
                            var other => Invalid<SimulationFaults>(source, sk, $"{at}.{other}", "unknown property; silence has rate and span"),
                        };
                    }
                    break;
                case "late":
                    var late = Mapping(pv, source, at, "{ rate: 0.003, delay: 10m }: the share of readings delivered late, and how late");
                    foreach (var (lk, lv) in late.Children)
                    {
                        faults = Scalar(lk) switch
                        {
                            "rate" => faults with { Late = Share(lv, source, $"{at}.rate") },
                            "delay" => faults with { LateDelay = Positive(lv, source, $"{at}.delay") },
                            var other => Invalid<SimulationFaults>(source, lk, $"{at}.{other}", "unknown property; late has rate and delay"),
                        };
                    }
                    break;
                case "disorder":
                    var disorder = Mapping(pv, source, at, "{ rate: 0.05, within: 60s }: the share of readings delivered out of order, and by at most how much");
                    foreach (var (ok, ov) in disorder.Children)
                    {
                        faults = Scalar(ok) switch
                        {
                            "rate" => faults with { Disorder = Share(ov, source, $"{at}.rate") },
                            "within" => faults with { DisorderWithin = Positive(ov, source, $"{at}.within") },
                            var other => Invalid<SimulationFaults>(source, ok, $"{at}.{other}", "unknown property; disorder has rate and within"),
                        };
                    }
                    break;
                default:
                    Fail(source, pk, at, "unknown fault; faults has drift, silence, outOfRange, duplicates, late and disorder");
                    break;
            }
        }
        if (faults.OutOfRange + faults.Duplicates + faults.Late + faults.Disorder > 1)
            Fail(source, map, key, "outOfRange, duplicates, late and disorder are shares of the readings and add up to more than 1");
        return faults;
    }

    private static double Real(YamlNode node, string source, string key) =>
        node is YamlScalarNode && double.TryParse(Value(node, key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : Invalid<double>(source, node, key, $"'{Scalar(node)}' is not a number");

    private static double Share(YamlNode node, string source, string key)
    {
        var v = Real(node, source, key);
        if (v is < 0 or > 1) Fail(source, node, key, $"{Scalar(node)} is not a share; write a number from 0 to 1, such as 0.01");
        return v;
    }

    private static int Whole(YamlNode node, string source, string key, int min, int max) =>
        node is YamlScalarNode && int.TryParse(Value(node, key), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : Invalid<int>(source, node, key, $"'{Scalar(node)}' is not a whole number from {min} to {max:N0}");
}
