using Microsoft.Extensions.Hosting;

namespace Sluice.Serve.Api;

/// <summary>One second of the pipeline: rates over the second before <see cref="T"/> and the lags at <see cref="T"/>.</summary>
public sealed record ThroughputPoint(long T, double RecordsPerSecond, double OutputsPerSecond, double DeadLettersPerSecond, long? ConsumerLag, double? WatermarkLagSeconds);

/// <summary>The last <see cref="Capacity"/> samples of the instruments, one a second: throughput is the difference between consecutive totals.</summary>
/// <remarks>Hosted with the server's web host, so it samples while the server runs and stops with it.</remarks>
public sealed class MetricsHistory(Func<InstrumentSnapshot> read, TimeProvider? time = null) : BackgroundService
{
    /// <summary>An hour of points.</summary>
    public const int Capacity = 3600;

    /// <summary>Seconds between samples.</summary>
    public const int IntervalSeconds = 1;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ThroughputPoint[] _ring = new ThroughputPoint[Capacity];
    private readonly Lock _gate = new();
    private int _next, _count;
    private (long T, InstrumentSnapshot Totals)? _previous;

    /// <summary>Takes one sample now: reads the totals and appends the point (the first sample only sets the baseline's rates to 0).</summary>
    public ThroughputPoint Sample()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var totals = read();
        lock (_gate)
        {
            double Rate(Func<InstrumentSnapshot, long> of)
            {
                if (_previous is not { } p || now <= p.T) return 0;
                // A counter never goes back within a process; a difference below 0 would be a reset, not a rate.
                return Math.Max(0, of(totals) - of(p.Totals)) * 1000.0 / (now - p.T);
            }
            var point = new ThroughputPoint(now, Round(Rate(t => t.RecordsIn)), Round(Rate(t => t.OutputsTotal)), Round(Rate(t => t.DeadLetters)),
                totals.ConsumerLag, totals.WatermarkLagSeconds is { } w ? Round(w) : null);
            _previous = (now, totals);
            _ring[_next] = point;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            return point;
        }
    }

    /// <summary>The points of the last <paramref name="seconds"/>, oldest first (at most <see cref="Capacity"/>).</summary>
    public IReadOnlyList<ThroughputPoint> Last(int seconds)
    {
        lock (_gate)
        {
            var n = Math.Min(Math.Max(0, seconds), _count);
            var points = new ThroughputPoint[n];
            for (var i = 0; i < n; i++) points[i] = _ring[(_next - n + i + Capacity) % Capacity];
            return points;
        }
    }

    /// <summary>The newest point; null before the first sample.</summary>
    public ThroughputPoint? Latest
    {
        get
        {
            lock (_gate) return _count == 0 ? null : _ring[(_next - 1 + Capacity) % Capacity];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Sample();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(IntervalSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // A tick that waited for a busy thread pool is followed by the next on schedule, moments later: skip that
                // one, so the points stay about a second apart and each rate spans a whole interval.
                if (_previous is { } p && _time.GetUtcNow().ToUnixTimeMilliseconds() - p.T < IntervalSeconds * 500) continue;
                Sample();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static double Round(double value) => Math.Round(value, 3);
}
