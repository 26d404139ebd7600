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

    private static long Millis(DateTime utc) => (long)(utc - DateTime.UnixEpoch).TotalMilliseconds;

    /// <summary>Reads the ids of one data file through the id columns of <typeparamref name="TId"/>.</summary>
    public static Func<string, IEnumerable<string>> Reader<TId>() where TId : class, ILakeId, new() =>
        file => ParquetSerializer.DeserializeAsync<TId>(file, new ParquetOptions()).GetAwaiter().GetResult().Data.Select(r => r.Id);
}
