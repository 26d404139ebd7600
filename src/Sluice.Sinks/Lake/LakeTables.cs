using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Lake;

/// <summary>The lake's tables, bronze → silver → gold, each fed by one topic.</summary>
/// <remarks>
/// bronze/events: every input record as received (raw bytes, key, topic, partition, offset, timestamp), invalid ones included;
/// silver/events, silver/bot_events, silver/dead_letters, silver/late_events: the processor's per-event outputs;
/// silver/dim_users and silver/profile_corrections: the user dimension and the corrections of joined profiles, when the processor joins users;
/// gold/window_aggregates and gold/sessions: its aggregates; gold/quality: its data-quality rows, when it writes them.
/// </remarks>
public static class LakeTables
{
    /// <summary>The tables under <paramref name="lakeRoot"/> for these topics.</summary>
    public static IReadOnlyList<ILakeTable> Create(string lakeRoot, SinkTopics topics, string inputTopic) =>
    [
        new LakeTable<BronzeRow>(lakeRoot, "bronze/events", inputTopic, BronzeRow.From, idOf: null, idsInFile: null, r => r.Timestamp),
        .. When(topics.Enriched, topic => new LakeTable<EventLakeRow>(lakeRoot, "silver/events", topic,
            r => EventLakeRow.From(Parse(r, OutputRowParser.Event)), e => e.EventId, LakeIds.Reader<EventIdColumns>(), e => e.EventTime)),
        .. When(topics.Bots, topic => new LakeTable<EventLakeRow>(lakeRoot, "silver/bot_events", topic,
            r => EventLakeRow.From(Parse(r, OutputRowParser.Event)), e => e.EventId, LakeIds.Reader<EventIdColumns>(), e => e.EventTime)),
        new LakeTable<DeadLetterLakeRow>(lakeRoot, "silver/dead_letters", topics.DeadLetters,
            r => DeadLetterLakeRow.From(Parse(r, OutputRowParser.DeadLetter)), d => LakeIds.DeadLetter(d.SourceTopic, d.SourcePartition, d.SourceOffset), LakeIds.Reader<DeadLetterIdColumns>(), d => d.FailedAt),
        new LakeTable<LateLakeRow>(lakeRoot, "silver/late_events", topics.Late,
            r => LateLakeRow.From(Parse(r, OutputRowParser.Late)), l => LakeIds.Late(l.Aggregate, l.SourceTopic, l.SourcePartition, l.SourceOffset), LakeIds.Reader<LateIdColumns>(), l => l.EventTime),
        new LakeTable<AggregateLakeRow>(lakeRoot, "gold/window_aggregates", topics.Aggregated,
            r => AggregateLakeRow.From(Parse(r, OutputRowParser.Aggregate)),
            a => LakeIds.Aggregate(a.Aggregate, a.WindowStart, a.Dimension, a.DimensionValue, a.Partition, a.Metric), LakeIds.Reader<AggregateIdColumns>(),
            a => a.WindowStart),
        .. When(topics.Sessions, topic => new LakeTable<SessionLakeRow>(lakeRoot, "gold/sessions", topic,
            r => SessionLakeRow.From(Parse(r, OutputRowParser.Session)), s => LakeIds.Session(s.SessionKey, s.SessionStart),
            LakeIds.Reader<SessionIdColumns>(), s => s.SessionStart)),
        // The user dimension is cleaned, conformed data as the events are: silver. Each state of a version is a row (the lake
        // appends), partitioned by the date the version opened; corrections by their event's date, as the events are.
        .. When(topics.UserVersions, topic => new LakeTable<UserVersionLakeRow>(lakeRoot, "silver/dim_users", topic,
            r => UserVersionLakeRow.From(Parse(r, OutputRowParser.UserVersion), r),
            u => LakeIds.UserVersion(u.UserId, u.SourcePosition, u.Version, u.ValidTo, u.DeletedAt), LakeIds.Reader<UserVersionIdColumns>(), u => u.ValidFrom)),
        .. When(topics.Corrections, topic => new LakeTable<CorrectionLakeRow>(lakeRoot, "silver/profile_corrections", topic,
            r => CorrectionLakeRow.From(Parse(r, OutputRowParser.Correction), r),
            c => LakeIds.Correction(c.EventId, c.NewVersion, c.NewPosition, c.ProfileSegment, c.ProfileCountry, c.SignupDate), LakeIds.Reader<CorrectionIdColumns>(), c => c.EventTime)),
        // Only when the processor writes quality rows (quality.enabled), partitioned by the window's date as the aggregates are.
        .. When(topics.Quality, topic => new LakeTable<QualityLakeRow>(lakeRoot, "gold/quality", topic, r => QualityLakeRow.From(Parse(r, OutputRowParser.Quality)),
            q => LakeIds.Quality(q.WindowStart, q.Partition), LakeIds.Reader<QualityIdColumns>(), q => q.WindowStart)),
    ];

    // A table for an output the processor writes; none for one it does not (a domain file's own event has no sessions).
    private static ILakeTable[] When(string? topic, Func<string, ILakeTable> table) => topic is null ? [] : [table(topic)];

    private delegate T Parser<out T>(ReadOnlySpan<byte> json, int sequence);

    private static T Parse<T>(SinkRecord record, Parser<T> parse)
    {
        if (record.Value is null)
            ThrowHelper.Throw($"{record.Position} has no value; the processor never writes one, so the sink stops rather than guess what it means");
        try
        {
            return parse(record.Value, 0);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Output topics hold only what the processor wrote: skipping a record that does not read back would lose it silently.
            throw new SluiceException($"{record.Position} is not a readable record ({ex.Message}); the sink stops rather than skip it", false, ex);
        }
    }
}
