using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Time;

namespace Sluice.Streaming.Processing;

/// <summary>Where records and partition assignments come from: a Kafka consumer in a group, or anything shaped like one.</summary>
/// <remarks>
/// Assignment callbacks must be delivered on the thread that calls <see cref="Poll"/>, before any record of a newly
/// assigned partition and after the last record of a revoked one, as Confluent.Kafka's rebalance handlers are.
/// </remarks>
public interface IPartitionSource : IDisposable
{
    /// <summary>Joins the group for <paramref name="topics"/>; assignment changes go to <paramref name="listener"/>.</summary>
    void Subscribe(IReadOnlyCollection<string> topics, IAssignmentListener listener);

    /// <summary>Joins the group for <paramref name="topics"/> and reads each of <paramref name="tableTopics"/> at the partition numbers
    /// the group assigns, so a task gets a table's partition with its events' (co-partitioning, whatever the group's assignor).</summary>
    /// <remarks>The default subscribes the group to both, which co-partitions only when one member reads everything.</remarks>
    void Subscribe(IReadOnlyCollection<string> topics, IReadOnlyCollection<string> tableTopics, IAssignmentListener listener) =>
        Subscribe([.. topics, .. tableTopics], listener);

    /// <summary>The next record, or null if none arrived within <paramref name="timeout"/>.</summary>
    SourceRecord? Poll(TimeSpan timeout);

    /// <summary>The record has been processed; its offset + 1 becomes the partition's position, committable at the next <see cref="Commit()"/>.</summary>
    void MarkProcessed(in SourceRecord record);

    /// <summary>The next offset to read of an assigned partition: after the last processed record, else where it started; null when not known.</summary>
    long? PositionOf(TopicPartition partition);

    /// <summary>Commits the positions of every assigned partition; called only after the outputs of those records are durable.</summary>
    void Commit();

    /// <summary>Commits the positions of <paramref name="partitions"/> (before they are handed back in a rebalance).</summary>
    void Commit(IReadOnlyCollection<TopicPartition> partitions);
}

/// <summary>A collector whose sends are asynchronous: <see cref="Flush"/> returns once everything sent so far is durable.</summary>
public interface IFlushableCollector : IRecordCollector
{
    /// <summary>Blocks until every record sent so far is acknowledged; throws when one could not be delivered.</summary>
    void Flush();
}

/// <summary>
/// Outputs written in Kafka transactions: what a task sends becomes visible to read_committed readers only with the
/// input positions it was computed from (exactly-once), or, aborted, not at all.
/// </summary>
public interface ITransactionalCollector : IFlushableCollector
{
    /// <summary>Commits every record sent since the last commit together with <paramref name="positions"/> (the next offsets to read) for the consumer group; a transaction with no records still commits the positions.</summary>
    void CommitTransaction(IReadOnlyCollection<PartitionOffset> positions);

    /// <summary>Aborts the open transaction, if any: its records are discarded and no position moves.</summary>
    void AbortTransaction();
}

/// <summary>The poll loop: records from an <see cref="IPartitionSource"/> into a <see cref="TaskManager"/>, with periodic punctuation and commits.</summary>
/// <remarks>
/// Every interval tasks re-check idleness and the <see cref="CommitCoordinator"/> gets its turn: it flushes the outputs,
/// checkpoints the tasks when one is due, and commits offsets, always in that order, so an offset is committed only
/// after the effects of its record are durable. The same happens on stop and before partitions are handed back.
/// </remarks>
public sealed class StreamRunner
{
    private readonly IPartitionSource _source;
    private readonly TaskManager _tasks;
    private readonly IReadOnlyCollection<string> _topics;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _punctuateInterval;
    private readonly ILogger _logger;

    /// <summary>A runner whose commits go through <paramref name="coordinator"/>, or, without one, a coordinator that flushes <paramref name="outputs"/> then commits (no checkpoints).</summary>
    public StreamRunner(IPartitionSource source, TaskManager tasks, IReadOnlyCollection<string> topics, TimeProvider clock,
        TimeSpan? punctuateInterval = null, IFlushableCollector? outputs = null, ILogger? logger = null, CommitCoordinator? coordinator = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _tasks = tasks ?? throw new ArgumentNullException(nameof(tasks));
        _topics = topics ?? throw new ArgumentNullException(nameof(topics));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _punctuateInterval = punctuateInterval ?? TimeSpan.FromSeconds(1);
        _logger = logger ?? NullLogger.Instance;
        Coordinator = coordinator ?? new CommitCoordinator(source, tasks, outputs, clock, _logger);
    }

    /// <summary>Owns the order flush → snapshot → persist → commit.</summary>
    public CommitCoordinator Coordinator { get; }

    /// <summary>Records of the event topics processed so far (the table topics' are counted in <see cref="TableRecordsProcessed"/>).</summary>
    public long Processed { get; private set; }

    /// <summary>Records of the table topics (<see cref="ITopology.TableTopics"/>, user changes) processed so far.</summary>
    public long TableRecordsProcessed { get; private set; }

    /// <summary>Polls and processes until cancelled; <paramref name="endOfInput"/> closes every window when the source is exhausted (bounded runs).</summary>
    /// <remarks>On the way out the coordinator flushes, checkpoints and commits a last time; the caller then disposes the source to leave the group.</remarks>
    public void Run(CancellationToken cancellationToken, Func<bool>? endOfInput = null)
    {
        var tables = _topics.Where(_tasks.IsTable).ToList();
        if (tables.Count == 0) _source.Subscribe(_topics, Coordinator);
        else _source.Subscribe(_topics.Where(t => !_tasks.IsTable(t)).ToList(), tables, Coordinator);
        var nextPunctuate = _clock.GetUtcNow() + _punctuateInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_source.Poll(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                // A partition whose task another member took over: its records are that member's to process.
                if (!Coordinator.IsFenced(new TopicPartition(record.Topic, record.Partition))) Process(record);
            }
            else if (endOfInput?.Invoke() == true)
            {
                _tasks.AdvanceWatermarkTo(EventTime.EndOfTime);
                break;
            }
            var now = _clock.GetUtcNow();
            if (now >= nextPunctuate)
            {
                _tasks.Punctuate();
                Coordinator.Tick();
                nextPunctuate = now + _punctuateInterval;
            }
        }
        Coordinator.Stop();
        _logger.LogInformation("Stream runner stopped after {Records} records", Processed);
    }

    private void Process(in SourceRecord record)
    {
        _tasks.Process(record);
        _source.MarkProcessed(record);
        if (_tasks.IsTable(record.Topic))
        {
            TableRecordsProcessed++;
            return;
        }
        // Once, for the operator measuring recovery: how long from start (or restart) to work done.
        if (++Processed == 1) _logger.LogInformation("First record processed: {Source}", record.Source);
    }
}
