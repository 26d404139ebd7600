namespace Sluice.Sinks;

/// <summary>How a <see cref="SinkRunner"/> reads, batches and retries; defaults are the <c>sinks.*</c> keys'.</summary>
public sealed class SinkRunnerOptions
{
    /// <summary>The sink's own consumer group (<c>sinks.&lt;name&gt;.groupId</c>): its offsets live in the sink's store.</summary>
    public required string GroupId { get; init; }

    /// <summary>The output topics to read.</summary>
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>Records per batch at most (<c>sinks.batchSize</c>): also all the records held in memory.</summary>
    public int BatchSize { get; init; } = 10_000;

    /// <summary>A batch that has not filled is written this long after its first record (<c>sinks.batchInterval</c>).</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first wait before retrying a failed batch; it doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between two attempts (<c>sinks.maxRetryDelay</c>).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After consecutive failures the circuit opens: no attempt at all for this long (never longer than <see cref="MaxRetryDelay"/>, nor under 0.5 s).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>On a stop, how long the last batch may take to be written before the runner gives up on it (it is read again on the next start).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Called after a batch is stored and before its offsets are committed to Kafka: tests crash the runner there.</summary>
    public Action<SinkBatch>? AfterWrite { get; init; }
}
