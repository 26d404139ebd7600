using Sluice.Core.Errors;
using Sluice.Streaming.State;

namespace Sluice.Streaming.Time;

/// <summary>Produces the event-time watermark of one partition from the timestamps it sees.</summary>
/// <remarks>Modelled on Flink's <c>WatermarkGenerator</c>; one instance per partition, used by one thread.</remarks>
public interface IWatermarkGenerator
{
    /// <summary>Called for every record, with its event time.</summary>
    void OnEvent(long eventTimestamp);

    /// <summary>The watermark now: no record with an earlier timestamp is expected from this partition.</summary>
    long OnPeriodicEmit();

    /// <summary>Writes what the generator has learnt (for example the largest event time), for a task snapshot.</summary>
    void WriteSnapshot(SnapshotWriter writer);

    /// <summary>Loads what <see cref="WriteSnapshot"/> wrote into a new generator.</summary>
    void ReadSnapshot(ref SnapshotReader reader);
}

/// <summary>Watermark = the largest event time seen minus the allowed out-of-orderness.</summary>
public sealed class BoundedOutOfOrdernessWatermarks : IWatermarkGenerator
{
    private readonly long _outOfOrdernessMs;
    private long _maxTimestamp = EventTime.NoWatermark;

    public BoundedOutOfOrdernessWatermarks(TimeSpan maxOutOfOrderness)
    {
        if (maxOutOfOrderness < TimeSpan.Zero) ThrowHelper.ThrowConfiguration("processor.maxOutOfOrderness", "must be zero or positive");
        _outOfOrdernessMs = (long)maxOutOfOrderness.TotalMilliseconds;
    }

    public void OnEvent(long eventTimestamp)
    {
        if (eventTimestamp > _maxTimestamp) _maxTimestamp = eventTimestamp;
    }

    public long OnPeriodicEmit() =>
        _maxTimestamp == EventTime.NoWatermark ? EventTime.NoWatermark : EventTime.Add(_maxTimestamp, -_outOfOrdernessMs);

    /// <summary>The largest event time seen; the out-of-orderness comes from the configuration.</summary>
    public void WriteSnapshot(SnapshotWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteVarInt64(_maxTimestamp);
    }

    public void ReadSnapshot(ref SnapshotReader reader) => _maxTimestamp = reader.ReadVarInt64();
}

/// <summary>How watermarks are made: the generator per partition, and when a silent partition stops holding the task back.</summary>
/// <remarks>
/// Built with named factories, as in Flink:
/// <c>WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMinutes(2)).WithIdleness(TimeSpan.FromMinutes(1))</c>.
/// </remarks>
public sealed class WatermarkStrategy
{
    /// <summary>The default allowed out-of-orderness: two minutes.</summary>
    public static readonly TimeSpan DefaultOutOfOrderness = TimeSpan.FromMinutes(2);

    private readonly Func<IWatermarkGenerator> _factory;

    private WatermarkStrategy(Func<IWatermarkGenerator> factory, TimeSpan? idleTimeout, TimeSpan outOfOrderness)
    {
        _factory = factory;
        IdleTimeout = idleTimeout;
        OutOfOrderness = outOfOrderness;
    }

    /// <summary>Processing time after which a partition with no records no longer holds the task watermark back; null = never.</summary>
    public TimeSpan? IdleTimeout { get; }

    /// <summary>The out-of-orderness the generator allows (for reporting).</summary>
    public TimeSpan OutOfOrderness { get; }

    /// <summary>Watermark = max event time seen - <paramref name="maxOutOfOrderness"/>.</summary>
    public static WatermarkStrategy ForBoundedOutOfOrderness(TimeSpan maxOutOfOrderness)
    {
        _ = new BoundedOutOfOrdernessWatermarks(maxOutOfOrderness); // validates once, here, instead of per partition
        return new(() => new BoundedOutOfOrdernessWatermarks(maxOutOfOrderness), null, maxOutOfOrderness);
    }

    /// <summary>A strategy with a custom generator per partition.</summary>
    public static WatermarkStrategy ForGenerator(Func<IWatermarkGenerator> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new(factory, null, TimeSpan.Zero);
    }

    /// <summary>The same strategy, with partitions marked idle after <paramref name="idleTimeout"/> of processing time without records.</summary>
    public WatermarkStrategy WithIdleness(TimeSpan idleTimeout)
    {
        if (idleTimeout <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration("processor.idleTimeout", "must be positive, for example 00:01:00");
        return new(_factory, idleTimeout, OutOfOrderness);
    }

    public IWatermarkGenerator CreateGenerator() => _factory();
}
