using System.Buffers;
using System.Text;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Quality;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming.Snapshots;

/// <summary>One output record as the Kafka collector would write it: topic, key bytes, value bytes, timestamp.</summary>
internal readonly record struct WrittenRecord(string Topic, byte[]? Key, byte[] Value, long Timestamp)
{
    public bool SameAs(in WrittenRecord other) =>
        Topic == other.Topic && Timestamp == other.Timestamp && Value.AsSpan().SequenceEqual(other.Value)
        && (Key is null ? other.Key is null : other.Key is not null && Key.AsSpan().SequenceEqual(other.Key));

    public override string ToString() =>
        $"{Topic} @{Timestamp} key={(Key is null ? "null" : Encoding.UTF8.GetString(Key))} value={Encoding.UTF8.GetString(Value)}";
}

/// <summary>Generated clickstream traffic and a script that feeds it to the clickstream topology, cut into pieces at will.</summary>
/// <remarks>
/// The script is fixed by the traffic alone: the manual clock follows each record's emission time, the runner's
/// punctuation comes every 50 records, and at <see cref="IdleAt"/> the input pauses long enough for the partition to go
/// idle. A run between two cut points drives its own driver, over a new topology instance, restored from the snapshot
/// the previous piece ended with; its outputs are serialised with the topology's own serialisers as they are written.
/// </remarks>
internal sealed class ClickstreamRun
{
    private static readonly RecordSerializers Serializers = ClickstreamJson.RegisterAll(new RecordSerializers());

    public ClickstreamRun(int events, long seed, int idleAt)
    {
        var settings = new GeneratorSettings
        {
            Seed = seed, Users = 1_500, Products = 200, ConcurrentSessions = 60, MaxEvents = events, Cdc = false,
            MalformedRate = 0.01, LateRate = 0.01, DuplicateRate = 0.02, BotRate = 0.02, OutOfOrderRate = 0.05,
            Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        };
        var capture = new Capture();
        GeneratorRunner.Run(new ClickstreamGenerator(settings), capture);
        Records = capture.Records;
        IdleAt = idleAt;
    }

    public List<GeneratedRecord> Records { get; }

    /// <summary>The input pauses before this record (processing time moves two minutes, the partition goes idle).</summary>
    public int IdleAt { get; }

    /// <summary>Runs the whole script through one task, or through one task per piece between <paramref name="cuts"/>,
    /// each restored from the snapshot the one before it took; returns every output in order, and the snapshots.</summary>
    public (List<WrittenRecord> Outputs, List<byte[]> Snapshots) Run(IReadOnlyList<int> cuts, Func<ClickstreamTopology>? topology = null)
    {
        topology ??= () => new ClickstreamTopology();
        var outputs = new List<WrittenRecord>();
        var snapshots = new List<byte[]>();
        var boundaries = new List<int>(cuts) { Records.Count };
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(Records[0].StreamTime));
        byte[]? snapshot = null;
        var from = 0;
        foreach (var to in boundaries)
        {
            var t = topology();
            using var driver = new TopologyTestDriver(t, t.WatermarkStrategy, new ManualClock(clock.GetUtcNow()));
            if (snapshot is null) driver.Assign(0);
            else driver.AssignFromSnapshot(0, snapshot, nextOffset: from);
            for (var i = from; i < to; i++)
            {
                Step(driver, i);
                Drain(driver, outputs);
            }
            if (to == Records.Count)
            {
                driver.EndOfInput();
                Drain(driver, outputs);
            }
            else
            {
                snapshot = driver.Task().Snapshot();
                snapshots.Add(snapshot);
            }
            clock.Set(driver.Clock.GetUtcNow());
            from = to;
        }
        return (outputs, snapshots);
    }

    private void Step(TopologyTestDriver driver, int i)
    {
        var r = Records[i];
        if (i == IdleAt)
        {
            driver.AdvanceClock(TimeSpan.FromMinutes(2));
            if (!driver.Task().IsIdle(r.Topic)) throw new InvalidOperationException("the pause did not make the partition idle");
        }
        var at = DateTimeOffset.FromUnixTimeMilliseconds(r.StreamTime + 1_500);
        if (at > driver.Clock.GetUtcNow()) driver.Clock.Set(at);
        driver.Pipe(r.Topic, 0, r.Payload.ToArray(), Encoding.UTF8.GetBytes(r.Key), r.EventTime);
        if (i % 50 == 49) driver.AdvanceClock(TimeSpan.FromMilliseconds(1));
    }

    private static void Drain(TopologyTestDriver driver, List<WrittenRecord> into)
    {
        foreach (var r in driver.Collector.All) into.Add(Serialize(r));
        driver.Collector.Clear();
    }

    private static WrittenRecord Serialize(CapturedRecord r)
    {
        var key = r.Key switch
        {
            null => null,
            string s => Bytes(s),
            byte[] b => b,
            AggregateRowKey k => Bytes(k),
            SessionKey k => Bytes(k),
            QualityRowKey k => Bytes(k),
            var other => throw new InvalidOperationException($"no serializer for key {other.GetType()}"),
        };
        var value = r.Value switch
        {
            EnrichedEvent e => Bytes(e),
            ClickEvent e => Bytes(e),
            DeadLetterRecord d => Bytes(d),
            LateRecord<EnrichedEvent> l => Bytes(l),
            AggregateRow a => Bytes(a),
            SessionSummary s => Bytes(s),
            QualityRow q => Bytes(q),
            var other => throw new InvalidOperationException($"no serializer for value {other?.GetType()}"),
        };
        return new WrittenRecord(r.Topic, key, value, r.Timestamp);
    }

    private static byte[] Bytes<T>(T value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Serializers.For<T>()(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Keeps every generated record, its payload copied and without its event object.</summary>
    internal sealed class Capture : ITrafficWriter
    {
        public List<GeneratedRecord> Records { get; } = [];

        public bool ReadsEvents => false;

        public void Write(in GeneratedRecord record) => Records.Add(record with { Payload = record.Payload.ToArray(), Event = null });

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}

/// <summary>Asserts two output streams are the same records, byte for byte, in the same order.</summary>
internal static class Outputs
{
    public static void AssertIdentical(IReadOnlyList<WrittenRecord> expected, IReadOnlyList<WrittenRecord> actual, string what)
    {
        var n = Math.Min(expected.Count, actual.Count);
        for (var i = 0; i < n; i++)
        {
            if (expected[i].SameAs(actual[i])) continue;
            Assert.Fail($"{what}: output {i} of {expected.Count} differs\n expected {expected[i]}\n actual   {actual[i]}");
        }
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} outputs, expected {expected.Count}");
    }

    public static int Count(this IEnumerable<GeneratedRecord> records, FaultKind fault) => records.Count(r => r.Fault == fault);
}
