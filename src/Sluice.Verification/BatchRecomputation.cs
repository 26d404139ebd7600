using Sluice.Pipelines.Domains.Rules;
using System.Buffers;
using System.Text;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;

namespace Sluice.Verification;

/// <summary>Every output of the clickstream topology for a whole input, recomputed in batch.</summary>
/// <param name="FinalWatermarks">Per partition, the watermark after the last record: windows and sessions that end
/// (plus the allowed lateness) after it are pending.</param>
public sealed record ExpectedOutputs(IReadOnlyDictionary<ClickstreamOutput, List<OutputRecord>> Records, IReadOnlyList<long> FinalWatermarks)
{
    public List<OutputRecord> this[ClickstreamOutput output] => (List<OutputRecord>)Records[output];
}

/// <summary>
/// Recomputes the clickstream topology's outputs from its input with plain code: a scan of each partition in offset
/// order for what depends on arrival (deduplication, lateness, which sessions a straggler may still join), then
/// group-bys over the on-time events for the windows and sessions. None of the engine's operators, windows, stores or
/// watermark classes is used; the rules are those of docs/streaming.md, restated here.
/// </summary>
/// <remarks>
/// <para>Reused from the topology, because they are plain functions of one record and not streaming operators: the
/// decoder, the validator, the bot detector, the normalisation helpers of enrichment, and the JSON writers of the outputs.</para>
/// <para>Processing time is <c>nowMs</c> for every record. It matters twice: validation rejects events more than
/// <c>maxFutureSkew</c> ahead of it, and an event's time moves the watermark only up to it. For a run whose event times
/// are all before the time it was processed (any replay of generated traffic, whose clock starts in the past), passing the
/// verification time changes neither; an input with events from the future at processing time cannot be recomputed
/// exactly, and its differences show as such.</para>
/// <para>The state limits (<c>dedupMaxEntries</c>, <c>maxOpenSessions</c>, <c>maxWindowEntries</c>) are assumed not
/// reached: beyond them the engine forgets ids or closes windows early, on purpose, and counts it.</para>
/// </remarks>
public sealed partial class BatchRecomputation
{
    private const long Minute = 60_000;

    private readonly ClickstreamOptions _options;
    private readonly ClickEventDecoder _decoder;
    private readonly RuleSet<ClickEvent> _rules;
    private readonly BotDetector _bots;
    private readonly MobileDetector _mobile;
    private readonly long _nowMs;
    private readonly long _boundMs, _latenessMs, _horizonMs, _gapMs;

    /// <summary>A recomputation with the topology's <paramref name="options"/>; <paramref name="schemas"/> for Avro input; processing time <paramref name="nowMs"/>.</summary>
    public BatchRecomputation(ClickstreamOptions options, ISchemaSource? schemas, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _decoder = schemas is null ? ClickEventDecoder.JsonOnly : new ClickEventDecoder(schemas);
        _rules = ClickstreamRules.Compile(options.Domain);
        var words = options.Domain.Enrichment;
        _bots = new BotDetector(words.BotSignatures);
        _mobile = new MobileDetector(words.MobileUserAgents, words.MobileDeviceTypes);
        _nowMs = nowMs;
        _boundMs = Ms(options.MaxOutOfOrderness);
        _latenessMs = Ms(options.AllowedLateness);
        _horizonMs = Ms(options.DedupHorizon);
        _gapMs = Ms(options.SessionGap);
    }

    /// <summary>The outputs for <paramref name="input"/>, one partition (one task) at a time.</summary>
    public ExpectedOutputs Run(VerificationInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var records = ClickstreamOutputs.All.ToDictionary(o => o, _ => new List<OutputRecord>());
        var watermarks = new List<long>();
        for (var p = 0; p < input.Partitions.Count; p++) watermarks.Add(RunPartition(p, input.Partitions[p], records));
        return new ExpectedOutputs(records, watermarks);
    }

    // Returns the partition's watermark after its last record.
    private long RunPartition(int partition, IReadOnlyList<TopicRecord> input, Dictionary<ClickstreamOutput, List<OutputRecord>> outputs)
    {
        var maxEventTime = long.MinValue;
        var firstSeen = new Dictionary<EventId, long>();
        var onTime = new List<EnrichedEvent>();
        var sessions = new SessionReplay(this, partition, outputs);

        foreach (var record in input)
        {
            // The watermark a record sees is the one left by the records before it: the largest valid event time so
            // far less the allowed out-of-orderness (the engine updates it after each record).
            var watermark = maxEventTime == long.MinValue ? long.MinValue : maxEventTime - _boundMs;
            var source = new RecordSource(record.Topic, record.Partition, record.Offset);

            if (!_decoder.TryDecode(record.Value, out var decoded, out var error))
            {
                outputs[ClickstreamOutput.DeadLetters].Add(DeadLetter(record, error.ReasonCode, error.Detail));
                continue;
            }
            var e = decoded!;
            if (_rules.Validate(e, _nowMs, record.TimestampMs, out var detail) is { } reason)
            {
                outputs[ClickstreamOutput.DeadLetters].Add(DeadLetter(record, reason, detail));
                continue;
            }
            // Every valid record moves the watermark, duplicates, bots and late ones included; a time ahead of
            // processing time counts as processing time.
            maxEventTime = Math.Max(maxEventTime, Math.Min(e.Timestamp, _nowMs));

            // An id first seen at t is a duplicate while t >= watermark - horizon; once forgotten, a repeat is new.
            var cutoff = watermark == long.MinValue ? long.MinValue : watermark - _horizonMs;
            if (firstSeen.TryGetValue(e.EventId, out var seenAt) && seenAt >= cutoff) continue;
            firstSeen[e.EventId] = e.Timestamp;

            if (_bots.IsBot(e.UserAgent))
            {
                outputs[ClickstreamOutput.Bots].Add(new OutputRecord(Utf8(e.PartitionKey), ClickstreamJson.Bytes(e, ClickEventJson.Write)));
                continue;
            }

            var enriched = Enrich(e, partition, record.Offset);
            var key = enriched.Event.PartitionKey;
            // Late when the event's 1-minute window (the finest) has closed: end + allowed lateness <= watermark.
            var windowStart = Floor(e.Timestamp, Minute);
            if (windowStart + Minute + _latenessMs <= watermark)
            {
                outputs[ClickstreamOutput.Late].Add(Late(AggregateNames.Events1m, StreamReasonCodes.WindowClosed, enriched, key,
                    windowStart, windowStart + Minute, watermark, source));
                continue;
            }
            outputs[ClickstreamOutput.Enriched].Add(new OutputRecord(Utf8(key), Json(enriched, ClickstreamJson.Write)));
            onTime.Add(enriched);
            sessions.Add(enriched, key, watermark, source);
        }

        var finalWatermark = maxEventTime == long.MinValue ? long.MinValue : maxEventTime - _boundMs;
        sessions.Finish(finalWatermark);
        AddAggregates(partition, onTime, finalWatermark, outputs[ClickstreamOutput.Aggregated]);
        AddFileAggregates(partition, onTime, finalWatermark, outputs[ClickstreamOutput.Aggregated]);
        return finalWatermark;
    }

    // The topology's enrichment, field by field: blank user ids are no user, country and query normalised, revenue for
    // purchases, hour and date of the event in UTC.
    private EnrichedEvent Enrich(ClickEvent e, int partition, long offset)
    {
        if (e.UserId is { } user && string.IsNullOrWhiteSpace(user)) e = e with { UserId = null };
        var ts = e.Timestamp;
        return new EnrichedEvent
        {
            Event = e,
            Country = EnrichProcessor.NormalizeCountryCode(e.GeoCountry),
            SearchQuery = EnrichProcessor.NormalizeQuery(e.SearchQuery),
            RevenueCents = e.EventType == EventType.Purchase ? (e.PriceCents ?? 0) * (e.Quantity ?? 0) : 0,
            EventHour = DateTimeOffset.FromUnixTimeMilliseconds(ts).Hour,
            EventDate = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(ts).UtcDateTime),
            IsMobile = _mobile.IsMobile(e),
            ProcessingTimeMs = _nowMs,
            IngestLagMs = _nowMs - ts,
            Partition = partition,
            Offset = offset,
        };
    }

    private static OutputRecord DeadLetter(TopicRecord record, string reason, string detail) =>
        new(record.Key, ClickstreamJson.Bytes(
            new DeadLetterRecord(record.Value, record.Key, reason, detail, record.Topic, record.Partition, record.Offset, FailedAtMs: 0),
            ClickstreamJson.Write));

    private static OutputRecord Late(string aggregate, string reason, in EnrichedEvent e, string key, long windowStart, long windowEnd,
        long watermark, RecordSource source) =>
        new(Utf8(key), ClickstreamJson.Bytes(
            new LateRecord<EnrichedEvent>(aggregate, reason, e.Timestamp, windowStart, windowEnd, watermark, source, e), ClickstreamJson.Write));

    private static byte[] Json<T>(in T value, WriteInto<T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        write(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private delegate void WriteInto<T>(in T value, IBufferWriter<byte> output);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>The start of the window of <paramref name="size"/> containing <paramref name="time"/> (validated times are positive).</summary>
    private static long Floor(long time, long size) => time - time % size;

    private static long Ms(TimeSpan t) => (long)t.TotalMilliseconds;
}
