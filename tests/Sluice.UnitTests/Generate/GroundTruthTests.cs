using Sluice.Generate;
using Sluice.Generate.Faults;

namespace Sluice.UnitTests.Generate;

/// <summary>The labels agree with what a processor with the documented watermark would decide.</summary>
public class GroundTruthTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void late_labels_match_a_bounded_out_of_orderness_watermark_over_partitions(int partitions)
    {
        // A processor task owning `partitions` partitions: per-partition max event time, task watermark =
        // min over partitions of (max - bound); an event is late when its 1-minute window ended at or before it.
        var settings = new GeneratorSettings { Users = 3_000, MaxEvents = 150_000, LateRate = 0.01 };
        const long window = 60_000;
        var bound = (long)settings.OutOfOrderBound.TotalMilliseconds;
        var maxTs = new long[partitions];
        Array.Fill(maxTs, long.MinValue);
        int late = 0, counted = 0;
        foreach (var r in new ClickstreamGenerator(settings))
        {
            if (r.Kind != RecordKind.Click || !(r.Fault.IsCounted() || r.Fault == FaultKind.Late)) continue;
            var p = (int)(Fnv(r.Key) % (uint)partitions);
            var watermark = long.MaxValue;
            foreach (var m in maxTs) watermark = Math.Min(watermark, m == long.MinValue ? long.MinValue : m - bound);
            var windowEnd = r.EventTime - r.EventTime % window + window;
            var isLate = watermark != long.MinValue && windowEnd <= watermark;
            Assert.True(isLate == (r.Fault == FaultKind.Late), $"{r.Fault.ToLabel()} event {r.EventId} late={isLate}");
            if (isLate) late++; else counted++;
            maxTs[p] = Math.Max(maxTs[p], r.EventTime);
        }
        Assert.True(late > 500 && counted > 100_000);
    }

    private static uint Fnv(string s)
    {
        var h = 2166136261;
        foreach (var c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
