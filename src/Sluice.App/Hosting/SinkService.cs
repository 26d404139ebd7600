using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;

namespace Sluice.App.Hosting;

/// <summary>One sink as a hosted service: a <see cref="SinkRunner"/> feeding any <see cref="ISink"/> from the output topics until the host stops.</summary>
/// <remarks>
/// On start the store is created and opened (migrations, connectivity) before its consumer joins the group, so a wrong
/// password is one line, not a consumer waiting in the group. On stop the runner writes what it holds and leaves. A
/// failure is recorded in <paramref name="failures"/> and stops the host. <see cref="WaitForEndsAsync"/> lets a bounded
/// run (the demo) wait until the store holds everything the output topics hold.
/// </remarks>
public sealed class SinkService(
    string name, Func<ISink> create, Func<KafkaClientFactory> factory, SinkRunnerOptions options,
    ProcessorFailures failures, IHostApplicationLifetime lifetime, ILogger logger)
    : BackgroundService
{
    private ISink? _sink;
    private SinkRunner? _runner;

    /// <summary>The store's short name: postgres, duckdb, lake, clickhouse.</summary>
    public string Name { get; } = name;

    /// <summary>The sink's consumer group, whose offsets the store keeps with its rows.</summary>
    public string GroupId => options.GroupId;

    /// <summary>Records stored so far.</summary>
    public long Written => Volatile.Read(ref _runner)?.Written ?? 0;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var sink = create();
        try
        {
            sink.Open(cancellationToken);
            Volatile.Write(ref _runner, new SinkRunner(sink, factory(), options, logger));
        }
        catch
        {
            sink.Dispose();
            throw;
        }
        _sink = sink;
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Factory.StartNew(() =>
                {
                    GeneratorService.NameThread($"sink-{Name}");
                    _runner!.Run(stoppingToken);
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogError("{Sink} failed: {Reason}", Name, ex.Message);
            failures.Record(ex);
            lifetime.StopApplication();
        }
    }

    /// <summary>Waits until the sink's group has committed every output partition up to its end as it is now, or fails after <paramref name="timeout"/>.</summary>
    /// <remarks>The runner commits a batch's offsets to Kafka after the store has written it, so a committed end means stored.</remarks>
    public async Task WaitForEndsAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clients = factory();
        var consumer = clients.CreateConsumer(GroupId, $"sink-{Name}-progress");
        try
        {
            var ends = EndOffsets(clients, consumer);
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (ExecuteTask is { IsCompleted: true }) ThrowHelper.Throw($"{Name}: the sink stopped before it had stored every output record");
                var committed = consumer.Committed(ends.Keys, TimeSpan.FromSeconds(10));
                if (committed.All(c => c.Offset.Value >= ends[c.TopicPartition])) return;
                if (DateTime.UtcNow > deadline)
                    ThrowHelper.Throw($"{Name}: the sink had not stored every output record within {timeout.TotalSeconds:0} s " +
                                      $"({Written:N0} stored; group {GroupId})", isTransient: true);
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            clients.Close(consumer);
        }
    }

    private Dictionary<TopicPartition, long> EndOffsets(KafkaClientFactory clients, IConsumer<string, byte[]> consumer)
    {
        var ends = new Dictionary<TopicPartition, long>();
        using var admin = clients.CreateAdminClient($"sink-{Name}-progress");
        foreach (var topic in admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => options.Topics.Contains(t.Topic)))
        {
            foreach (var p in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Topic, p.PartitionId);
                var high = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
                if (high > 0) ends[tp] = high;
            }
        }
        return ends;
    }

    public override void Dispose()
    {
        base.Dispose();
        _runner?.Dispose();
        _sink?.Dispose();
    }
}
