using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;
using Sluice.Verification;
using StreamTopicPartition = Sluice.Streaming.Processing.TopicPartition;

namespace Sluice.App.Replay;

/// <summary>What to replay: from a time or an offset (on every partition), to a time or the log end.</summary>
public sealed record ReplayRequest(long? FromTimeMs, long? FromOffset, long? ToTimeMs, bool DryRun);

/// <summary>How far a replay is: input records processed of those to process.</summary>
public readonly record struct ReplayProgress(long Done, long Total, TimeSpan Elapsed);

/// <summary>One output of a replay: its records recomputed in the range, and how they compare with what the topic holds.</summary>
/// <param name="Written">Records written to the topic: the new and the different ones (none in a dry run).</param>
public sealed record ReplayOutputReport(ClickstreamOutput Output, string Topic, long Recomputed, long Identical, long Different, long New, long Written);

/// <summary>A finished replay: the range per partition, what was read, and each output's comparison.</summary>
public sealed record ReplayReport(
    string Topic, IReadOnlyList<(int Partition, long From, long To)> Range, long WarmUpRecords, long RangeRecords, TimeSpan WarmUp,
    TimeSpan Elapsed, IReadOnlyList<ReplayOutputReport> Outputs, bool DryRun)
{
    /// <summary>Records written to the output topics: zero for a range whose outputs were right.</summary>
    public long Written => Outputs.Sum(o => o.Written);
}

/// <summary>
/// Reprocesses a range of the input topic with the configured clickstream topology and writes to the output topics only
/// what differs from what they hold: a range whose outputs were right changes nothing.
/// </summary>
/// <remarks>
/// <para>The topology runs in this process on the engine's own task manager, with fresh state, over the range and a
/// warm-up before it: everything a record's outcome depends on (the ids it may repeat, the windows and sessions it
/// joins, the watermark) lies within the largest window, the dedup horizon or the session gap before it, plus the
/// watermark's bound and the allowed lateness. <c>--from-offset</c> warms up from each partition's log start.</para>
/// <para>Kept from the run: the per-record outputs (enriched, dead letters, late, bots) of the range's records, and the
/// aggregate rows and sessions that the range's records closed and that began after the warm-up could have seen
/// all of their records. Windows and sessions still open at the range's end are not written (the processor closes
/// them). Each kept record is compared by its stable id with the topic's newest record of that id, field by field,
/// ignoring processing-time fields (as <c>verify</c> compares): identical ones are not written; new and different ones
/// are written with their key, so they land in the partition the processor writes them to, and the stores, which upsert
/// by stable id, take them. Quality rows are not rewritten: they measure processing time.</para>
/// </remarks>
public sealed class RangeReplay(ClickstreamOptions options, KafkaClientFactory factory, ISchemaSource? schemas, TimeProvider? clock = null)
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan BuiltInLargestWindow = TimeSpan.FromHours(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>How far before the range the topology starts: what a record's outcome can depend on.</summary>
    public TimeSpan WarmUp => LargestSpan + options.MaxOutOfOrderness + options.AllowedLateness;

    private TimeSpan LargestSpan =>
        new[] { BuiltInLargestWindow, options.DedupHorizon, options.SessionGap }
            .Concat(FileAggregates.Compile(options.Domain, options.AllowedLateness).Select(a => TimeSpan.FromMilliseconds(a.TimeWindows!.SizeMs))).Max();

    /// <summary>Runs the replay; <paramref name="progress"/> hears how far it is every few thousand records.</summary>
    public ReplayReport Run(ReplayRequest request, IProgress<ReplayProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options.Domain.DescribesOwnEvent)
            throw new ConfigurationException("processor.domain", $"replay runs the clickstream topology; {options.Domain.Source} describes its own event, which replay does not run");
        if ((request.FromTimeMs is null) == (request.FromOffset is null))
            throw new ArgumentException("a replay starts at a time or at an offset, one of the two", nameof(request));
        var clock = Stopwatch.StartNew();
        using var reader = new TopicReader(factory, ReadTimeout);
        var logs = reader.Logs(options.InputTopic);
        if (logs.Count == 0) throw new SluiceException($"the input topic {options.InputTopic} does not exist at {factory.BootstrapServers}");

        var warmUp = WarmUp;
        var starts = request.FromTimeMs is { } from
            ? OffsetsAt(logs, from)
            : logs.ToDictionary(l => l.Partition, l => Math.Clamp(request.FromOffset!.Value, l.LogStart, l.LogEnd));
        var warm = request.FromTimeMs is { } t ? OffsetsAt(logs, t - (long)warmUp.TotalMilliseconds) : logs.ToDictionary(l => l.Partition, l => l.LogStart);
        var ends = request.ToTimeMs is { } to ? OffsetsAt(logs, to) : logs.ToDictionary(l => l.Partition, l => l.LogEnd);
        // A window or session is whole when it began after the warm-up's first records could have reached it.
        var completeFrom = request.FromTimeMs is { } f ? f - (long)(warmUp - LargestSpan).TotalMilliseconds : long.MinValue;

        var input = reader.Read(logs, l => Math.Min(warm[l.Partition], starts[l.Partition]))
            .SelectMany(p => p).Where(r => r.Offset < ends[r.Partition]).ToList();
        var inRange = input.Count(r => r.Offset >= starts[r.Partition]);

        // The topology over the input, partition by partition, noting which outputs each range record produced.
        var serializers = ClickstreamJson.RegisterAll(new RecordSerializers());
        var capture = new OutputCapture(serializers);
        var topology = new ClickstreamTopology(options, schemas);
        var kept = new List<CapturedOutput>();
        // The user changes, all of them, before any event: each event is joined with the profile its time finally has,
        // what the processor's output holds once corrections are applied. Their outputs are not the range's.
        var changeLogs = options.JoinsUsers ? reader.Logs(options.UserChangesTopic!).Where(l => logs.Any(e => e.Partition == l.Partition)).ToList() : [];
        var changes = changeLogs.Count > 0 ? reader.Read(changeLogs).SelectMany(p => p).ToList() : [];
        using (var tasks = new TaskManager(topology, topology.WatermarkStrategy, _clock, capture))
        {
            tasks.OnAssigned([.. logs.Select(l => new StreamTopicPartition(options.InputTopic, l.Partition)),
                .. changeLogs.Select(l => new StreamTopicPartition(l.Topic, l.Partition))]);
            foreach (var c in changes) tasks.Process(new SourceRecord(c.Topic, c.Partition, c.Offset, c.TimestampMs, c.Key, c.Value));
            for (var i = 0; i < input.Count; i++)
            {
                var r = input[i];
                var before = capture.Records.Count;
                tasks.Process(new SourceRecord(r.Topic, r.Partition, r.Offset, r.TimestampMs, r.Key, r.Value));
                if (r.Offset >= starts[r.Partition])
                    for (var k = before; k < capture.Records.Count; k++)
                        if (Whole(capture.Records[k], completeFrom)) kept.Add(capture.Records[k]);
                if ((i + 1) % 5_000 == 0 || i + 1 == input.Count) progress?.Report(new ReplayProgress(i + 1, input.Count, clock.Elapsed));
            }
        }

        var reports = new List<ReplayOutputReport>();
        var toWrite = new List<CapturedOutput>();
        foreach (var output in ClickstreamOutputs.All)
        {
            var topic = output.Topic(options);
            var recomputed = kept.Where(k => k.Topic == topic).ToList();
            var held = Newest(reader, topic, output);
            long identical = 0, different = 0, added = 0;
            foreach (var c in recomputed)
            {
                var record = new OutputRecord(c.Key, c.Value);
                if (!held.TryGetValue(OutputComparison.IdOf(output, record), out var current)) added++;
                else if (OutputComparison.Differences(record, current, OutputComparison.IgnoredFields(output)).Count == 0)
                {
                    identical++;
                    continue;
                }
                else different++;
                toWrite.Add(c);
            }
            reports.Add(new ReplayOutputReport(output, topic, recomputed.Count, identical, different, added, request.DryRun ? 0 : different + added));
        }
        if (!request.DryRun && toWrite.Count > 0) Write(toWrite);
        clock.Stop();
        return new ReplayReport(options.InputTopic, [.. logs.Select(l => (l.Partition, starts[l.Partition], ends[l.Partition]))],
            input.Count - inRange, inRange, warmUp, clock.Elapsed, reports, request.DryRun);
    }

    // Per-record outputs always; a window or session only when it began where the run saw all of its records.
    private static bool Whole(CapturedOutput output, long completeFrom)
    {
        if (completeFrom == long.MinValue) return true;
        using var doc = JsonDocument.Parse(output.Value);
        var v = doc.RootElement;
        if (v.TryGetProperty("window_start", out var start) && v.TryGetProperty("metric", out _)) return start.GetInt64() >= completeFrom;
        if (v.TryGetProperty("session_start", out var session)) return session.GetInt64() >= completeFrom;
        return true;
    }

    // The first offset of each partition whose log timestamp is at or after the time; the log end where none is. The
    // broker's timestamp index answers; where it says "none" although the partition's last record is that late (the
    // embedded broker does not index timestamps), the partition's records are read to find it.
    private Dictionary<int, long> OffsetsAt(IReadOnlyList<PartitionLog> logs, long timeMs)
    {
        using var consumer = TopicReader.AssignedConsumer(factory, "replay");
        var found = consumer.OffsetsForTimes(
            logs.Select(l => new TopicPartitionTimestamp(l.Topic, l.Partition, new Timestamp(Math.Max(0, timeMs), TimestampType.CreateTime))), ReadTimeout);
        var offsets = new Dictionary<int, long>();
        foreach (var log in logs)
        {
            var offset = found.FirstOrDefault(o => o.Partition.Value == log.Partition)?.Offset.Value ?? Offset.End.Value;
            offsets[log.Partition] = offset >= 0 ? Math.Max(offset, log.LogStart)
                : log.LogEnd > log.LogStart && TimestampAt(consumer, log, log.LogEnd - 1) >= timeMs ? Scan(log, timeMs) : log.LogEnd;
        }
        return offsets;
    }

    private static long TimestampAt(IConsumer<byte[]?, byte[]?> consumer, PartitionLog log, long offset)
    {
        consumer.Assign(new TopicPartitionOffset(log.Topic, log.Partition, offset));
        var deadline = DateTime.UtcNow + ReadTimeout;
        while (DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { IsPartitionEOF: false } r) return r.Message.Timestamp.UnixTimestampMs;
        throw new SluiceException($"reading {log.Topic}[{log.Partition}]@{offset} took over {ReadTimeout.TotalSeconds:0} s", isTransient: true);
    }

    private long Scan(PartitionLog log, long timeMs)
    {
        using var reader = new TopicReader(factory, ReadTimeout);
        return reader.Read([log]).SelectMany(p => p).FirstOrDefault(r => r.TimestampMs >= timeMs)?.Offset ?? log.LogEnd;
    }

    // What the topic holds now: the newest record of each stable id.
    private static Dictionary<string, OutputRecord> Newest(TopicReader reader, string topic, ClickstreamOutput output)
    {
        var newest = new Dictionary<string, OutputRecord>(StringComparer.Ordinal);
        foreach (var partition in reader.Read(reader.Logs(topic)))
            foreach (var r in partition)
            {
                var record = new OutputRecord(r.Key, r.Value);
                newest[OutputComparison.IdOf(output, record)] = record;
            }
        return newest;
    }

    private void Write(List<CapturedOutput> records)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(factory.ProducerConfig("replay")).Build();
        Error? failure = null;
        foreach (var r in records)
        {
            producer.Produce(r.Topic, new Message<byte[]?, byte[]> { Key = r.Key, Value = r.Value, Timestamp = new Timestamp(r.Timestamp, TimestampType.CreateTime) },
                report =>
                {
                    if (report.Error.IsError) failure ??= report.Error;
                });
        }
        producer.Flush(ReadTimeout);
        if (failure is { } error) throw new SluiceException($"writing the replayed outputs failed: {error.Reason}", isTransient: true);
    }
}
