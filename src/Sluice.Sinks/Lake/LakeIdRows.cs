using System.Globalization;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace Sluice.Sinks.Lake;

// The id columns of each table's rows, and nothing else: Parquet.Net reads only the columns a class names, so the id
// memory is rebuilt at start without reading whole rows. Each Id must equal the one LakeTables computes from a full row.

/// <summary>A row's stable id, from the id columns alone.</summary>
internal interface ILakeId
{
    string Id { get; }
}

internal sealed class EventIdColumns : ILakeId
{
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    public string Id => EventId;
}

internal sealed class DeadLetterIdColumns : ILakeId
{
    [JsonPropertyName("source_topic")] public string SourceTopic { get; set; } = "";
    [JsonPropertyName("source_partition")] public int SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long SourceOffset { get; set; }
    public string Id => LakeIds.DeadLetter(SourceTopic, SourcePartition, SourceOffset);
}

internal sealed class LateIdColumns : ILakeId
{
    [JsonPropertyName("aggregate")] public string Aggregate { get; set; } = "";
    [JsonPropertyName("source_topic")] public string SourceTopic { get; set; } = "";
    [JsonPropertyName("source_partition")] public int SourcePartition { get; set; }
    [JsonPropertyName("source_offset")] public long SourceOffset { get; set; }
    public string Id => LakeIds.Late(Aggregate, SourceTopic, SourcePartition, SourceOffset);
}

internal sealed class AggregateIdColumns : ILakeId
{
    [JsonPropertyName("aggregate")] public string Aggregate { get; set; } = "";
    [JsonPropertyName("window_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowStart { get; set; }
    [JsonPropertyName("dimension")] public string Dimension { get; set; } = "";
    [JsonPropertyName("dimension_value")] public string DimensionValue { get; set; } = "";
    [JsonPropertyName("partition")] public int Partition { get; set; }
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    public string Id => LakeIds.Aggregate(Aggregate, WindowStart, Dimension, DimensionValue, Partition, Metric);
}

internal sealed class SessionIdColumns : ILakeId
{
    [JsonPropertyName("session_key")] public string SessionKey { get; set; } = "";
    [JsonPropertyName("session_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime SessionStart { get; set; }
    public string Id => LakeIds.Session(SessionKey, SessionStart);
}

internal sealed class QualityIdColumns : ILakeId
{
    [JsonPropertyName("window_start"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime WindowStart { get; set; }
    [JsonPropertyName("partition")] public int Partition { get; set; }
    public string Id => LakeIds.Quality(WindowStart, Partition);
}

internal sealed class UserVersionIdColumns : ILakeId
{
    [JsonPropertyName("user_id")] public string UserId { get; set; } = "";
    [JsonPropertyName("source_position")] public long SourcePosition { get; set; }
    [JsonPropertyName("version")] public int Version { get; set; }
    [JsonPropertyName("valid_to"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? ValidTo { get; set; }
    [JsonPropertyName("deleted_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true)] public DateTime? DeletedAt { get; set; }
    public string Id => LakeIds.UserVersion(UserId, SourcePosition, Version, ValidTo, DeletedAt);
}

internal sealed class CorrectionIdColumns : ILakeId
{
    [JsonPropertyName("event_id")] public string EventId { get; set; } = "";
    [JsonPropertyName("new_version")] public int? NewVersion { get; set; }
    [JsonPropertyName("new_position")] public long? NewPosition { get; set; }
    [JsonPropertyName("profile_segment")] public string? ProfileSegment { get; set; }
    [JsonPropertyName("profile_country")] public string? ProfileCountry { get; set; }
    [JsonPropertyName("signup_date")] public DateOnly? SignupDate { get; set; }
    public string Id => LakeIds.Correction(EventId, NewVersion, NewPosition, ProfileSegment, ProfileCountry, SignupDate);
}

/// <summary>The stable ids of the lake's rows, in the forms <see cref="Rows.OutputRow.Id"/> gives them.</summary>
internal static class LakeIds
{
    public static string DeadLetter(string topic, int partition, long offset) => string.Create(CultureInfo.InvariantCulture, $"{topic}[{partition}]@{offset}");

    public static string Late(string aggregate, string topic, int partition, long offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{aggregate}|{topic}[{partition}]@{offset}");

    public static string Aggregate(string aggregate, DateTime windowStart, string dimension, string value, int partition, string metric) =>
        string.Create(CultureInfo.InvariantCulture, $"{aggregate}|{Millis(windowStart)}|{dimension}={value}|{partition}|{metric}");

    public static string Session(string key, DateTime start) => string.Create(CultureInfo.InvariantCulture, $"{key}|{Millis(start)}");

    public static string Quality(DateTime windowStart, int partition) => string.Create(CultureInfo.InvariantCulture, $"{Millis(windowStart)}|{partition}");

    /// <summary>One state of a version: its id (user, source position) and what a later emission of it changes (number, end,
    /// deletion). The lake appends, so each state is a row, and a processor replay's repeat of a state is skipped.</summary>
    public static string UserVersion(string user, long position, int version, DateTime? validTo, DateTime? deletedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{user}|{position}|{version}|{(validTo is { } t ? Millis(t) : null)}|{(deletedAt is { } d ? Millis(d) : null)}");

    /// <summary>One correction of an event: the event and the profile it corrects it to (corrected_at is left out: a
    /// processor replay may write the same correction at another time).</summary>
    public static string Correction(string eventId, int? version, long? position, string? segment, string? country, DateOnly? signup) =>
        string.Create(CultureInfo.InvariantCulture, $"{eventId}|{version}|{position}|{segment}|{country}|{signup:yyyy-MM-dd}");

    private static long Millis(DateTime utc) => (long)(utc - DateTime.UnixEpoch).TotalMilliseconds;

    /// <summary>Reads the ids of one data file through the id columns of <typeparamref name="TId"/>.</summary>
    public static Func<string, IEnumerable<string>> Reader<TId>() where TId : class, ILakeId, new() =>
        file => ParquetSerializer.DeserializeAsync<TId>(file, new ParquetOptions()).GetAwaiter().GetResult().Data.Select(r => r.Id);
}
