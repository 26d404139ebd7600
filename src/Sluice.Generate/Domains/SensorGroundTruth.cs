using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Sluice.Pipelines.Domains;

namespace Sluice.Generate.Domains;

/// <summary>One aggregate row a correct pipeline writes: the aggregate, the partition, the window, the group and the metric.</summary>
public readonly record struct ExpectedRowKey(string Aggregate, int Partition, long Start, long End, string Group, string Metric);

/// <summary>What a correct <c>DomainTopology</c> writes for generated sensor traffic, recomputed from the readings alone, without the streaming operators.</summary>
/// <remarks>
/// <para>Each reading's partition is librdkafka's default for its key (CRC-32 of the key modulo the partitions); each
/// partition is walked in delivery order, which is its offset order with one producer. A reading that breaks a rule
/// on purpose is a dead letter with that rule's code. Any other reading is valid and, as the processor does, raises its
/// partition's watermark (the newest valid time minus maxOutOfOrderness) after it is judged: it is a duplicate when its
/// id was first seen no more than dedupHorizon before the watermark, late when the window of the late gate (the
/// greatest common divisor of every time window's size and advance) ended at or before the watermark plus allowed
/// lateness, and accepted otherwise.</para>
/// <para>The aggregates are the file's, restated as LINQ over the accepted readings of each partition: every window that
/// holds a reading, every session (readings of a group closer than the gap, in time order), each measure's rows as the
/// topology writes them (a mean with its sum and count; no min, max or mean without a value).</para>
/// </remarks>
public sealed record SensorGroundTruth(
    long Records, long Valid, IReadOnlyDictionary<string, long> DeadLetters, long Duplicates, long Late,
    IReadOnlyDictionary<ExpectedRowKey, double> Rows)
{
    /// <summary>The ids of the readings that go to the late topic.</summary>
    public IReadOnlySet<string> LateIds { get; init; } = new HashSet<string>();

    /// <summary>The ground truth of <paramref name="traffic"/> on a topic of <paramref name="partitions"/> partitions.</summary>
    public static SensorGroundTruth Compute(SensorGenerator generator, SensorTraffic traffic, int partitions)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(traffic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var domain = generator.Domain;
        var e = domain.Event!;
        var ooo = (long)e.MaxOutOfOrderness.TotalMilliseconds;
        var lateness = (long)e.AllowedLateness.TotalMilliseconds;
        var horizon = (long)e.DedupHorizon.TotalMilliseconds;
        var timed = domain.Aggregates.Where(a => a.Window.Kind != WindowKind.Session).ToList();
        var pane = timed.Count == 0 ? 0 : timed.Select(a => Gcd((long)a.Window.Size.TotalMilliseconds, (long)a.Window.Advance.TotalMilliseconds)).Aggregate(Gcd);

        var letters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long duplicates = 0, late = 0;
        var lateIds = new HashSet<string>(StringComparer.Ordinal);
        var newest = new long?[partitions];
        var seen = new Dictionary<string, long>[partitions];
        var accepted = new List<SensorReading>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            seen[p] = new Dictionary<string, long>(StringComparer.Ordinal);
            accepted[p] = [];
        }
        foreach (var r in traffic.Readings)
        {
            var p = PartitionOf(r.Key, partitions);
            if (r.ExpectedCode is { } code)
            {
                letters[code] = letters.GetValueOrDefault(code) + 1;
                continue;
            }
            long? watermark = newest[p] is { } max ? max - ooo : null;
            newest[p] = Math.Max(newest[p] ?? long.MinValue, r.At);
            if (seen[p].TryGetValue(r.Id, out var first) && (watermark is null || first >= watermark - horizon))
            {
                duplicates++;
                continue;
            }
            seen[p][r.Id] = r.At;
            if (pane > 0 && watermark is { } w && Floor(r.At, pane) + pane + lateness <= w)
            {
                late++;
                lateIds.Add(r.Id);
                continue;
            }
            accepted[p].Add(r);
        }

        var rows = new Dictionary<ExpectedRowKey, double>();
        var names = generator.Names;
        for (var p = 0; p < partitions; p++)
            foreach (var a in domain.Aggregates)
                AddRows(rows, a, p, accepted[p], names);
        return new SensorGroundTruth(traffic.Readings.Count, accepted.Sum(a => (long)a.Count), letters, duplicates, late, rows) { LateIds = lateIds };
    }

    /// <summary>The partition librdkafka's default partitioner (<c>consistent_random</c>) gives <paramref name="key"/>.</summary>
    public static int PartitionOf(string key, int partitions) => (int)(Crc32.HashToUInt32(Encoding.UTF8.GetBytes(key)) % (uint)partitions);

    /// <summary>Rows expected of the aggregate <paramref name="aggregate"/>.</summary>
    public int RowCount(string aggregate) => Rows.Keys.Count(k => k.Aggregate == aggregate);

    private static void AddRows(Dictionary<ExpectedRowKey, double> rows, AggregateSpec a, int partition, List<SensorReading> readings, SensorFieldNames names)
    {
        string Group(SensorReading r) => a.GroupBy.Count == 0 ? "all" : string.Join("|", a.GroupBy.Select(f => Text(r.Field(names, f))));
        var size = (long)a.Window.Size.TotalMilliseconds;
        IEnumerable<(long Start, long End, string Group, List<SensorReading> Readings)> windows;
        if (a.Window.Kind == WindowKind.Session)
        {
            windows = readings.GroupBy(Group).SelectMany(g =>
            {
                var sorted = g.OrderBy(r => r.At).ToList();
                var sessions = new List<(long, long, string, List<SensorReading>)>();
                var current = new List<SensorReading> { sorted[0] };
                for (var i = 1; i <= sorted.Count; i++)
                {
                    if (i < sorted.Count && sorted[i].At - sorted[i - 1].At < size)
                    {
                        current.Add(sorted[i]);
                        continue;
                    }
                    sessions.Add((current[0].At, current[^1].At + size, g.Key, current));
                    if (i < sorted.Count) current = [sorted[i]];
                }
                return sessions;
            });
        }
        else
        {
            var advance = (long)a.Window.Advance.TotalMilliseconds;
            windows = readings
                .SelectMany(r => Enumerable.Range(0, (int)(size / advance)).Select(k => (Start: Floor(r.At, advance) - k * advance, Reading: r)))
                .GroupBy(x => (x.Start, Group: Group(x.Reading)), x => x.Reading)
                .Select(g => (g.Key.Start, g.Key.Start + size, g.Key.Group, g.ToList()));
        }
        foreach (var (start, end, group, inWindow) in windows)
        {
            var written = new Dictionary<string, double>(StringComparer.Ordinal);
            void Row(string metric, double value)
            {
                written[metric] = value;
                rows.Add(new ExpectedRowKey(a.Name, partition, start, end, group, metric), value);
            }
            foreach (var m in a.Measures)
            {
                if (m.Parts is var (numerator, denominator))
                {
                    if (written.TryGetValue(numerator, out var n) && written.TryGetValue(denominator, out var d) && d != 0) Row(m.Name, n / d);
                    continue;
                }
                if (m.Kind == MeasureKind.TopK)
                {
                    // A row per value among the k most frequent, the value joined to the group.
                    foreach (var top in inWindow.Select(r => r.Field(names, m.Field!)).Where(v => v is not null).GroupBy(Text)
                                 .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(m.K))
                        rows.Add(new ExpectedRowKey(a.Name, partition, start, end, group == "all" ? top.Key : $"{group}|{top.Key}", m.Name), top.Count());
                    continue;
                }
                var values = m.Field is null ? new List<double>() : inWindow.Select(r => Number(r.Field(names, m.Field!))).OfType<double>().ToList();
                switch (m.Kind)
                {
                    case MeasureKind.Count: Row(m.Name, inWindow.Count); break;
                    case MeasureKind.CountWhere: Row(m.Name, inWindow.Count(r => m.Where.All(c => Holds(c, r.Field(names, c.Field))))); break;
                    case MeasureKind.Sum: Row(m.Name, values.Sum()); break;
                    case MeasureKind.Mean:
                        if (values.Count > 0) Row(m.Name, values.Average());
                        Row(m.Name + "_sum", values.Sum());
                        Row(m.Name + "_count", values.Count);
                        break;
                    case MeasureKind.Min:
                        if (values.Count > 0) Row(m.Name, values.Min());
                        break;
                    case MeasureKind.Max:
                        if (values.Count > 0) Row(m.Name, values.Max());
                        break;
                    case MeasureKind.Distinct:
                        Row(m.Name, inWindow.Select(r => r.Field(names, m.Field!)).Where(v => v is not null).Select(Text).Distinct(StringComparer.Ordinal).Count());
                        break;
                }
            }
        }
    }

    private static bool Holds(ConditionSpec c, object? value) =>
        c.Values is { } values ? value is not null && values.Contains(Text(value)) : (value is not null) == c.Present;

    private static string Text(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static double? Number(object? value) => value switch
    {
        double d => d,
        long l => l,
        _ => null,
    };

    private static long Floor(long t, long size) => t - (((t % size) + size) % size);

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
