using Confluent.Kafka;
using Sluice.Core.Errors;
using Sluice.Kafka;
using Sluice.Pipelines.Hosting;
using Sluice.Verification;

namespace Sluice.App.DeadLetters;

/// <summary>What happened to one letter a replay chose.</summary>
/// <param name="Mark">The replay's mark; null when the letter was not replayed.</param>
/// <param name="Skipped">Why it was not replayed; null when it was.</param>
public sealed record ReplayOutcome(DeadLetter Letter, ReplayMark? Mark, string? Skipped);

/// <summary>Writes chosen dead letters' payloads back to the topic they came from, so the processor judges them again
/// (after a rule or a schema was fixed), and marks each in the replay log with when and what it became.</summary>
/// <remarks>
/// <para>Each payload is judged first by the configured topology's decoding and rules (<see cref="RecordJudge"/>), as
/// the processor will judge it: the mark says <c>valid</c> or the reason it would be refused again. The payload goes
/// back with its key, the time it first entered the log as its timestamp (so the old-event bound is measured as it was
/// the first time, however late the replay), and a header <c>sluice.replay.of</c> naming the letter. A letter already marked is skipped unless <c>again</c>: a replay run twice writes nothing twice.</para>
/// <para>A payload the processor cut to a prefix (over 256 KiB) is read whole from its source offset while the broker
/// still holds it, and is skipped with the reason otherwise. Nothing is written in a dry run; the outcomes still say
/// what each letter would become.</para>
/// </remarks>
public sealed class DeadLetterReplay(KafkaClientFactory factory, RecordJudge judge, string deadLetterTopic, TimeProvider? clock = null)
{
    /// <summary>The header that names the letter a replayed record came from.</summary>
    public const string ReplayHeader = "sluice.replay.of";

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Replays <paramref name="letters"/> in order; <paramref name="progress"/> hears the count done after each.</summary>
    public IReadOnlyList<ReplayOutcome> Replay(IReadOnlyList<DeadLetter> letters, IReadOnlyDictionary<string, ReplayMark> marks, bool dryRun, bool again,
        IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(letters);
        ArgumentNullException.ThrowIfNull(marks);
        var outcomes = new List<ReplayOutcome>(letters.Count);
        using var producer = dryRun ? null : factory.CreateProducer("dlq-replay");
        // Only a cut payload needs its source record: the consumer is made for the first.
        IConsumer<byte[]?, byte[]?>? source = null;
        IConsumer<byte[]?, byte[]?> Source() => source ??= TopicReader.AssignedConsumer(factory, "dlq-replay");
        var replayTopic = DeadLetterLog.ReplayTopicOf(deadLetterTopic);
        try
        {
            foreach (var letter in letters)
            {
                outcomes.Add(ReplayOne(letter, marks, dryRun, again, producer, Source, replayTopic));
                progress?.Report(outcomes.Count);
            }
            producer?.Flush(TimeSpan.FromSeconds(30));
        }
        finally
        {
            source?.Close();
            source?.Dispose();
        }
        return outcomes;
    }

    private ReplayOutcome ReplayOne(DeadLetter letter, IReadOnlyDictionary<string, ReplayMark> marks, bool dryRun, bool again,
        IProducer<string, byte[]>? producer, Func<IConsumer<byte[]?, byte[]?>> source, string replayTopic)
    {
        // A staged file's row came from no topic, and a CSV row is no payload without its header: its way back in is a file.
        if (letter.SourceTopic.StartsWith(Ingest.StagedFileTopic.Prefix, StringComparison.Ordinal))
            return new ReplayOutcome(letter, null,
                $"a row of the staged file {Ingest.StagedFileTopic.FileName(letter.SourceTopic)}, line {letter.SourceOffset}: stage the fixed rows as a file of their own for sluice ingest");
        if (!again && marks.TryGetValue(letter.Id, out var earlier))
            return new ReplayOutcome(letter, null, $"replayed already, {DateTimeOffset.FromUnixTimeMilliseconds(earlier.ReplayedAtMs):u} (--again replays it once more)");
        var payload = letter.Payload;
        if (letter.Truncated)
        {
            if (Fetch(source(), letter) is not { } whole)
                return new ReplayOutcome(letter, null, $"payload cut to {payload.Length:N0} bytes and the source record {letter.SourceTopic}/{letter.SourcePartition}/{letter.SourceOffset} is no longer held");
            payload = whole;
        }
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var logTime = letter.LogTimestampMs > 0 ? letter.LogTimestampMs : letter.FailedAtMs;
        var (reason, detail) = judge.Judge(payload, logTime, now);
        var became = reason ?? "valid";
        if (dryRun) return new ReplayOutcome(letter, new ReplayMark(letter.Id, now, letter.SourceTopic, -1, -1, became, detail), null);

        var message = new Message<string, byte[]>
        {
            Key = letter.Key is null ? null! : System.Text.Encoding.UTF8.GetString(letter.Key),
            Value = payload,
            Timestamp = new Timestamp(logTime > 0 ? logTime : now, TimestampType.CreateTime),
            Headers = [new Header(ReplayHeader, System.Text.Encoding.UTF8.GetBytes($"{deadLetterTopic}/{letter.Partition}/{letter.Offset}"))],
        };
        var delivered = Deliver(producer!, letter.SourceTopic, message);
        var mark = new ReplayMark(letter.Id, now, letter.SourceTopic, delivered.Partition.Value, delivered.Offset.Value, became, detail);
        Deliver(producer!, replayTopic, new Message<string, byte[]> { Key = ReplayMark.KeyOf(letter.Id), Value = mark.ToJson() });
        return new ReplayOutcome(letter, mark, null);
    }

    private static DeliveryResult<string, byte[]> Deliver(IProducer<string, byte[]> producer, string topic, Message<string, byte[]> message)
    {
        try
        {
            return producer.ProduceAsync(topic, message).GetAwaiter().GetResult();
        }
        catch (ProduceException<string, byte[]> ex)
        {
            throw new SluiceException($"writing to {topic} failed: {ex.Error.Reason}" +
                (ex.Error.Code == ErrorCode.UnknownTopicOrPart ? $"; create the topic {topic} (`sluice broker` creates it with the pipeline's topics)" : ""),
                isTransient: true, ex);
        }
    }

    // The whole source record, when the broker still holds it.
    private static byte[]? Fetch(IConsumer<byte[]?, byte[]?> consumer, DeadLetter letter)
    {
        consumer.Assign(new TopicPartitionOffset(letter.SourceTopic, letter.SourcePartition, letter.SourceOffset));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF) continue;
            return r.Offset.Value == letter.SourceOffset ? r.Message.Value : null;
        }
        return null;
    }
}
