using System.Text.Json;
using Sluice.Core.Errors;

namespace Sluice.Sinks.Rows;

/// <summary>A batch's records parsed into one typed list per output, in batch order.</summary>
public sealed class ParsedBatch
{
    public List<EventRow> Events { get; } = [];
    public List<EventRow> Bots { get; } = [];
    public List<DeadLetterRow> DeadLetters { get; } = [];
    public List<LateRow> Late { get; } = [];
    public List<AggregateRow> Aggregates { get; } = [];
    public List<SessionRow> Sessions { get; } = [];
    public List<QualityRow> Quality { get; } = [];
    public List<UserVersionRow> UserVersions { get; } = [];
    public List<CorrectionRow> Corrections { get; } = [];

    /// <summary>The rows of one output.</summary>
    public IReadOnlyList<OutputRow> Rows(OutputKind kind) => kind switch
    {
        OutputKind.Enriched => Events,
        OutputKind.Bots => Bots,
        OutputKind.DeadLetters => DeadLetters,
        OutputKind.Late => Late,
        OutputKind.Aggregated => Aggregates,
        OutputKind.Sessions => Sessions,
        OutputKind.Quality => Quality,
        OutputKind.UserVersions => UserVersions,
        OutputKind.Corrections => Corrections,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses every record of <paramref name="batch"/>; a record on a topic that is no output, or unreadable, is an error naming its position.</summary>
    public static ParsedBatch Parse(SinkBatch batch, SinkTopics topics)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(topics);
        var parsed = new ParsedBatch();
        for (var i = 0; i < batch.Records.Count; i++)
        {
            var record = batch.Records[i];
            var kind = topics.KindOf(record.Topic) ?? ThrowHelper.ThrowConfiguration<OutputKind>("kafka.topics",
                $"the sink was given {record.Position}, which is none of the output topics ({string.Join(", ", topics.All)})");
            parsed.Add(kind, record, i);
        }
        return parsed;
    }

    private void Add(OutputKind kind, SinkRecord record, int sequence)
    {
        if (record.Value is null)
            ThrowHelper.Throw($"{record.Position} has no value; the processor never writes one, so the sink stops rather than guess what it means");
        try
        {
            switch (kind)
            {
                case OutputKind.Enriched: Events.Add(OutputRowParser.Event(record.Value, sequence)); break;
                case OutputKind.Bots: Bots.Add(OutputRowParser.Event(record.Value, sequence)); break;
                case OutputKind.DeadLetters: DeadLetters.Add(OutputRowParser.DeadLetter(record.Value, sequence)); break;
                case OutputKind.Late: Late.Add(OutputRowParser.Late(record.Value, sequence)); break;
                case OutputKind.Aggregated: Aggregates.Add(OutputRowParser.Aggregate(record.Value, sequence)); break;
                case OutputKind.Sessions: Sessions.Add(OutputRowParser.Session(record.Value, sequence)); break;
                case OutputKind.Quality: Quality.Add(OutputRowParser.Quality(record.Value, sequence)); break;
                case OutputKind.UserVersions: UserVersions.Add(OutputRowParser.UserVersion(record.Value, sequence)); break;
                case OutputKind.Corrections: Corrections.Add(OutputRowParser.Correction(record.Value, sequence)); break;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Output topics hold only what the processor wrote: a record that does not read back is a bug or a foreign
            // writer, and skipping it would lose it silently.
            ThrowHelper.Throw($"{record.Position} is not a readable {kind} record ({ex.Message}); the sink stops rather than skip it", inner: ex);
        }
    }
}

/// <summary>Reads the processor's JSON outputs (see ClickstreamJson in Sluice.Pipelines) into typed rows, without reflection.</summary>
public static class OutputRowParser
{
    private delegate bool Field<in T>(scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, T row);

    public static EventRow Event(ReadOnlySpan<byte> json, int sequence = 0) => Read(json, new EventRow { Sequence = sequence }, EventField);

    public static DeadLetterRow DeadLetter(ReadOnlySpan<byte> json, int sequence = 0) =>
        Read(json, new DeadLetterRow { Sequence = sequence }, static (scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, DeadLetterRow d) =>
        {
            if (name.SequenceEqual("reason_code"u8)) d.ReasonCode = Str(ref r) ?? "";
            else if (name.SequenceEqual("detail"u8)) d.Detail = Str(ref r) ?? "";
            else if (name.SequenceEqual("topic"u8)) d.SourceTopic = Str(ref r) ?? "";
            else if (name.SequenceEqual("partition"u8)) d.SourcePartition = r.GetInt32();
            else if (name.SequenceEqual("offset"u8)) d.SourceOffset = r.GetInt64();
            else if (name.SequenceEqual("failed_at"u8)) d.FailedAt = r.GetInt64();
            else if (name.SequenceEqual("key_base64"u8)) d.Key = r.TokenType == JsonTokenType.Null ? null : r.GetBytesFromBase64();
            else if (name.SequenceEqual("payload_base64"u8)) d.Payload = r.GetBytesFromBase64();
            else if (name.SequenceEqual("payload_truncated"u8)) d.PayloadTruncated = r.GetBoolean();
            else if (name.SequenceEqual("payload_length"u8)) d.PayloadLength = r.GetInt64();
            else if (name.SequenceEqual("payload_sha256"u8)) d.PayloadSha256 = Str(ref r);
            else return false;
            return true;
        });

    public static LateRow Late(ReadOnlySpan<byte> json, int sequence = 0)
    {
        var row = new LateRow { Sequence = sequence };
        var reader = new Utf8JsonReader(json);
        Start(ref reader);
        while (Next(ref reader, out var name))
        {
            if (name.SequenceEqual("event"u8))
            {
                // Kept as the processor wrote it, and its id read from it.
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var eventJson = json[start..(int)reader.BytesConsumed];
                row.Event = System.Text.Encoding.UTF8.GetString(eventJson);
                row.EventId = Event(eventJson).EventId;
            }
            else if (!LateField(name, ref reader, row)) reader.Skip();
        }
        return row;
    }

    public static AggregateRow Aggregate(ReadOnlySpan<byte> json, int sequence = 0) =>
        Read(json, new AggregateRow { Sequence = sequence }, static (scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, AggregateRow a) =>
        {
            if (name.SequenceEqual("aggregate"u8)) a.Aggregate = Str(ref r) ?? "";
            else if (name.SequenceEqual("window_start"u8)) a.WindowStart = r.GetInt64();
            else if (name.SequenceEqual("window_end"u8)) a.WindowEnd = r.GetInt64();
            else if (name.SequenceEqual("partition"u8)) a.Partition = r.GetInt32();
            else if (name.SequenceEqual("dimension"u8)) a.Dimension = Str(ref r) ?? "";
            else if (name.SequenceEqual("dimension_value"u8)) a.DimensionValue = Str(ref r) ?? "";
            else if (name.SequenceEqual("metric"u8)) a.Metric = Str(ref r) ?? "";
            else if (name.SequenceEqual("value"u8)) a.Value = r.GetDouble();
            else return false;
            return true;
        });

    public static SessionRow Session(ReadOnlySpan<byte> json, int sequence = 0) =>
        Read(json, new SessionRow { Sequence = sequence }, static (scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, SessionRow s) =>
        {
            if (name.SequenceEqual("key"u8)) s.SessionKey = Str(ref r) ?? "";
            else if (name.SequenceEqual("user_id"u8)) s.UserId = Str(ref r);
            else if (name.SequenceEqual("session_id"u8)) s.SessionId = Str(ref r) ?? "";
            else if (name.SequenceEqual("partition"u8)) s.Partition = r.GetInt32();
            else if (name.SequenceEqual("session_start"u8)) s.SessionStart = r.GetInt64();
            else if (name.SequenceEqual("session_end"u8)) s.SessionEnd = r.GetInt64();
            else if (name.SequenceEqual("duration_ms"u8)) s.DurationMs = r.GetInt64();
            else if (name.SequenceEqual("events"u8)) s.Events = r.GetInt32();
            else if (name.SequenceEqual("page_views"u8)) s.PageViews = r.GetInt32();
            else if (name.SequenceEqual("cart_adds"u8)) s.CartAdds = r.GetInt32();
            else if (name.SequenceEqual("purchases"u8)) s.Purchases = r.GetInt32();
            else if (name.SequenceEqual("revenue_cents"u8)) s.RevenueCents = r.GetInt64();
            else if (name.SequenceEqual("converted"u8)) s.Converted = r.GetBoolean();
            else if (name.SequenceEqual("abandoned_cart"u8)) s.AbandonedCart = r.GetBoolean();
            else if (name.SequenceEqual("landing_page"u8)) s.LandingPage = Str(ref r);
            else if (name.SequenceEqual("exit_page"u8)) s.ExitPage = Str(ref r);
            else return false;
            return true;
        });

    public static QualityRow Quality(ReadOnlySpan<byte> json, int sequence = 0)
    {
        var row = new QualityRow { Sequence = sequence };
        var reader = new Utf8JsonReader(json);
        Start(ref reader);
        while (Next(ref reader, out var name))
        {
            if (name.SequenceEqual("invalid_by_reason"u8)) row.InvalidByReason = Raw(json, ref reader);
            else if (name.SequenceEqual("null_counts"u8)) row.NullCounts = Raw(json, ref reader);
            else if (!QualityField(name, ref reader, row)) reader.Skip();
        }
        return row;
    }

    private static bool QualityField(scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, QualityRow q)
    {
        if (name.SequenceEqual("window_start"u8)) q.WindowStart = r.GetInt64();
        else if (name.SequenceEqual("window_end"u8)) q.WindowEnd = r.GetInt64();
        else if (name.SequenceEqual("partition"u8)) q.Partition = r.GetInt32();
        else if (name.SequenceEqual("records_in"u8)) q.RecordsIn = r.GetInt64();
        else if (name.SequenceEqual("valid"u8)) q.Valid = r.GetInt64();
        else if (name.SequenceEqual("invalid"u8)) q.Invalid = r.GetInt64();
        else if (name.SequenceEqual("duplicates"u8)) q.Duplicates = r.GetInt64();
        else if (name.SequenceEqual("bots"u8)) q.Bots = r.GetInt64();
        else if (name.SequenceEqual("late"u8)) q.Late = r.GetInt64();
        else if (name.SequenceEqual("accepted"u8)) q.Accepted = r.GetInt64();
        else if (name.SequenceEqual("ingest_lag_ms_sum"u8)) q.IngestLagMsSum = r.GetInt64();
        else if (name.SequenceEqual("ingest_lag_ms_max"u8)) q.IngestLagMsMax = Long(ref r);
        else if (name.SequenceEqual("ingest_lag_ms_mean"u8)) q.IngestLagMsMean = Double(ref r);
        else if (name.SequenceEqual("volume_baseline"u8)) q.VolumeBaseline = Double(ref r);
        else if (name.SequenceEqual("volume_ratio"u8)) q.VolumeRatio = Double(ref r);
        else if (name.SequenceEqual("invalid_rate"u8)) q.InvalidRate = r.GetDouble();
        else if (name.SequenceEqual("duplicate_rate"u8)) q.DuplicateRate = r.GetDouble();
        else if (name.SequenceEqual("late_rate"u8)) q.LateRate = r.GetDouble();
        else if (name.SequenceEqual("bot_rate"u8)) q.BotRate = r.GetDouble();
        else if (name.SequenceEqual("completeness"u8)) q.Completeness = r.GetDouble();
        else if (name.SequenceEqual("score"u8)) q.Score = r.GetDouble();
        else if (name.SequenceEqual("grade"u8)) q.Grade = Str(ref r) ?? "";
        else return false;
        return true;
    }

    public static UserVersionRow UserVersion(ReadOnlySpan<byte> json, int sequence = 0)
    {
        var row = Read(json, new UserVersionRow { Sequence = sequence }, static (scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, UserVersionRow u) =>
        {
            if (name.SequenceEqual("user_id"u8)) u.UserId = Str(ref r) ?? "";
            else if (name.SequenceEqual("version"u8)) u.Version = r.GetInt32();
            else if (name.SequenceEqual("source_position"u8)) u.SourcePosition = r.GetInt64();
            else if (name.SequenceEqual("op"u8)) u.Op = Str(ref r) ?? "";
            else if (name.SequenceEqual("valid_from"u8)) u.ValidFrom = r.GetInt64();
            else if (name.SequenceEqual("valid_to"u8)) u.ValidTo = Long(ref r);
            else if (name.SequenceEqual("is_current"u8)) u.IsCurrent = r.GetBoolean();
            else if (name.SequenceEqual("deleted_at"u8)) u.DeletedAt = Long(ref r);
            else if (name.SequenceEqual("email"u8)) u.Email = Str(ref r);
            else if (name.SequenceEqual("segment"u8)) u.Segment = Str(ref r);
            else if (name.SequenceEqual("country"u8)) u.Country = Str(ref r);
            else if (name.SequenceEqual("city"u8)) u.City = Str(ref r);
            else if (name.SequenceEqual("created_at"u8)) u.CreatedAt = Long(ref r);
            else if (name.SequenceEqual("source_topic"u8)) u.SourceTopic = Str(ref r) ?? "";
            else if (name.SequenceEqual("source_partition"u8)) u.SourcePartition = r.GetInt32();
            else if (name.SequenceEqual("source_offset"u8)) u.SourceOffset = r.GetInt64();
            else return false;
            return true;
        });
        // The day the user signed up, as the events' signup_date has it: the UTC date of created_at.
        row.SignupDate = row.CreatedAt is { } created ? DateOnly.FromDateTime(DateTime.UnixEpoch.AddMilliseconds(created)) : null;
        return row;
    }

    public static CorrectionRow Correction(ReadOnlySpan<byte> json, int sequence = 0) =>
        Read(json, new CorrectionRow { Sequence = sequence }, static (scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, CorrectionRow c) =>
        {
            if (name.SequenceEqual("event_id"u8)) c.EventId = r.GetString() ?? "";
            else if (name.SequenceEqual("user_id"u8)) c.UserId = Str(ref r) ?? "";
            else if (name.SequenceEqual("event_time"u8)) c.EventTime = r.GetInt64();
            else if (name.SequenceEqual("old_version"u8)) c.OldVersion = Int(ref r);
            else if (name.SequenceEqual("old_position"u8)) c.OldPosition = Long(ref r);
            else if (name.SequenceEqual("new_version"u8)) c.NewVersion = Int(ref r);
            else if (name.SequenceEqual("new_position"u8)) c.NewPosition = Long(ref r);
            else if (name.SequenceEqual("profile_segment"u8)) c.ProfileSegment = Str(ref r);
            else if (name.SequenceEqual("profile_country"u8)) c.ProfileCountry = Str(ref r);
            else if (name.SequenceEqual("signup_date"u8)) c.SignupDate = Date(ref r);
            else if (name.SequenceEqual("corrected_at"u8)) c.CorrectedAt = r.GetInt64();
            else return false;
            return true;
        });

    // The value the reader is on (an object or array), as the processor wrote it.
    private static string Raw(ReadOnlySpan<byte> json, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected an object, found {reader.TokenType}");
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return System.Text.Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
    }

    private static bool LateField(scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, LateRow l)
    {
        if (name.SequenceEqual("aggregate"u8)) l.Aggregate = Str(ref r) ?? "";
        else if (name.SequenceEqual("reason_code"u8)) l.ReasonCode = Str(ref r) ?? "";
        else if (name.SequenceEqual("event_timestamp"u8)) l.EventTimestamp = r.GetInt64();
        else if (name.SequenceEqual("window_start"u8)) l.WindowStart = r.GetInt64();
        else if (name.SequenceEqual("window_end"u8)) l.WindowEnd = r.GetInt64();
        else if (name.SequenceEqual("watermark"u8)) l.Watermark = r.GetInt64();
        else if (name.SequenceEqual("topic"u8)) l.SourceTopic = Str(ref r) ?? "";
        else if (name.SequenceEqual("partition"u8)) l.SourcePartition = r.GetInt32();
        else if (name.SequenceEqual("offset"u8)) l.SourceOffset = r.GetInt64();
        else return false;
        return true;
    }

    // Every valid event passes here: comparisons of short byte spans, most failing on length, and one string per text field.
    private static bool EventField(scoped ReadOnlySpan<byte> name, ref Utf8JsonReader r, EventRow e)
    {
        if (name.SequenceEqual("event_id"u8)) e.EventId = r.GetString() ?? "";
        else if (name.SequenceEqual("event_type"u8)) e.EventType = Str(ref r) ?? "";
        else if (name.SequenceEqual("timestamp"u8)) e.Timestamp = r.GetInt64();
        else if (name.SequenceEqual("user_id"u8)) e.UserId = Str(ref r);
        else if (name.SequenceEqual("session_id"u8)) e.SessionId = Str(ref r) ?? "";
        else if (name.SequenceEqual("product_id"u8)) e.ProductId = Str(ref r);
        else if (name.SequenceEqual("product_category"u8)) e.ProductCategory = Str(ref r);
        else if (name.SequenceEqual("price_cents"u8)) e.PriceCents = Long(ref r);
        else if (name.SequenceEqual("quantity"u8)) e.Quantity = r.TokenType == JsonTokenType.Null ? null : r.GetInt32();
        else if (name.SequenceEqual("search_query"u8)) e.SearchQuery = Str(ref r);
        else if (name.SequenceEqual("page_url"u8)) e.PageUrl = Str(ref r);
        else if (name.SequenceEqual("referrer"u8)) e.Referrer = Str(ref r);
        else if (name.SequenceEqual("user_agent"u8)) e.UserAgent = Str(ref r);
        else if (name.SequenceEqual("ip_address"u8)) e.IpAddress = Str(ref r);
        else if (name.SequenceEqual("geo_country"u8)) e.GeoCountry = Str(ref r);
        else if (name.SequenceEqual("geo_city"u8)) e.GeoCity = Str(ref r);
        else if (name.SequenceEqual("user_segment"u8)) e.UserSegment = Str(ref r);
        else if (name.SequenceEqual("device_type"u8)) e.DeviceType = Str(ref r);
        else if (name.SequenceEqual("browser"u8)) e.Browser = Str(ref r);
        else if (name.SequenceEqual("campaign_id"u8)) e.CampaignId = Str(ref r);
        else if (name.SequenceEqual("schema_version"u8)) e.SchemaVersion = r.GetInt32();
        else if (name.SequenceEqual("revenue_cents"u8)) e.RevenueCents = Long(ref r);
        else if (name.SequenceEqual("event_hour"u8)) e.EventHour = r.GetInt32();
        else if (name.SequenceEqual("event_date"u8)) e.EventDate = DateOnly.ParseExact(r.GetString()!, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        else if (name.SequenceEqual("is_mobile"u8)) e.IsMobile = r.GetBoolean();
        else if (name.SequenceEqual("processing_time"u8)) e.ProcessingTime = Long(ref r);
        else if (name.SequenceEqual("ingest_lag_ms"u8)) e.IngestLagMs = Long(ref r);
        else if (name.SequenceEqual("partition"u8)) e.SourcePartition = r.GetInt32();
        else if (name.SequenceEqual("offset"u8)) e.SourceOffset = r.GetInt64();
        // The joined profile, after "offset": absent from a processor that joins no users, and then null.
        else if (name.SequenceEqual("profile_version"u8)) e.ProfileVersion = Int(ref r);
        else if (name.SequenceEqual("profile_position"u8)) e.ProfilePosition = Long(ref r);
        else if (name.SequenceEqual("profile_segment"u8)) e.ProfileSegment = Str(ref r);
        else if (name.SequenceEqual("profile_country"u8)) e.ProfileCountry = Str(ref r);
        else if (name.SequenceEqual("signup_date"u8)) e.SignupDate = Date(ref r);
        else return false;
        return true;
    }

    private static T Read<T>(ReadOnlySpan<byte> json, T row, Field<T> field)
    {
        var reader = new Utf8JsonReader(json);
        Start(ref reader);
        // Fields the sink does not know (a newer processor's) are skipped: the row keeps what it has columns for.
        while (Next(ref reader, out var name))
            if (!field(name, ref reader, row)) reader.Skip();
        return row;
    }

    private static void Start(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("not a JSON object");
    }

    // Moves to the next property's value; false at the object's end.
    private static bool Next(ref Utf8JsonReader reader, out ReadOnlySpan<byte> name)
    {
        if (!reader.Read()) throw new JsonException("the object does not end");
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }
        // The processor writes its property names unescaped, so the raw bytes are the name.
        name = reader.ValueSpan;
        if (!reader.Read()) throw new JsonException("a property has no value");
        return true;
    }

    private static string? Str(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetString();

    private static long? Long(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetInt64();

    private static int? Int(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetInt32();

    // A "yyyy-MM-dd" string.
    private static DateOnly? Date(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? null : DateOnly.ParseExact(r.GetString()!, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static double? Double(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetDouble();
}
