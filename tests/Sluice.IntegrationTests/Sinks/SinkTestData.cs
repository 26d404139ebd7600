using System.Buffers;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Sinks;
using Sluice.Sinks.Rows;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Testing;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>Real outputs of the clickstream topology (the test driver over generated traffic with every fault kind), as a sink reads them.</summary>
internal static class SinkTestData
{
    public const int Partitions = 3;

    /// <summary>Every output record of <paramref name="events"/> generated events, each output topic's partitions numbered from offset 0.</summary>
    /// <param name="events">How many events to generate.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="mixedIds">Give four in five events an id that is not a lower-case UUID (<see cref="MixedId"/>), as
    /// other trackers send them; a duplicate or late copy keeps its original's.</param>
    public static List<SinkRecord> Outputs(int events, long seed = 7, bool mixedIds = false)
    {
        var settings = new GeneratorSettings
        {
            Seed = seed, Users = 500, Products = 100, ConcurrentSessions = 40, MaxEvents = events, Cdc = false,
            MalformedRate = 0.02, LateRate = 0.02, DuplicateRate = 0.02, BotRate = 0.03, OutOfOrderRate = 0.05,
        };
        var capture = new Capture();
        GeneratorRunner.Run(new ClickstreamGenerator(settings), capture);
        if (mixedIds)
        {
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < capture.Records.Count; i++) capture.Records[i] = (capture.Records[i].Key, WithMixedId(capture.Records[i].Value, ids));
        }

        var options = new ClickstreamOptions();
        var topology = new ClickstreamTopology(options);
        using var driver = new TopologyTestDriver(topology, topology.WatermarkStrategy, new ManualClock(settings.Start.AddDays(30)));
        foreach (var (key, value) in capture.Records)
            driver.Pipe(options.InputTopic, (int)((uint)string.GetHashCode(key, StringComparison.Ordinal) % Partitions), value, System.Text.Encoding.UTF8.GetBytes(key));
        driver.EndOfInput();

        var serializers = ClickstreamJson.RegisterAll(new RecordSerializers());
        var records = new List<SinkRecord>();
        foreach (var topic in SinkTopics.Default.All)
        {
            var next = new long[Partitions];
            var i = 0;
            foreach (var r in driver.Collector.Records(topic))
            {
                var partition = i++ % Partitions;
                records.Add(new SinkRecord(topic, partition, next[partition]++, r.Timestamp, Bytes(serializers, r.Key), Bytes(serializers, r.Value)));
            }
        }
        // The generated traffic has no user changes: the user dimension's outputs are hand-written, a user's records on one partition.
        foreach (var (kind, written) in new[] { (OutputKind.UserVersions, UserDimensionRecords.UserVersions), (OutputKind.Corrections, UserDimensionRecords.Corrections) })
        {
            var topic = SinkTopics.Default.Topic(kind);
            if (records.Any(r => r.Topic == topic)) continue;
            records.AddRange(written.Select((r, i) => new SinkRecord(topic, 0, i, UserDimensionRecords.T2, System.Text.Encoding.UTF8.GetBytes(r.Key),
                System.Text.Encoding.UTF8.GetBytes(r.Json))));
        }
        return records;
    }

    /// <summary>Distinct stable ids per output of <paramref name="topics"/> (quality only when it has a quality topic): the rows a sink must hold after storing <paramref name="records"/>.</summary>
    public static Dictionary<OutputKind, long> ExpectedRows(IEnumerable<SinkRecord> records, SinkTopics? topics = null)
    {
        var parsed = ParsedBatch.Parse(new SinkBatch("expected", records.ToList()), topics ?? SinkTopics.Default);
        return (topics ?? SinkTopics.Default).Kinds.ToDictionary(k => k, k => (long)parsed.Rows(k).Select(r => r.Id).Distinct().Count());
    }

    /// <summary>The id the <paramref name="n"/>th distinct event gets with mixed ids: its UUID, <c>e{n}</c>, a ULID, a
    /// number, or its UUID in upper case (which the processor writes back in lower case).</summary>
    public static string MixedId(string uuid, int n) => (n % 5) switch
    {
        0 => uuid,
        1 => $"e{n}",
        2 => $"01J{n:D23}",
        3 => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => uuid.ToUpperInvariant(),
    };

    // The generator writes "event_id":"<36 characters>"; its malformed payloads may lack it, or not be JSON at all.
    private static byte[] WithMixedId(byte[] payload, Dictionary<string, string> ids)
    {
        ReadOnlySpan<byte> name = "\"event_id\":\""u8;
        var at = payload.AsSpan().IndexOf(name);
        if (at < 0 || payload.Length < at + name.Length + 37 || payload[at + name.Length + 36] != (byte)'"') return payload;
        var start = at + name.Length;
        var uuid = System.Text.Encoding.ASCII.GetString(payload, start, 36);
        if (!Guid.TryParseExact(uuid, "D", out _)) return payload;
        if (!ids.TryGetValue(uuid, out var id)) ids[uuid] = id = MixedId(uuid, ids.Count);
        return [.. payload.AsSpan(0, start), .. System.Text.Encoding.UTF8.GetBytes(id), .. payload.AsSpan(start + 36)];
    }

    private static byte[]? Bytes(RecordSerializers s, object? value) => value switch
    {
        null => null,
        byte[] b => b,
        string x => System.Text.Encoding.UTF8.GetBytes(x),
        _ => Write(s, value),
    };

    // The serialisers are registered per static type: dispatch on the runtime type as the Kafka collector's typed senders do.
    private static byte[] Write(RecordSerializers s, object value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        switch (value)
        {
            case AggregateRowKey k: s.For<AggregateRowKey>()(k, buffer); break;
            case SessionKey k: s.For<SessionKey>()(k, buffer); break;
            case EnrichedEvent e: s.For<EnrichedEvent>()(e, buffer); break;
            case Sluice.Streaming.Errors.DeadLetterRecord d: s.For<Sluice.Streaming.Errors.DeadLetterRecord>()(d, buffer); break;
            case Sluice.Streaming.Errors.LateRecord<EnrichedEvent> l: s.For<Sluice.Streaming.Errors.LateRecord<EnrichedEvent>>()(l, buffer); break;
            case Sluice.Core.Events.ClickEvent c: s.For<Sluice.Core.Events.ClickEvent>()(c, buffer); break;
            case Sluice.Pipelines.Clickstream.AggregateRow r: s.For<Sluice.Pipelines.Clickstream.AggregateRow>()(r, buffer); break;
            case SessionSummary ss: s.For<SessionSummary>()(ss, buffer); break;
            case Sluice.Pipelines.Quality.QualityRowKey k: s.For<Sluice.Pipelines.Quality.QualityRowKey>()(k, buffer); break;
            case Sluice.Pipelines.Quality.QualityRow q: s.For<Sluice.Pipelines.Quality.QualityRow>()(q, buffer); break;
            default: throw new InvalidOperationException($"no serialiser for {value.GetType().Name}");
        }
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class Capture : ITrafficWriter
    {
        public List<(string Key, byte[] Value)> Records { get; } = [];

        public bool ReadsEvents => false;

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) Records.Add((record.Key, record.Payload.ToArray()));
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
