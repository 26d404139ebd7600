using Sluice.Core.Errors;
using Sluice.Generate.Domains;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Streaming.Errors;
using Sluice.Verification;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Generate;

/// <summary>The sensor generator on config/domains/iot.yaml's simulation, and its ground truth against the topology.</summary>
public class IotGeneratorTests
{
    private static readonly SensorGenerator Generator = new(Definition);

    private static readonly Lazy<SensorTraffic> Large = new(() => Generator.Generate(seed: 5, records: 60_000, startMs: T0));

    [Fact]
    public void the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        var a = Generator.Generate(seed: 11, records: 5_000, startMs: T0).Readings;
        var b = Generator.Generate(seed: 11, records: 5_000, startMs: T0).Readings;
        var c = Generator.Generate(seed: 12, records: 5_000, startMs: T0).Readings;
        Assert.Equal(5_000, a.Count);
        Assert.Equal(a.Select(r => (r.Key, r.Timestamp)), b.Select(r => (r.Key, r.Timestamp)));
        Assert.True(a.Zip(b).All(p => p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));
        Assert.False(a.Zip(c).All(p => p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));
    }

    [Fact]
    public void each_fault_appears_at_its_rate()
    {
        var t = Large.Value;
        var faults = Definition.Simulation!.Faults;
        var originals = t.Readings.Count - t.Count(ReadingFault.Duplicate);
        void AtRate(ReadingFault fault, double rate)
        {
            var expected = rate * originals;
            var tolerance = 4 * Math.Sqrt(expected) + 1; // four standard deviations of a binomial count
            Assert.True(Math.Abs(t.Count(fault) - expected) <= tolerance, $"{fault}: {t.Count(fault)}, expected {expected:N0} ± {tolerance:N0}");
        }
        AtRate(ReadingFault.OutOfRange, faults.OutOfRange);
        AtRate(ReadingFault.Duplicate, faults.Duplicates);
        AtRate(ReadingFault.Late, faults.Late);
        AtRate(ReadingFault.Disorder, faults.Disorder);
        // Silences, per device and interval: the device-rounds are the readings' rounds (four metrics each) plus the silent ones.
        var deviceRounds = originals / 4.0;
        var silences = faults.SilenceRate * deviceRounds;
        Assert.True(Math.Abs(t.Silences - silences) <= 4 * Math.Sqrt(silences) + 1, $"silences: {t.Silences}, expected {silences:N0}");
        var drifting = faults.DriftDevices * t.Devices;
        Assert.True(Math.Abs(t.DriftingDevices - drifting) <= 4 * Math.Sqrt(drifting) + 1, $"drifting devices: {t.DriftingDevices}");
    }

    [Fact]
    public void out_of_range_readings_break_their_metric_rule_and_every_other_reading_is_inside_it()
    {
        var bounds = new Dictionary<string, (double Min, double Max, string Code)>
        {
            ["temperature"] = (-40, 125, "temperature_out_of_range"), ["humidity"] = (0, 100, "humidity_out_of_range"),
            ["pressure"] = (300, 1100, "pressure_out_of_range"), ["co2"] = (0, 40000, "co2_out_of_range"),
        };
        foreach (var r in Large.Value.Readings)
        {
            var (min, max, code) = bounds[r.Metric];
            var inside = r.Reading >= min && r.Reading <= max;
            if (r.Fault == ReadingFault.OutOfRange)
            {
                Assert.False(inside, $"{r.Id}: {r.Reading}");
                Assert.Equal(code, r.ExpectedCode);
            }
            else
            {
                Assert.True(inside, $"{r.Id}: {r.Reading}");
                Assert.Null(r.ExpectedCode);
            }
        }
    }

    [Fact]
    public void a_drifting_device_moves_by_its_rate_and_a_silence_splits_its_devices_session()
    {
        var t = Large.Value;
        var truth = SensorGroundTruth.Compute(Generator, t, partitions: 4);
        // Sessions: one per device, and one more for every silence of a device that reported again afterwards.
        var sessions = truth.RowCount("device_sessions");
        Assert.InRange(sessions, t.Devices + 1, t.Devices + t.Silences);
        // The readings span hours; a drifting device's temperatures move by 1.5 spreads (3 °C) an hour, a steady one's do not.
        var spans = t.Readings.Where(r => r.Metric == "temperature" && r.Fault == ReadingFault.None).GroupBy(r => r.Device).Select(g =>
        {
            var first = g.Where(r => r.At < T0 + 30 * Minute).Average(r => r.Reading);
            var last = g.Where(r => r.At > g.Max(x => x.At) - 30 * Minute).Average(r => r.Reading);
            return Math.Abs(last - first);
        }).ToList();
        Assert.Equal(t.DriftingDevices, spans.Count(s => s > 2.5));
    }

    [Fact]
    public void a_reading_sent_late_is_late_unless_nothing_newer_reached_its_partition_before_it()
    {
        var t = Large.Value;
        var truth = SensorGroundTruth.Compute(Generator, t, partitions: 6);
        var end = t.Readings.Max(r => r.At);
        var delay = (long)Definition.Simulation!.Faults.LateDelay.TotalMilliseconds;
        var sentLate = t.Readings.Where(r => r.Fault == ReadingFault.Late).ToList();
        Assert.All(truth.LateIds, id => Assert.Contains(sentLate, r => r.Id == id));
        // On time after all: only readings taken in the run's last minutes, delivered after everything else.
        Assert.All(sentLate.Where(r => !truth.LateIds.Contains(r.Id)), r => Assert.True(r.At > end - delay, $"{r.Id} at {r.At}, run ends {end}"));
        Assert.True(truth.LateIds.Count > 0.9 * sentLate.Count, $"{truth.LateIds.Count} of {sentLate.Count}");
    }

    [Fact]
    public void the_partition_of_a_key_is_librdkafkas()
    {
        foreach (var key in new[] { "dev-0001", "dev-0042", "x", "a longer key with spaces" })
            Assert.Equal(KafkaPartitioner.ConsistentRandom(System.Text.Encoding.UTF8.GetBytes(key), 6), SensorGroundTruth.PartitionOf(key, 6));
    }

    [Fact]
    public void the_ground_truth_equals_a_topology_test_driver_run_of_the_iot_topology()
    {
        const int Partitions = 4;
        var traffic = Generator.Generate(seed: 3, records: 12_000, startMs: T0);
        var truth = SensorGroundTruth.Compute(Generator, traffic, Partitions);
        using var d = Driver(now: T0 + 24 * 60 * Minute);
        foreach (var r in traffic.Readings)
            d.Pipe(Input, SensorGroundTruth.PartitionOf(r.Key, Partitions), r.Value, System.Text.Encoding.UTF8.GetBytes(r.Key), brokerTimestamp: r.Timestamp);
        d.EndOfInput();

        // What the run had to get right, so that the equalities below mean something.
        Assert.True(truth.Late > 10 && truth.Duplicates > 50 && truth.DeadLetters.Values.Sum() > 20, $"late {truth.Late}, duplicates {truth.Duplicates}");

        var letters = d.Output<DeadLetterRecord>("iot.dlq").GroupBy(l => l.ReasonCode).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(truth.DeadLetters.OrderBy(kv => kv.Key), letters.OrderBy(kv => kv.Key));
        Assert.Equal(truth.Valid, d.Output<DomainRecord>("iot.valid").Count);
        Assert.Equal(truth.Late, d.Collector.Records("iot.late").Count);
        Assert.Equal(truth.Duplicates, traffic.Readings.Count - truth.Valid - truth.Late - letters.Values.Sum());

        var actual = new Dictionary<ExpectedRowKey, double>();
        foreach (var row in d.Output<AggregateRow>("iot.aggregated"))
            Assert.True(actual.TryAdd(new ExpectedRowKey(row.Aggregate, row.Partition, row.WindowStart, row.WindowEnd, row.DimensionValue, row.Metric), row.Value), $"written twice: {row}");
        var missing = truth.Rows.Keys.Except(actual.Keys).Take(5).ToList();
        var extra = actual.Keys.Except(truth.Rows.Keys).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"missing {string.Join("; ", missing)} / extra {string.Join("; ", extra)}");
        foreach (var (key, value) in truth.Rows)
            Assert.True(Math.Abs(actual[key] - value) <= 1e-9 * Math.Max(1, Math.Abs(value)), $"{key}: {actual[key]}, recomputed {value}");
        foreach (var aggregate in new[] { "device_stats_1m", "site_stats_15m", "device_sessions" }) Assert.True(truth.RowCount(aggregate) > 0, aggregate);
    }

    [Fact]
    public void a_mistake_in_the_simulation_names_its_key_the_file_and_the_line()
    {
        var yaml = File.ReadAllText(FilePath);
        var bad = Assert.Throws<ConfigurationException>(() => Parse(yaml.Replace("  devices: 60", "  devices: many", StringComparison.Ordinal)));
        Assert.Equal("simulation.devices", bad.Key);
        Assert.Contains("test.yaml, line ", bad.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<ConfigurationException>(() => Parse(yaml.Replace("    duplicates: 0.01", "    repeats: 0.01", StringComparison.Ordinal)));
        Assert.Equal("simulation.faults.repeats", unknown.Key);

        var brief = Parse(yaml.Replace("silence:    { rate: 0.002, span: 15m }", "silence:    { rate: 0.002, span: 5m }", StringComparison.Ordinal));
        var silence = Assert.Throws<ConfigurationException>(() => new SensorGenerator(brief));
        Assert.Equal("simulation.faults.silence.span", silence.Key);
        Assert.Contains("session gap", silence.Message, StringComparison.Ordinal);

        var soon = Parse(yaml.Replace("late:       { rate: 0.003, delay: 10m }", "late:       { rate: 0.003, delay: 3m }", StringComparison.Ordinal));
        Assert.Equal("simulation.faults.late.delay", Assert.Throws<ConfigurationException>(() => new SensorGenerator(soon)).Key);
    }
}
