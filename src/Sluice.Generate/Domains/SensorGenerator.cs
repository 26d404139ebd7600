using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Generate.Randomness;
using Sluice.Pipelines.Domains;

namespace Sluice.Generate.Domains;

/// <summary>Seeded sensor traffic for a domain file's <c>simulation</c> section: devices on sites reporting every metric every interval, with faults on purpose.</summary>
/// <remarks>
/// <para>The same domain, seed, count and start give the same bytes in the same order on every machine (<see cref="Prng"/>).
/// Time is simulated from the start: round k is at start + k × interval, each device at its own offset within the round,
/// each metric a millisecond after the one before. A reading's Kafka timestamp is its own time, so the file's maxAge
/// rule never fires.</para>
/// <para>Values are drawn from each metric's normal distribution, moved by drift, rounded to hundredths and kept inside
/// the bounds of the rule on the value field for that metric, so a healthy reading breaks no rule. Delivery is in time
/// order but for the faults: a disordered reading arrives up to <c>within</c> after it was taken, which must be less than
/// the event's maxOutOfOrderness (so it is always on time: the watermark is at most the newest time delivered minus
/// that bound); a late one arrives <c>delay</c> after, which must be at least twice maxOutOfOrderness plus the finest
/// window advance (so its window has closed by then, as long as its partition receives other readings meanwhile). A
/// duplicate is a second copy of a healthy reading, 1 to 31 seconds after it. Faults are exclusive: one per reading.</para>
/// </remarks>
public sealed class SensorGenerator
{
    private readonly DomainDefinition _domain;
    private readonly SimulationSpec _sim;
    private readonly (double Min, double Max, string? Code)[] _bounds;

    /// <summary>Compiles the generator for <paramref name="domain"/>, which must have event and simulation sections.</summary>
    /// <exception cref="ConfigurationException">Naming the key, the file and the line of what does not fit the domain.</exception>
    public SensorGenerator(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _domain = domain;
        if (domain.Event is not { } e) throw Error("event", 0, $"the {domain.Name} domain has no event section; a simulation fills the fields of its own event");
        if (domain.Simulation is not { } sim) throw Error("simulation", 0, $"the {domain.Name} domain has no simulation section; add one (see config/domains/iot.yaml)");
        _sim = sim;
        var f = sim.Fields;
        Names = new SensorFieldNames(e.Key, e.Time, e.Id ?? "", f.Site, f.Metric, f.Value, f.Unit, f.Battery);
        foreach (var (key, name) in new[] { ("site", f.Site), ("metric", f.Metric), ("value", f.Value), ("unit", f.Unit), ("battery", f.Battery) })
        {
            if (domain.Fields.All(x => x.Name != name))
                throw Error($"simulation.fields.{key}", sim.Line, $"'{name}' is not a field of the {domain.Name} event; it has {string.Join(", ", domain.Fields.Select(x => x.Name))}");
        }
        if (e.Id is null) throw Error("event.id", e.Line, "a simulation sends duplicates by id; name the id field");
        var metricField = domain.Fields.First(x => x.Name == f.Metric);
        _bounds = new (double, double, string?)[sim.Metrics.Count];
        for (var i = 0; i < sim.Metrics.Count; i++)
        {
            var m = sim.Metrics[i];
            if (metricField.Type == FieldType.Enum && !metricField.Values.Contains(m.Name))
                throw Error($"simulation.metrics.{m.Name}", m.Line, $"'{m.Name}' is not a value of {f.Metric}; it has {string.Join(", ", metricField.Values)}");
            var rule = domain.Rules.FirstOrDefault(r => r.Field == f.Value && (r.Min is { Field: null } || r.Max is { Field: null }) &&
                r.When.All(c => c.Field == f.Metric && c.Values is { } v && v.Contains(m.Name)));
            _bounds[i] = (rule?.Min is { Field: null } lo ? lo.Real : double.NegativeInfinity, rule?.Max is { Field: null } hi ? hi.Real : double.PositiveInfinity, rule?.Code);
            if (sim.Faults.OutOfRange > 0 && rule is null)
                throw Error($"simulation.metrics.{m.Name}", m.Line, $"no rule bounds {f.Value} when {f.Metric} is {m.Name}, so no reading of it can be out of range; add one, or set faults.outOfRange to 0");
            var units = domain.Rules.FirstOrDefault(r => r.Field == f.Unit && r.In is not null && r.When.Count == 0);
            if (units?.In is { } allowed && !allowed.Contains(m.Unit))
                throw Error($"simulation.metrics.{m.Name}.unit", m.Line, $"'{m.Unit}' breaks the rule {units.Code} (line {units.Line}), which allows {string.Join(", ", allowed)}");
        }
        var gaps = domain.Aggregates.Where(a => a.Window.Kind == WindowKind.Session).Select(a => a.Window.Size).ToList();
        if (sim.Faults.SilenceRate > 0 && gaps.Count > 0 && sim.Faults.SilenceSpan <= gaps.Max())
            throw Error("simulation.faults.silence.span", sim.Line, $"{sim.Faults.SilenceSpan:c} is not longer than the session gap {gaps.Max():c}; a silence must split a session");
        var ooo = e.MaxOutOfOrderness;
        if (sim.Faults.Disorder > 0 && sim.Faults.DisorderWithin >= ooo)
            throw Error("simulation.faults.disorder.within", sim.Line, $"{sim.Faults.DisorderWithin:c} is not within maxOutOfOrderness {ooo:c}; disordered readings must stay on time");
        var advances = domain.Aggregates.Where(a => a.Window.Kind != WindowKind.Session).Select(a => a.Window.Advance).DefaultIfEmpty(TimeSpan.Zero);
        var needed = 2 * (ooo + advances.Min());
        if (sim.Faults.Late > 0 && sim.Faults.LateDelay < needed)
            throw Error("simulation.faults.late.delay", sim.Line, $"{sim.Faults.LateDelay:c} is less than {needed:c} (twice maxOutOfOrderness plus the finest window advance); a late reading must arrive after its window closed");
    }

    /// <summary>The fields the generator fills, by role.</summary>
    public SensorFieldNames Names { get; }

    /// <summary>The domain it generates for.</summary>
    public DomainDefinition Domain => _domain;

    /// <summary>Simulated time the run of <paramref name="records"/> records spans, delays included: for choosing a start that keeps every reading in the past.</summary>
    public TimeSpan Span(int records)
    {
        var perRound = Math.Max(1, _sim.Devices * _sim.Metrics.Count);
        var rounds = records / perRound + 1;
        // Silences and duplicates take slots of rounds away; a third more covers them at any sane rate.
        return _sim.Interval * (rounds * 4 / 3 + 2) + _sim.Faults.LateDelay;
    }

    /// <summary>Generates <paramref name="records"/> records (duplicates included) from <paramref name="startMs"/> with <paramref name="seed"/>, in delivery order.</summary>
    public SensorTraffic Generate(long seed, int records, long startMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(records);
        var prng = new Prng(seed);
        var sim = _sim;
        var faults = sim.Faults;
        var intervalMs = (long)sim.Interval.TotalMilliseconds;
        var devices = new Device[sim.Devices];
        var drifting = 0;
        for (var i = 0; i < devices.Length; i++)
        {
            var onBattery = prng.Chance(sim.BatteryShare);
            var drifts = prng.Chance(faults.DriftDevices);
            if (drifts) drifting++;
            devices[i] = new Device(
                string.Create(CultureInfo.InvariantCulture, $"dev-{i + 1:D4}"),
                string.Create(CultureInfo.InvariantCulture, $"site-{i % sim.Sites + 1:D2}"),
                intervalMs * i / devices.Length,
                onBattery ? 60 + 40 * prng.NextDouble() : null,
                drifts ? (prng.Chance(0.5) ? 1 : -1) * faults.DriftPerHour : 0);
        }

        var pending = new List<(long Delivery, int Seq, SensorReading Reading)>(records);
        var silences = 0;
        var buffer = new ArrayBufferWriter<byte>(256);
        using var json = new Utf8JsonWriter(buffer);
        for (long round = 0; pending.Count < records; round++)
        {
            var roundStart = startMs + round * intervalMs;
            foreach (var d in devices)
            {
                if (pending.Count >= records) break;
                if (d.SilentUntil > roundStart) continue;
                if (prng.Chance(faults.SilenceRate))
                {
                    d.SilentUntil = roundStart + (long)faults.SilenceSpan.TotalMilliseconds;
                    silences++;
                    continue;
                }
                var at = roundStart + d.Offset;
                var hours = (at - startMs) / 3_600_000.0;
                double? battery = d.Battery is { } level ? Math.Round(Math.Max(5, level - 0.5 * hours), 1) : null;
                for (var j = 0; j < sim.Metrics.Count && pending.Count < records; j++)
                {
                    var m = sim.Metrics[j];
                    var (min, max, code) = _bounds[j];
                    var time = at + j;
                    var value = m.Mean + d.Drift * m.Spread * hours + m.Spread * Gaussian(prng);
                    value = Math.Clamp(Math.Round(value, 2), Inside(min, 1), Inside(max, -1));
                    var u = prng.NextDouble();
                    var fault = ReadingFault.None;
                    string? expected = null;
                    if ((u -= faults.OutOfRange) < 0)
                    {
                        fault = ReadingFault.OutOfRange;
                        expected = code;
                        var beyond = Math.Max(m.Spread, 1) * (1 + 3 * prng.NextDouble());
                        var above = double.IsFinite(max) && (!double.IsFinite(min) || prng.Chance(0.5));
                        value = Math.Round(above ? max + beyond : min - beyond, 2);
                    }
                    else if ((u -= faults.Duplicates) < 0) fault = ReadingFault.Duplicate;
                    else if ((u -= faults.Late) < 0) fault = ReadingFault.Late;
                    else if ((u -= faults.Disorder) < 0) fault = ReadingFault.Disorder;

                    var id = string.Create(CultureInfo.InvariantCulture, $"{d.Id}-{round}-{j}");
                    buffer.ResetWrittenCount();
                    json.Reset(buffer);
                    Write(json, id, d, m, value, battery, time);
                    var bytes = buffer.WrittenSpan.ToArray();
                    var delivery = fault switch
                    {
                        ReadingFault.Late => time + (long)faults.LateDelay.TotalMilliseconds,
                        ReadingFault.Disorder => time + 1 + prng.NextLong(0, Math.Max(1, (long)faults.DisorderWithin.TotalMilliseconds - 1)),
                        _ => time,
                    };
                    var reading = new SensorReading(d.Id, bytes, time, fault == ReadingFault.Duplicate ? ReadingFault.None : fault, expected,
                        id, d.Id, d.Site, m.Name, value, m.Unit, battery, time);
                    pending.Add((delivery, pending.Count, reading));
                    // The copy counts as a record of its own; a run ends with no original whose copy did not fit.
                    if (fault == ReadingFault.Duplicate && pending.Count < records)
                        pending.Add((delivery + 1_000 + prng.NextLong(0, 30_000), pending.Count, reading with { Fault = ReadingFault.Duplicate }));
                }
            }
        }
        var ordered = pending.OrderBy(p => p.Delivery).ThenBy(p => p.Seq).Select(p => p.Reading).ToList();
        return new SensorTraffic(ordered, devices.Length, drifting, silences, startMs);
    }

    private void Write(Utf8JsonWriter w, string id, Device d, MetricSimulation m, double value, double? battery, long time)
    {
        var n = Names;
        w.WriteStartObject();
        w.WriteString(n.Id, id);
        w.WriteString(n.Key, d.Id);
        w.WriteString(n.Site, d.Site);
        w.WriteString(n.Metric, m.Name);
        w.WriteNumber(n.Value, value);
        w.WriteString(n.Unit, m.Unit);
        if (battery is { } b) w.WriteNumber(n.Battery, b);
        w.WriteNumber(n.Time, time);
        w.WriteEndObject();
        w.Flush();
    }

    // A hundredth inside a finite bound, so that a rounded healthy value never sits on a limit.
    private static double Inside(double bound, int direction) => double.IsFinite(bound) ? bound + direction * 0.01 : bound;

    // Box–Muller: one standard normal draw from two uniform ones.
    private static double Gaussian(Prng prng)
    {
        var u1 = 1.0 - prng.NextDouble();
        var u2 = prng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private ConfigurationException Error(string key, int line, string problem) =>
        new(key, $"{problem} ({_domain.Source}{(line > 0 ? $", line {line}" : "")})");

    private sealed class Device(string id, string site, long offset, double? battery, double drift)
    {
        public string Id { get; } = id;
        public string Site { get; } = site;
        public long Offset { get; } = offset;
        public double? Battery { get; } = battery;
        public double Drift { get; } = drift;
        public long SilentUntil { get; set; } = long.MinValue;
    }
}
