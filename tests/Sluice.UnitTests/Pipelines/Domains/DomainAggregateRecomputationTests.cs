using Sluice.Pipelines.Clickstream;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainAggregateRecomputationTests
{
    private const int Partitions = 4;

    [Fact]
    public void every_aggregate_row_of_four_thousand_disordered_readings_equals_a_linq_recomputation()
    {
        var readings = IotTraffic.Generate(count: 4_000, Partitions, devices: 24, seed: 19);
        using var d = Driver(now: T0 + 2 * 24 * 60 * Minute);
        foreach (var r in readings) d.Pipe(Input, r.Partition, r.Payload);
        d.EndOfInput();

        var actual = new Dictionary<RowKey, double>();
        foreach (var row in d.Output<AggregateRow>("iot.aggregated"))
            Assert.True(actual.TryAdd(new RowKey(row.Aggregate, row.Partition, row.WindowStart, row.WindowEnd, row.Dimension, row.DimensionValue, row.Metric), row.Value), $"written twice: {row}");
        var expected = Recompute(readings.Where(r => r.Valid && !r.Copy).ToList());

        // What the run had to get right, so that the equality below means something.
        Assert.True(readings.Count(r => r.Copy) > 40);
        Assert.True(readings.Count(r => !r.Valid) > 20);
        Assert.True(expected.Keys.Count(k => k.Aggregate == "device_sessions") > 2 * 24);
        Assert.Empty(d.Collector.Records("iot.late"));

        var missing = expected.Keys.Except(actual.Keys).Take(5).ToList();
        var extra = actual.Keys.Except(expected.Keys).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"missing {string.Join("; ", missing)} / extra {string.Join("; ", extra)}");
        foreach (var (key, value) in expected)
        {
            // Sums and means add doubles in another order than the operators do: equal to a few parts in 10^12.
            var tolerance = key.Metric.Contains("mean", StringComparison.Ordinal) ? 1e-9 * Math.Max(1, Math.Abs(value)) : 0;
            Assert.True(Math.Abs(actual[key] - value) <= tolerance, $"{key}: {actual[key]}, recomputed {value}");
        }
    }

    internal readonly record struct RowKey(string Aggregate, int Partition, long Start, long End, string Dimension, string Group, string Metric);

    // The aggregates of iot.yaml restated over the readings a partition accepted, without the streaming operators.
    private static Dictionary<RowKey, double> Recompute(List<IotReading> accepted)
    {
        var rows = new Dictionary<RowKey, double>();
        foreach (var g in accepted.GroupBy(r => (r.Partition, Start: Floor(r.At, Minute), Group: $"{r.Device}|{r.Metric}")))
        {
            void Row(string metric, double value) =>
                rows.Add(new RowKey("device_stats_1m", g.Key.Partition, g.Key.Start, g.Key.Start + Minute, "device_id,metric", g.Key.Group, metric), value);
            Row("readings", g.Count());
            Row("value_mean", g.Average(r => r.Value));
            Row("value_mean_sum", g.Sum(r => r.Value));
            Row("value_mean_count", g.Count());
            Row("value_min", g.Min(r => r.Value));
            Row("value_max", g.Max(r => r.Value));
            if (g.Any(r => r.Battery is not null)) Row("battery_min", g.Where(r => r.Battery is not null).Min(r => r.Battery!.Value));
        }

        var hopping = accepted.SelectMany(r => new[] { 0L, 5, 10 }.Select(back => (Start: Floor(r.At, 5 * Minute) - back * Minute, Reading: r)));
        foreach (var g in hopping.GroupBy(x => (x.Reading.Partition, x.Start, Group: $"{x.Reading.Site}|{x.Reading.Metric}"), x => x.Reading))
        {
            void Row(string metric, double value) =>
                rows.Add(new RowKey("site_stats_15m", g.Key.Partition, g.Key.Start, g.Key.Start + 15 * Minute, "site_id,metric", g.Key.Group, metric), value);
            Row("readings", g.Count());
            Row("value_mean", g.Average(r => r.Value));
            Row("value_mean_sum", g.Sum(r => r.Value));
            Row("value_mean_count", g.Count());
            Row("value_max", g.Max(r => r.Value));
            Row("devices", g.Select(r => r.Device).Distinct().Count());
            // The three devices with most readings, ties by name: a row each, the device joined to the group.
            foreach (var d in g.GroupBy(r => r.Device).OrderByDescending(d => d.Count()).ThenBy(d => d.Key, StringComparer.Ordinal).Take(3))
                rows.Add(new RowKey("site_stats_15m", g.Key.Partition, g.Key.Start, g.Key.Start + 15 * Minute, "site_id,metric,device_id",
                    $"{g.Key.Group}|{d.Key}", "busiest_devices"), d.Count());
        }

        foreach (var g in accepted.GroupBy(r => (r.Partition, r.Device)))
        {
            var times = g.Select(r => r.At).Order().ToList();
            var start = 0;
            for (var i = 1; i <= times.Count; i++)
            {
                if (i < times.Count && times[i] - times[i - 1] < 10 * Minute) continue;
                rows.Add(new RowKey("device_sessions", g.Key.Partition, times[start], times[i - 1] + 10 * Minute, "device_id", g.Key.Device, "readings"), i - start);
                start = i;
            }
        }
        return rows;
    }

    private static long Floor(long t, long size) => t - ((t % size) + size) % size;
}
