using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Generate;
using Sluice.Generate.Writers;

namespace Sluice.Verification;

/// <summary>Regenerates the input topic a <c>sluice produce --manifest</c> run wrote, from the settings and seed in its manifest.</summary>
/// <remarks>
/// The generator is deterministic: the same settings give a byte-identical stream. Each click record goes to the
/// partition the producer's default partitioner gave it (<see cref="KafkaPartitioner.ConsistentRandom"/> of its key),
/// and offsets count up per partition in the order the producer sent them (an idempotent producer keeps that order).
/// Only the first <c>totals.records</c> records are taken, so a run that was cancelled is regenerated as far as it went.
/// </remarks>
public static class ManifestReplay
{
    /// <summary>The generator settings and the number of records the manifest at <paramref name="path"/> describes.</summary>
    public static (GeneratorSettings Settings, long Records, long ClickRecords, PayloadFormat Format, int? AvroSchemaId) Read(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return ThrowHelper.ThrowConfiguration<(GeneratorSettings, long, long, PayloadFormat, int?)>("--manifest", $"cannot read {path}: {ex.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("generator", out var g))
                return ThrowHelper.ThrowConfiguration<(GeneratorSettings, long, long, PayloadFormat, int?)>("--manifest", $"{path} has no generator settings");
            string Missing(string name) =>
                $"{path} lacks generator.{name}: it was written by an older `sluice produce`, which did not record every setting that shapes the stream; produce again to verify from a manifest";
            JsonElement Get(string name) =>
                g.TryGetProperty(name, out var v) ? v : ThrowHelper.ThrowConfiguration<JsonElement>("--manifest", Missing(name));
            if (Get("transitions").GetString() != "built-in")
                ThrowHelper.ThrowConfiguration("--manifest", $"{path} was produced with a custom --domain transition table, which the manifest does not hold; its stream cannot be regenerated");
            var settings = new GeneratorSettings
            {
                Seed = Get("seed").GetInt64(),
                Users = Get("users").GetInt32(),
                Products = Get("products").GetInt32(),
                ConcurrentSessions = Get("concurrent_sessions").GetInt32(),
                Start = DateTimeOffset.Parse(Get("start").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                MalformedRate = Get("malformed_rate").GetDouble(),
                LateRate = Get("late_rate").GetDouble(),
                OutOfOrderRate = Get("out_of_order_rate").GetDouble(),
                DuplicateRate = Get("duplicate_rate").GetDouble(),
                BotRate = Get("bot_rate").GetDouble(),
                OutOfOrderBound = TimeSpan.FromMilliseconds(Get("out_of_order_bound_ms").GetInt64()),
                LateMin = TimeSpan.FromMilliseconds(Get("late_min_ms").GetInt64()),
                LateMax = TimeSpan.FromMilliseconds(Get("late_max_ms").GetInt64()),
                EventsTopic = Get("events_topic").GetString()!,
                CdcTopic = Get("cdc_topic").GetString()!,
                MaxEvents = Get("max_events").GetInt64(),
                Duration = g.TryGetProperty("duration_ms", out var d) ? TimeSpan.FromMilliseconds(d.GetInt64()) : null,
                AnonymousShare = Get("anonymous_share").GetDouble(),
                MeanThinkTime = TimeSpan.FromMilliseconds(Get("mean_think_time_ms").GetInt64()),
                SessionTimeout = TimeSpan.FromMilliseconds(Get("session_timeout_ms").GetInt64()),
                Cdc = Get("cdc").GetBoolean(),
                CdcRate = Get("cdc_rate").GetDouble(),
                WindowSize = TimeSpan.FromMilliseconds(Get("window_size_ms").GetInt64()),
            };
            var totals = root.GetProperty("totals");
            var format = root.TryGetProperty("payload_format", out var f) && f.GetString() == "avro" ? PayloadFormat.Avro : PayloadFormat.Json;
            int? schemaId = root.TryGetProperty("avro_schema_id", out var id) ? id.GetInt32() : null;
            if (format == PayloadFormat.Avro && schemaId is null)
                ThrowHelper.ThrowConfiguration("--manifest", $"{path} describes Avro frames but not their schema id; produce again to verify from a manifest");
            return (settings, totals.GetProperty("records").GetInt64(), totals.GetProperty("click_records").GetInt64(), format, schemaId);
        }
    }

    /// <summary>The click records of the manifest's run as the input topic of <paramref name="partitions"/> partitions held them.</summary>
    public static VerificationInput Regenerate(string path, int partitions)
    {
        var (settings, records, clickRecords, format, schemaId) = Read(path);
        var (input, clicks) = Generate(settings, records, partitions, format, schemaId ?? 0);
        if (clicks != clickRecords)
            ThrowHelper.Throw($"regenerating from {path} gave {clicks:N0} click records where the manifest counts {clickRecords:N0}: this build's generator does not repeat that run");
        return input with { Origin = $"input regenerated from seed {settings.Seed.ToString(CultureInfo.InvariantCulture)} ({path}: {clicks:N0} click records over {partitions} partitions)" };
    }

    /// <summary>The first <paramref name="records"/> records of the stream <paramref name="settings"/> make, as a producer with the
    /// default partitioner puts its click records into <paramref name="partitions"/> partitions; and how many click records that is.</summary>
    /// <param name="avroSchemaId">The schema id of Avro frames, for <see cref="PayloadFormat.Avro"/>.</param>
    public static (VerificationInput Input, long ClickRecords) Generate(GeneratorSettings settings, long records, int partitions,
        PayloadFormat format = PayloadFormat.Json, int avroSchemaId = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var capture = new PartitioningSink(settings.EventsTopic, settings.CdcTopic, partitions);
        using ITrafficWriter writer = format == PayloadFormat.Avro ? new AvroTrafficWriter(capture, avroSchemaId) : capture;
        var generator = new ClickstreamGenerator(settings) { MaterializeEvents = writer.ReadsEvents };
        long taken = 0;
        while (taken < records && generator.MoveNext())
        {
            writer.Write(generator.Current);
            taken++;
        }
        if (capture.RandomKeys > 0)
            ThrowHelper.Throw($"{capture.RandomKeys:N0} generated records have an empty key, which the producer partitions at random: their partitions cannot be recomputed");
        var origin = $"input generated from seed {settings.Seed.ToString(CultureInfo.InvariantCulture)}";
        return (new VerificationInput(settings.EventsTopic, capture.Partitions, origin) { Changes = settings.Cdc ? capture.Changes : null }, capture.Clicks);
    }

    /// <summary>Keeps the click records of one topic, each in the list of its key's partition with the next offset.</summary>
    private sealed class PartitioningSink(string topic, string changesTopic, int partitions) : ITrafficWriter
    {
        private readonly List<TopicRecord>[] _partitions = Enumerable.Range(0, partitions).Select(_ => new List<TopicRecord>()).ToArray();
        private readonly List<TopicRecord>[] _changes = Enumerable.Range(0, partitions).Select(_ => new List<TopicRecord>()).ToArray();

        /// <summary>The CDC records, each at its key's partition with the next offset there.</summary>
        public IReadOnlyList<TopicRecord> Changes => [.. _changes.SelectMany(p => p)];

        public IReadOnlyList<IReadOnlyList<TopicRecord>> Partitions => _partitions;

        public long Clicks { get; private set; }

        public long RandomKeys { get; private set; }

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Cdc && record.Topic == changesTopic)
            {
                var userKey = Encoding.UTF8.GetBytes(record.Key);
                if (KafkaPartitioner.ConsistentRandom(userKey, _changes.Length) is { } p)
                    _changes[p].Add(new TopicRecord(changesTopic, p, _changes[p].Count, userKey, record.Payload.ToArray(), record.EventTime));
                return;
            }
            if (record.Kind != RecordKind.Click || record.Topic != topic) return;
            Clicks++;
            var key = Encoding.UTF8.GetBytes(record.Key);
            if (KafkaPartitioner.ConsistentRandom(key, _partitions.Length) is not { } partition)
            {
                RandomKeys++;
                return;
            }
            var list = _partitions[partition];
            // The generator stamps each record with its event time, as it produces it.
            list.Add(new TopicRecord(topic, partition, list.Count, key, record.Payload.ToArray(), record.EventTime));
        }

        public void Flush(CancellationToken cancellationToken = default)
        {
        }

        // The click payloads are all that is kept: JSON needs no event objects. (The Avro writer in front reads them.)
        public bool ReadsEvents => false;

        public void Dispose()
        {
        }
    }
}
