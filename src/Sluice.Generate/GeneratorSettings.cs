using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate.Journeys;

namespace Sluice.Generate;

/// <summary>Everything that shapes a generated stream. The same settings and seed give a byte-identical stream.</summary>
/// <remarks>Keys in errors are the <c>generator.*</c> configuration keys; <c>sluice produce</c> sets them from its options.</remarks>
public sealed record GeneratorSettings
{
    public long Seed { get; init; } = 42;
    /// <summary>Visitors in the pool (logged-in and anonymous).</summary>
    public int Users { get; init; } = 10_000;
    public int Products { get; init; } = 2_000;
    /// <summary>Share of visitors who never log in: they browse and search but cannot buy.</summary>
    public double AnonymousShare { get; init; } = 0.3;
    /// <summary>Sessions in progress at any moment; 0 means one per 100 users. Sets the simulated traffic volume.</summary>
    public int ConcurrentSessions { get; init; }
    /// <summary>Mean pause between two clicks of a shopper.</summary>
    public TimeSpan MeanThinkTime { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Inactivity that ends a session: clicks of one session are closer than this, sessions of one user further apart.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>Event time of the first event; fixed by default so runs repeat.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public TransitionTable Transitions { get; init; } = TransitionTable.Default;

    /// <summary>Stop after this many click records (faults included; CDC not); 0 for no limit.</summary>
    public long MaxEvents { get; init; } = 100_000;
    /// <summary>Stop when the event clock has advanced this far; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Share of click events corrupted on purpose (spread over the malformed kinds).</summary>
    public double MalformedRate { get; init; } = 0.01;
    /// <summary>Share of events delivered <see cref="LateMin"/> to <see cref="LateMax"/> behind the stream.</summary>
    public double LateRate { get; init; } = 0.005;
    /// <summary>Share of events delivered out of order, less than half of <see cref="OutOfOrderBound"/> behind.</summary>
    public double OutOfOrderRate { get; init; } = 0.02;
    /// <summary>Share of records that repeat a recent valid event.</summary>
    public double DuplicateRate { get; init; } = 0.005;
    /// <summary>Share of click records from crawlers and HTTP tools.</summary>
    public double BotRate { get; init; } = 0.02;

    /// <summary>The out-of-orderness a processor is expected to allow (processor.maxOutOfOrderness).</summary>
    public TimeSpan OutOfOrderBound { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan LateMin { get; init; } = TimeSpan.FromMinutes(4);
    public TimeSpan LateMax { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Tumbling window size of the manifest's expected counts.</summary>
    public TimeSpan WindowSize { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Emit user-profile changes (a snapshot of every customer first, then creates, updates, deletes).</summary>
    public bool Cdc { get; init; } = true;
    /// <summary>Profile changes per click record.</summary>
    public double CdcRate { get; init; } = 0.002;

    public string EventsTopic { get; init; } = "clickstream.events";
    public string CdcTopic { get; init; } = "clickstream.cdc.users";

    /// <summary>Settings from the <c>generator.*</c> and <c>kafka.topics.*</c> keys of config/sluice.yaml; the rest keep their defaults.</summary>
    /// <remarks><c>generator.rate</c> and <c>generator.speed</c> pace a run and are not settings of the stream.</remarks>
    public static GeneratorSettings From(GeneratorOptions options, TopicOptions? topics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = new GeneratorSettings();
        return defaults with
        {
            Users = options.Users,
            Seed = options.Seed,
            Products = options.Products,
            ConcurrentSessions = options.ConcurrentSessions,
            AnonymousShare = options.AnonymousShare,
            MalformedRate = options.InvalidRate,
            LateRate = options.LateRate,
            OutOfOrderRate = options.OutOfOrderRate,
            DuplicateRate = options.DuplicateRate,
            BotRate = options.BotRate,
            Cdc = options.Cdc,
            CdcRate = options.CdcRate,
            EventsTopic = topics?.Events ?? defaults.EventsTopic,
            CdcTopic = topics?.CdcUsers ?? defaults.CdcTopic,
        };
    }

    /// <summary>Sessions in progress, with the automatic default resolved.</summary>
    public int EffectiveConcurrentSessions => ConcurrentSessions > 0 ? ConcurrentSessions : Math.Max(1, Users / 100);

    /// <summary>Throws <see cref="ConfigurationException"/> for the first invalid value, naming its key.</summary>
    public void Validate()
    {
        Range("generator.users", Users, 1, 50_000_000);
        Range("generator.products", Products, 1, 10_000_000);
        Range("generator.concurrentSessions", ConcurrentSessions, 0, 1_000_000);
        Share("generator.anonymousShare", AnonymousShare);
        Share("generator.invalidRate", MalformedRate);
        Share("generator.lateRate", LateRate);
        Share("generator.outOfOrderRate", OutOfOrderRate);
        Share("generator.duplicateRate", DuplicateRate);
        Share("generator.botRate", BotRate);
        Share("generator.cdcRate", CdcRate);
        if (MalformedRate + LateRate + OutOfOrderRate > 1)
            ThrowHelper.ThrowConfiguration("generator.invalidRate", $"malformed ({MalformedRate}) + late ({LateRate}) + out-of-order ({OutOfOrderRate}) rates add up to more than 1");
        if (MaxEvents < 0) ThrowHelper.ThrowConfiguration("generator.maxEvents", $"{MaxEvents} is negative; use 0 for no limit");
        if (Duration is { } d && d <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration("generator.duration", $"{d} must be positive, for example 1.00:00:00 for a day");
        if (MaxEvents == 0 && Duration is null) ThrowHelper.ThrowConfiguration("generator.maxEvents", "0 (no limit) needs a duration, or the run never ends");
        Positive("generator.meanThinkTime", MeanThinkTime);
        Positive("generator.sessionTimeout", SessionTimeout);
        if (MeanThinkTime >= SessionTimeout)
            ThrowHelper.ThrowConfiguration("generator.meanThinkTime", $"{MeanThinkTime} must be shorter than the session timeout {SessionTimeout}");
        Positive("generator.windowSize", WindowSize);
        if (OutOfOrderBound < TimeSpan.FromSeconds(2))
            ThrowHelper.ThrowConfiguration("generator.outOfOrderBound", $"{OutOfOrderBound} is too small; out-of-order events need at least 00:00:02");
        // Late events must land in windows a processor has already closed, whatever window they fall in.
        if (LateMin < OutOfOrderBound + WindowSize)
            ThrowHelper.ThrowConfiguration("generator.lateMin", $"{LateMin} must be at least the out-of-order bound plus the window size ({OutOfOrderBound + WindowSize}) so late events are late for every window");
        if (LateMax < LateMin)
            ThrowHelper.ThrowConfiguration("generator.lateMax", $"{LateMax} is shorter than generator.lateMin {LateMin}");
        if (LateMax >= SessionTimeout)
            ThrowHelper.ThrowConfiguration("generator.lateMax", $"{LateMax} must be shorter than the session timeout {SessionTimeout}");
        if (string.IsNullOrWhiteSpace(EventsTopic)) ThrowHelper.ThrowConfiguration("kafka.topics.events", "must not be empty");
        if (string.IsNullOrWhiteSpace(CdcTopic)) ThrowHelper.ThrowConfiguration("kafka.topics.cdcUsers", "must not be empty");
    }

    private static void Range(string key, long value, long min, long max)
    {
        if (value < min || value > max) ThrowHelper.ThrowConfiguration(key, $"{value} is out of range; allowed {min} to {max}");
    }

    private static void Share(string key, double value)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
            ThrowHelper.ThrowConfiguration(key, $"{value} is not a share between 0 and 1 (for example 0.01)");
    }

    private static void Positive(string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration(key, $"{value} must be positive");
    }
}
