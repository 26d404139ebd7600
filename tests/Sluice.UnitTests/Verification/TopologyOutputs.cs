using System.Buffers;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Testing;
using Sluice.Verification;

namespace Sluice.UnitTests.Verification;

/// <summary>Runs the streaming topology over a verification input in the test driver and returns its outputs as the Kafka collector would write them.</summary>
internal static class TopologyOutputs
{
    /// <param name="changesAfter">With <see cref="VerificationInput.Changes"/>: each partition's changes are piped after this share of its
    /// events (0: before them all; 0.5: the first half of the events is joined before any change is known, and corrected).</param>
    public static Dictionary<ClickstreamOutput, List<OutputRecord>> Run(VerificationInput input, ClickstreamOptions options, ISchemaSource? schemas,
        DateTimeOffset now, bool endOfInput, double changesAfter = 0)
    {
        var topology = new ClickstreamTopology(options, schemas);
        using var driver = new TopologyTestDriver(topology, topology.WatermarkStrategy, new ManualClock(now));
        foreach (var partition in input.Partitions)
        {
            var changes = options.JoinsUsers && input.Changes is { } all && partition.Count > 0
                ? all.Where(c => c.Partition == partition[0].Partition).ToList() : [];
            var at = (int)(partition.Count * changesAfter);
            for (var i = 0; i <= partition.Count; i++)
            {
                if (i == at)
                    foreach (var c in changes) driver.Pipe(options.UserChangesTopic!, c.Partition, c.Value, c.Key);
                if (i < partition.Count) driver.Pipe(input.Topic, partition[i].Partition, partition[i].Value, partition[i].Key);
            }
        }
        if (endOfInput) driver.EndOfInput();

        var serializers = ClickstreamJson.RegisterAll(new RecordSerializers());
        var outputs = new Dictionary<ClickstreamOutput, List<OutputRecord>>();
        foreach (var output in options.JoinsUsers ? [.. ClickstreamOutputs.All, .. ClickstreamOutputs.Users] : ClickstreamOutputs.All)
        {
            outputs[output] = driver.Collector.Records(output.Topic(options))
                .Select((r, i) => new OutputRecord(Bytes(serializers, r.Key), Bytes(serializers, r.Value)!, Position: $"{output.Topic(options)} #{i}"))
                .ToList();
        }
        return outputs;
    }

    private static byte[]? Bytes(RecordSerializers s, object? value) => value switch
    {
        null => null,
        byte[] b => b,
        string x => Write(s, x),
        AggregateRowKey k => Write(s, k),
        SessionKey k => Write(s, k),
        EnrichedEvent e => Write(s, e),
        DeadLetterRecord d => Write(s, d),
        LateRecord<EnrichedEvent> l => Write(s, l),
        ClickEvent c => Write(s, c),
        AggregateRow r => Write(s, r),
        SessionSummary ss => Write(s, ss),
        Sluice.Pipelines.Clickstream.Users.UserVersion v => Write(s, v),
        Sluice.Pipelines.Clickstream.Users.ProfileCorrection c => Write(s, c),
        _ => throw new InvalidOperationException($"no serialiser for {value.GetType().Name}"),
    };

    private static byte[] Write<T>(RecordSerializers s, T value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        s.For<T>()(value, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
