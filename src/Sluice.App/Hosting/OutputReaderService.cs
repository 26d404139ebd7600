using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;

namespace Sluice.App.Hosting;

/// <summary>The reader of the output topics (an <see cref="OutputTally"/>) as a hosted service: it follows them from the start until the host stops or, after <see cref="RequestDrain"/>, until their ends.</summary>
/// <param name="observe">Called for every output record read (a measuring point); null for none.</param>
public sealed class OutputReaderService(Func<KafkaClientFactory> factory, ClickstreamOptions topics, Action<ConsumeResult<string, byte[]>>? observe = null) : BackgroundService
{
    /// <summary>Counts of nothing read: what a reader reports before it starts.</summary>
    public static readonly OutputCounts Nothing = new(0, 0, 0, 0, 0, 0, new Dictionary<string, long>(), new Dictionary<long, long[]>());
    private OutputTally? _tally;

    /// <summary>What the output topics held so far, as read.</summary>
    public OutputCounts Snapshot() => Volatile.Read(ref _tally)?.Snapshot() ?? Nothing;

    /// <summary>Output records read so far, over every output topic.</summary>
    public long Read => Volatile.Read(ref _tally)?.Read ?? 0;

    /// <summary>Completes when the reader has stopped: drained to the ends, or stopped with the host.</summary>
    public Task Completion => ExecuteTask ?? Task.CompletedTask;

    /// <summary>Asks the reader to stop once it has read every output topic up to its current end.</summary>
    public void RequestDrain() => (Volatile.Read(ref _tally) ?? throw new InvalidOperationException("the output reader has not started")).RequestDrain();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _tally, new OutputTally(factory(), topics, observe));
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _tally!.RunAsync(stoppingToken);
}
