using Microsoft.Extensions.Logging;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;

namespace Sluice.Pipelines.Hosting;

/// <summary>One member of the processor consumer group running the clickstream topology against Kafka.</summary>
/// <remarks>
/// Composes the engine's pieces: a <see cref="KafkaPartitionSource"/> in the group, a <see cref="TaskManager"/>
/// that creates a task per assigned partition, a <see cref="KafkaRecordCollector"/> for the outputs and the
/// <see cref="StreamRunner"/> poll loop, which flushes outputs before it commits offsets. Run several in one
/// process, or one per process on as many machines as there are partitions.
/// </remarks>
public sealed class ClickstreamProcessor(KafkaClientFactory factory, ClickstreamOptions options, string groupId, string name, ILoggerFactory loggers)
{
    private StreamRunner? _runner;
    private int _ownedPartitions;

    public string Name { get; } = name;

    /// <summary>Records this member has processed so far (read from any thread; may lag by one poll).</summary>
    public long Processed => Volatile.Read(ref _runner) is { } r ? r.Processed : 0;

    /// <summary>Partitions (tasks) this member owns now.</summary>
    public int OwnedPartitions => Volatile.Read(ref _ownedPartitions);

    /// <summary>Polls until cancelled, or until <paramref name="endOfInput"/> says the input is exhausted (then every window closes).</summary>
    public Task RunAsync(CancellationToken cancellationToken, Func<bool>? endOfInput = null) =>
        Task.Factory.StartNew(() => Run(cancellationToken, endOfInput), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken, Func<bool>? endOfInput)
    {
        var topology = new ClickstreamTopology(options);
        using var outputs = ClickstreamJson.RegisterAll(new KafkaRecordCollector(factory));
        using var source = new KafkaPartitionSource(factory, groupId, outputs);
        using var tasks = new TaskManager(topology, topology.WatermarkStrategy, TimeProvider.System, outputs, loggers.CreateLogger<TaskManager>());
        tasks.TaskCreated += _ => Interlocked.Increment(ref _ownedPartitions);
        tasks.TaskClosing += _ => Interlocked.Decrement(ref _ownedPartitions);
        var runner = new StreamRunner(source, tasks, topology.SourceTopics, TimeProvider.System, TimeSpan.FromMilliseconds(250), outputs,
            loggers.CreateLogger<StreamRunner>());
        Volatile.Write(ref _runner, runner);
        runner.Run(cancellationToken, endOfInput);
    }
}
