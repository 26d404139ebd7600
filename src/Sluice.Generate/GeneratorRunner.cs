using System.Runtime.CompilerServices;
using System.Diagnostics;
using Sluice.Generate.Manifests;
using Sluice.Generate.Pacing;
using Sluice.Generate.Writers;

namespace Sluice.Generate;

/// <summary>Where a run is: records sent, event clock and wall time, for progress displays.</summary>
public readonly record struct RunProgress(long Records, long ClickRecords, long EventClock, TimeSpan Elapsed);

/// <summary>What a finished run did.</summary>
public sealed record RunSummary(long Records, long ClickRecords, long CdcRecords, TimeSpan Elapsed, bool Cancelled)
{
    /// <summary>Records per wall-clock second.</summary>
    public double RecordsPerSecond => Elapsed > TimeSpan.Zero ? Records / Elapsed.TotalSeconds : 0;
}

/// <summary>Drives a generator into a writer with pacing, ground truth and progress: the loop behind <c>sluice produce</c> and <c>demo</c>.</summary>
public static class GeneratorRunner
{
    private const int ProgressEvery = 16_384;

    /// <summary>Runs until the generator's limit or cancellation, then flushes the writer.</summary>
    /// <remarks>
    /// A record enters the manifest only after the writer accepted it, so the ground truth describes what was sent.
    /// Cancellation stops between records and still flushes, so everything counted was delivered. The generator builds
    /// event objects only when the writer reads them (<see cref="ITrafficWriter.ReadsEvents"/>).
    /// </remarks>
    // Optimised at once, as the generator's per-event methods are (see ClickstreamGenerator): the loop runs for seconds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static RunSummary Run(ClickstreamGenerator generator, ITrafficWriter writer, Pacer? pacer = null, ManifestBuilder? manifest = null,
        Action<RunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(writer);
        pacer ??= Pacer.Max;
        generator.MaterializeEvents = writer.ReadsEvents;
        var paced = !pacer.IsUnpaced;
        var clock = Stopwatch.StartNew();
        long records = 0, cdc = 0;
        var cancelled = false;

        while (generator.MoveNext())
        {
            var record = generator.Current;
            if (paced && record.Kind == RecordKind.Click)
            {
                // The rate is of click events: the CDC snapshot that opens a run goes out at once, as Debezium's does.
                var wait = pacer.DelayBefore(records - cdc, record.StreamTime, clock.Elapsed);
                // Sleeping in steps of at least a millisecond; shorter waits are caught up by the next record.
                if (wait >= TimeSpan.FromMilliseconds(1) && cancellationToken.WaitHandle.WaitOne(wait)) { cancelled = true; break; }
            }
            writer.Write(record);
            manifest?.Add(record);
            records++;
            if (record.Kind == RecordKind.Cdc) cdc++;
            if ((records & (ProgressEvery - 1)) == 0 || paced && (records & 255) == 0)
            {
                progress?.Invoke(new RunProgress(records, generator.ClickRecords, generator.Clock, clock.Elapsed));
                if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
            }
        }
        writer.Flush(CancellationToken.None);
        clock.Stop();
        progress?.Invoke(new RunProgress(records, generator.ClickRecords, generator.Clock, clock.Elapsed));
        return new RunSummary(records, records - cdc, cdc, clock.Elapsed, cancelled);
    }
}
