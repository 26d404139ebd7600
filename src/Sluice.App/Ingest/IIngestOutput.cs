using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Writers;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Errors;

namespace Sluice.App.Ingest;

/// <summary>Where the file source sends what it reads: events, user-profile changes and dead letters.</summary>
/// <remarks>Call order: any number of the three sends, <see cref="Flush"/> before a file's progress is recorded, then Dispose.</remarks>
public interface IIngestOutput : IDisposable
{
    /// <summary>One click event; <paramref name="json"/> is its JSON payload (the row itself when the row was that already).</summary>
    void Event(ClickEvent e, ReadOnlyMemory<byte> json);

    /// <summary>One user-profile change envelope, as it is.</summary>
    void Change(string key, long timestampMs, ReadOnlyMemory<byte> json);

    /// <summary>One row that is not an event: its bytes, reason and where it is (the file as topic, the line as offset).</summary>
    void DeadLetter(DeadLetterRecord letter);

    /// <summary>Returns once everything sent so far is delivered; throws if any of it could not be.</summary>
    void Flush(CancellationToken cancellationToken = default);
}

/// <summary>Sends to Kafka as <c>sluice produce</c> does: events keyed by user (session for anonymous visitors) with the
/// event time as timestamp, in JSON or Confluent-framed Avro v3; dead letters in the processor's JSON format.</summary>
public sealed class KafkaIngestOutput : IIngestOutput
{
    /// <summary>Header of a file's dead letter: the staged file's name.</summary>
    public const string SourceFileHeader = "sluice-source-file";

    /// <summary>Header of a file's dead letter: the 1-based line its row starts on.</summary>
    public const string SourceLineHeader = "sluice-source-line";

    private static readonly JsonWriterOptions DeadLetterOptions = new() { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly RecordProducer _producer;
    private readonly KafkaTrafficWriter _kafka;
    private readonly ITrafficWriter _events;
    private readonly string _eventsTopic;
    private readonly string _changesTopic;
    private readonly string _deadLetterTopic;
    private readonly ArrayBufferWriter<byte> _letter = new(1024);
    private readonly Utf8JsonWriter _letterWriter;
    private readonly MessageHeaders _headers = new();
    private readonly TimeProvider _clock;

    /// <param name="factory">Makes the producer, with the settings of every Sluice producer.</param>
    /// <param name="eventsTopic">kafka.topics.events.</param>
    /// <param name="changesTopic">kafka.topics.cdcUsers.</param>
    /// <param name="deadLetterTopic">kafka.topics.dlq.</param>
    /// <param name="avroSchemaId">The registered id of the v3 schema to send Avro frames; null sends JSON.</param>
    /// <param name="clock">Dead letters' failure time.</param>
    public KafkaIngestOutput(KafkaClientFactory factory, string eventsTopic, string changesTopic, string deadLetterTopic, int? avroSchemaId = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _producer = factory.CreateRecordProducer("ingest");
        _kafka = new KafkaTrafficWriter(_producer, ownsProducer: false);
        _events = avroSchemaId is { } id ? new AvroTrafficWriter(_kafka, id, ownsInner: false) : _kafka;
        _eventsTopic = eventsTopic;
        _changesTopic = changesTopic;
        _deadLetterTopic = deadLetterTopic;
        _letterWriter = new Utf8JsonWriter(_letter, DeadLetterOptions);
        _clock = clock ?? TimeProvider.System;
    }

    public void Event(ClickEvent e, ReadOnlyMemory<byte> json)
    {
        ArgumentNullException.ThrowIfNull(e);
        _events.Write(new GeneratedRecord(RecordKind.Click, _eventsTopic, e.PartitionKey, json, e.Timestamp, e.Timestamp, FaultKind.None, e.EventId, e)
        {
            EventType = e.EventType,
        });
    }

    public void Change(string key, long timestampMs, ReadOnlyMemory<byte> json) =>
        _producer.Produce(_changesTopic, key, json.Span, timestampMs);

    public void DeadLetter(DeadLetterRecord letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        _letter.ResetWrittenCount();
        _letterWriter.Reset(_letter);
        ClickstreamJson.Write(_letterWriter, letter);
        _letterWriter.Flush();
        _headers.Clear();
        _headers.Add(SourceFileHeader, Encoding.UTF8.GetBytes(StagedFileTopic.FileName(letter.Topic)));
        _headers.Add(SourceLineHeader, Encoding.UTF8.GetBytes(letter.Offset.ToString(CultureInfo.InvariantCulture)));
        _producer.Produce(_deadLetterTopic, default, hasKey: false, _letter.WrittenSpan, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _headers);
    }

    public void Flush(CancellationToken cancellationToken = default) => _kafka.Flush(cancellationToken);

    public void Dispose()
    {
        _events.Dispose();
        _kafka.Dispose();
        _producer.Dispose();
        _letterWriter.Dispose();
    }
}

/// <summary>How a staged file is named where a dead letter names its source topic: <c>file:NAME</c>, the row's line as the offset.</summary>
public static class StagedFileTopic
{
    public const string Prefix = "file:";

    /// <summary>The source "topic" of a row of <paramref name="fileName"/>.</summary>
    public static string Of(string fileName) => Prefix + fileName;

    /// <summary>The file name in a source topic made by <see cref="Of"/>; other topics as they are.</summary>
    public static string FileName(string topic) => topic.StartsWith(Prefix, StringComparison.Ordinal) ? topic[Prefix.Length..] : topic;
}
