using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

/// <summary>One reading as generated: what it is, where it goes, and whether the topology should take it.</summary>
/// <param name="Valid">False for a reading the rules refuse (a temperature no sensor reports).</param>
/// <param name="Copy">True for a repeat of an earlier reading (same id): dropped by deduplication.</param>
/// <param name="Late">True for a reading held back long enough to arrive after its minute closed.</param>
internal sealed record IotReading(
    string Id, string Device, string Site, string Metric, double Value, double? Battery, long At, int Partition, bool Valid, bool Copy, bool Late)
{
    public byte[] Payload => Reading(Id, Device, At, Value, Metric, Site, Battery);
}

/// <summary>Seeded random sensor traffic: devices spread over partitions by key, readings out of order within the bound,
/// pauses long enough to end sessions, some repeats, some invalid, and optionally some late.</summary>
internal static class IotTraffic
{
    private static readonly (string Metric, double Low, double High)[] Metrics =
        [("temperature", 15, 30), ("humidity", 20, 80), ("pressure", 980, 1040), ("co2", 400, 2000)];

    /// <summary><paramref name="count"/> readings (plus repeats) in arrival order; each partition's own order is kept.</summary>
    public static List<IotReading> Generate(int count, int partitions, int devices, long seed, double lateRate = 0)
    {
        var random = new Random((int)seed);
        var perPartition = new List<(long Arrival, int Seq, IotReading Reading)>[partitions];
        for (var p = 0; p < partitions; p++) perPartition[p] = [];
        var clocks = Enumerable.Repeat(T0, partitions).ToArray();
        var seq = 0;
        for (var n = 0; n < count; n++)
        {
            var device = random.Next(devices);
            var p = device % partitions;
            clocks[p] += random.Next(0, 15_000);
            if (random.NextDouble() < 0.01) clocks[p] += random.Next(11, 15) * Minute; // silence: sessions end
            var at = clocks[p];
            var (metric, low, high) = Metrics[random.Next(Metrics.Length)];
            var value = Math.Round(low + random.NextDouble() * (high - low), 2);
            var valid = random.NextDouble() >= 0.01;
            if (!valid) (metric, value) = ("temperature", 500);
            double? battery = random.NextDouble() < 0.7 ? Math.Round(20 + random.NextDouble() * 80, 1) : null;
            var late = random.NextDouble() < lateRate;
            var reading = new IotReading($"r{n}", $"d{device}", $"s{device % 3}", metric, value, battery, at, p, valid, Copy: false, late);
            // Most readings arrive in time order; a tenth up to 90 s behind (the bound is 2 minutes); the late, minutes behind.
            var arrival = late ? at + random.Next(5 * 60_000, 8 * 60_000) : random.NextDouble() < 0.1 ? at + random.Next(0, 90_000) : at;
            perPartition[p].Add((arrival, seq++, reading));
            if (random.NextDouble() < 0.02) perPartition[p].Add((arrival + random.Next(0, 30_000), seq++, reading with { Copy = true }));
        }
        var queues = perPartition.Select(list => new Queue<IotReading>(list.OrderBy(x => x.Arrival).ThenBy(x => x.Seq).Select(x => x.Reading))).ToArray();
        var result = new List<IotReading>();
        while (queues.Any(q => q.Count > 0))
        {
            var q = queues[random.Next(partitions)];
            if (q.Count > 0) result.Add(q.Dequeue());
        }
        return result;
    }
}
