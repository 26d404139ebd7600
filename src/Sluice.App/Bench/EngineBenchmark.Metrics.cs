using System.Diagnostics.Metrics;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Diagnostics;

namespace Sluice.App.Bench;

/// <summary>What metrics cost the engine: passes without and with the instruments attached and collected, alternated.</summary>
/// <param name="CpuRatios">CPU per event with metrics over without, per pair, in run order.</param>
/// <param name="Collections">Collections made during the median "on" pass.</param>
public sealed record MetricsCostResult(EngineBenchmarkResult Off, EngineBenchmarkResult On, IReadOnlyList<double> CpuRatios, TimeSpan CollectInterval, long Collections)
{
    public double MedianRatio => CpuRatios.Order().ElementAt(CpuRatios.Count / 2);
}

public static partial class EngineBenchmark
{
    // The registry the next passes' task managers attach to; null: metrics off.
    private static TaskTelemetry? _telemetry;

    /// <summary>
    /// Pairs of passes without and with metrics, alternated (off first in even pairs, on first in odd ones): with them, every task reports to <see cref="TaskTelemetry.Shared"/>
    /// and a <see cref="MeterListener"/> collects every Sluice instrument each <paramref name="collectInterval"/>, as an exporter would
    /// on each scrape (a Prometheus scrape is usually every 15 s; the default here is far more often).
    /// </summary>
    public static MetricsCostResult RunMetricsComparison(List<byte[]>[] split, int pairs = 4, ISchemaSource? schemas = null,
        TimeSpan? collectInterval = null, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        var interval = collectInterval ?? TimeSpan.FromMilliseconds(100);
        StreamingInstruments.EnsureCreated();
        ClickstreamInstruments.EnsureCreated();
        var topology = new ClickstreamTopology(null, schemas);
        var passes = 0;
        RunAll(topology, split, new CountingCollector[split.Length], serialize: false, null);
        progress?.Invoke(++passes);
        var off = new List<EngineBenchmarkResult>(pairs);
        var on = new List<(EngineBenchmarkResult Result, long Collections)>(pairs);
        var ratios = new List<double>(pairs);
        for (var i = 0; i < pairs; i++)
        {
            // Off first in even pairs, on first in odd ones, so neither side always runs on a heap the other just left.
            for (var side = 0; side < 2; side++)
            {
                if ((side == 0) == (i % 2 == 0)) off.Add(TimedPass(topology, split, serialize: false, null));
                else on.Add(WithMetrics(() => TimedPass(topology, split, serialize: false, null), interval));
                progress?.Invoke(++passes);
            }
            ratios.Add(on[^1].Result.CpuMicrosPerEvent / off[^1].CpuMicrosPerEvent);
        }
        var medianOn = Median(on.ConvertAll(p => p.Result));
        var collections = on.First(p => p.Result.EventsPerSecond == medianOn.EventsPerSecond).Collections;
        return new MetricsCostResult(Median(off), medianOn, ratios, interval, collections);
    }

    private static (EngineBenchmarkResult, long) WithMetrics(Func<EngineBenchmarkResult> pass, TimeSpan interval)
    {
        using var listener = new MeterListener();
        long values = 0;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name.StartsWith("Sluice.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => values += value);
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => values += (long)value);
        listener.Start();
        long collections = 0;
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.Token.WaitHandle.WaitOne(interval))
            {
                listener.RecordObservableInstruments();
                collections++;
            }
        }) { IsBackground = true, Name = "metrics-collector" };
        Volatile.Write(ref _telemetry, TaskTelemetry.Shared);
        collector.Start();
        try
        {
            return (pass(), Interlocked.Read(ref collections));
        }
        finally
        {
            stop.Cancel();
            collector.Join();
            Volatile.Write(ref _telemetry, null);
            GC.KeepAlive(values);
        }
    }
}
