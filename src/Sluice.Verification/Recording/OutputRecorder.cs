using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;
using Sluice.Kafka;

namespace Sluice.Verification.Recording;

/// <summary>
/// Follows topics from their first offset and appends every record to a <see cref="RecordingDirectory"/> as it
/// arrives, so <c>sluice verify --outputs-from</c> can check a run whose outputs the broker no longer holds whole
/// (the embedded broker keeps 5 MiB per partition).
/// </summary>
/// <remarks>
/// Partitions are assigned, not subscribed: it joins no group and commits nothing. Its position is its files: after a
/// restart each partition resumes at the offset after the last record kept, so nothing is recorded twice or skipped.
/// Records the broker deleted before they were read cannot be recorded: that is an error naming the partition, never
/// a silent gap. Appends reach the operating system within <see cref="FlushInterval"/> (a kill -9 of the recorder
/// keeps them); fsync happens on a clean stop.
/// </remarks>
public sealed class OutputRecorder(KafkaClientFactory factory, string directory, IReadOnlyList<string> topics, TimeSpan timeout, ILogger logger)
{
    /// <summary>How long an appended record may stay in the recorder's own buffer.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    /// <summary>Records appended since this recorder started.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    private long _recorded;

    /// <summary>Records until <paramref name="stop"/> is cancelled, then flushes and fsyncs every file.</summary>
    /// <exception cref="SluiceException">A topic is missing, a file is damaged, or the broker deleted records before they were read.</exception>
    public void Run(CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(topics);
        IReadOnlyList<PartitionLog> logs;
        using (var inspector = new TopicInspector(factory, timeout))
            logs = inspector.Partitions(topics);
        var files = new Dictionary<(string, int), PartitionRecording>();
        try
        {
            var starts = new List<TopicPartitionOffset>();
            foreach (var log in logs)
            {
                Directory.CreateDirectory(Path.Combine(directory, log.Topic));
                var file = PartitionRecording.OpenForAppend(RecordingDirectory.PartitionFile(directory, log.Topic, log.Partition));
                files[(log.Topic, log.Partition)] = file;
                var next = file.LastOffset + 1 ?? 0;
                if (log.LogStart > next) Lost(log.Topic, log.Partition, next, log.LogStart);
                starts.Add(new TopicPartitionOffset(log.Topic, log.Partition, next));
            }
            foreach (var topic in logs.GroupBy(l => l.Topic))
            {
                var kept = topic.Sum(l => files[(l.Topic, l.Partition)].Count);
                logger.LogInformation("Recording {Topic} ({Partitions} partitions) into {Directory}: {Kept:N0} records already kept, {Behind:N0} to catch up",
                    topic.Key, topic.Count(), Path.Combine(directory, topic.Key), kept,
                    topic.Sum(l => l.LogEnd - (files[(l.Topic, l.Partition)].LastOffset + 1 ?? 0)));
            }
            Follow(starts, files, stop);
        }
        finally
        {
            foreach (var file in files.Values) file.Dispose();
        }
        logger.LogInformation("Recording stopped: {Recorded:N0} records appended, every file flushed to disk", Recorded);
    }

    private void Follow(List<TopicPartitionOffset> starts, Dictionary<(string, int), PartitionRecording> files, CancellationToken stop)
    {
        // auto.offset.reset=error: a position the broker has deleted is reported, not silently moved to the log start.
        using var consumer = TopicReader.AssignedConsumer(factory, "record", c => c.AutoOffsetReset = AutoOffsetReset.Error);
        consumer.Assign(starts);
        var sinceFlush = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                ConsumeResult<byte[]?, byte[]?>? r;
                try
                {
                    r = consumer.Consume(FlushInterval);
                }
                catch (ConsumeException e) when (e.Error.Code is ErrorCode.Local_AutoOffsetReset or ErrorCode.OffsetOutOfRange)
                {
                    var at = e.ConsumerRecord?.TopicPartitionOffset;
                    ThrowHelper.Throw($"cannot record {at?.Topic}[{at?.Partition.Value}]: the broker deleted records before the recorder read them ({e.Error.Reason}); " +
                        "the recording would have a gap, so it stops. Start the recorder before the run, or give the topics more partitions (kafka.partitions)");
                    return;
                }
                if (r?.Message is not null && !r.IsPartitionEOF)
                {
                    var file = files[(r.Topic, r.Partition.Value)];
                    var expected = file.LastOffset + 1 ?? 0;
                    // Offsets may skip for transaction markers; they skip for deleted records only if the log now starts past them.
                    if (r.Offset.Value > expected) CheckNotDeleted(consumer, r.Topic, r.Partition.Value, expected);
                    var key = r.Message.Key;
                    file.Append(r.Offset.Value, key, key is not null, r.Message.Value ?? []);
                    Interlocked.Increment(ref _recorded);
                }
                if (r is null || sinceFlush.Elapsed >= FlushInterval)
                {
                    foreach (var file in files.Values)
                        if (file.IsDirty) file.Flush();
                    sinceFlush.Restart();
                }
                if (sinceProgress.Elapsed >= ProgressInterval)
                {
                    logger.LogInformation("Recorded {Recorded:N0} records since start", Recorded);
                    sinceProgress.Restart();
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    private void CheckNotDeleted(IConsumer<byte[]?, byte[]?> consumer, string topic, int partition, long expected)
    {
        var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), timeout);
        if (marks.Low.Value > expected) Lost(topic, partition, expected, marks.Low.Value);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Lost(string topic, int partition, long next, long logStart) =>
        ThrowHelper.Throw($"cannot record {topic}[{partition}]: the next offset to record is {next:N0} but the broker's log now starts at {logStart:N0}; " +
            $"it deleted {logStart - next:N0} records before the recorder read them (the embedded broker keeps 5 MiB per partition). " +
            $"The recording in {directory} cannot be completed: start the recorder before the run, into an empty directory");
}
