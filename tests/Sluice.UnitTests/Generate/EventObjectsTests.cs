using System.Buffers;
using System.Security.Cryptography;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;

namespace Sluice.UnitTests.Generate;

/// <summary>Click records without <see cref="GeneratedRecord.Event"/> objects: the same stream, less garbage.</summary>
public class EventObjectsTests
{
    private static readonly GeneratorSettings Faulty = new()
    {
        Users = 1_000, Products = 200, MaxEvents = 40_000,
        MalformedRate = 0.05, LateRate = 0.02, OutOfOrderRate = 0.05, DuplicateRate = 0.05, BotRate = 0.05, CdcRate = 0.01,
    };

    [Fact]
    public void records_and_manifest_are_the_same_whether_or_not_event_objects_are_built()
    {
        var with = new ClickstreamGenerator(Faulty);
        var without = new ClickstreamGenerator(Faulty) { MaterializeEvents = false };
        var truthWith = new ManifestBuilder();
        var truthWithout = new ManifestBuilder();
        long clicks = 0;
        while (with.MoveNext())
        {
            Assert.True(without.MoveNext());
            var a = with.Current;
            var b = without.Current;
            Assert.Equal(a.Payload.ToArray(), b.Payload.ToArray());
            Assert.Equal((a.Kind, a.Topic, a.Key, a.EventTime, a.StreamTime, a.Fault, a.EventId, a.Op, a.EventType),
                (b.Kind, b.Topic, b.Key, b.EventTime, b.StreamTime, b.Fault, b.EventId, b.Op, b.EventType));
            Assert.Equal(a.Event?.EventType, a.EventType);
            // Only malformed records, written from an event object on their cold path, still carry one.
            if (!a.Fault.IsMalformed()) Assert.Null(b.Event);
            truthWith.Add(a);
            truthWithout.Add(b);
            if (a.Kind == RecordKind.Click) clicks++;
        }
        Assert.False(without.MoveNext());
        Assert.Equal(40_000, clicks);
        Assert.Equal(Json(truthWith), Json(truthWithout));
    }

    [Fact]
    public void the_runner_builds_event_objects_only_for_sinks_that_read_them()
    {
        var settings = Faulty with { MaxEvents = 2_000 };
        var bytesOnly = new Probe(readsEvents: false);
        var readsEvents = new Probe(readsEvents: true);

        GeneratorRunner.Run(new ClickstreamGenerator(settings), bytesOnly);
        GeneratorRunner.Run(new ClickstreamGenerator(settings), readsEvents);

        Assert.Equal(0, bytesOnly.CleanWithEvent);
        Assert.True(bytesOnly.Clean > 1_500);
        Assert.Equal(readsEvents.Clean, readsEvents.CleanWithEvent);
        Assert.Equal(bytesOnly.Clean, readsEvents.Clean);
        Assert.False(new NullTrafficWriter().ReadsEvents);
    }

    [Fact]
    public void default_stream_is_byte_identical_to_the_one_before_drafts_were_reused()
    {
        // SHA-256 over every payload, fault and kind of the default settings' first 100,000 click records, computed
        // with the generator that built a new ClickEvent per event. Reused drafts, held-back events and the duplicate
        // ring must not change a byte; a deliberate change to the stream (CDC records included) updates this value.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in new ClickstreamGenerator(new GeneratorSettings { MaxEvents = 100_000 }) { MaterializeEvents = false })
        {
            hash.AppendData(r.Payload.Span);
            hash.AppendData([(byte)r.Fault, (byte)r.Kind]);
        }
        Assert.Equal("EDEC6F18B547C7D12D5B857319B2430B28C1C7908F914BDCA555CDBE907B157D", Convert.ToHexString(hash.GetHashAndReset()));
    }

    private static byte[] Json(ManifestBuilder manifest)
    {
        var buffer = new ArrayBufferWriter<byte>();
        manifest.WriteJson(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class Probe(bool readsEvents) : ITrafficWriter
    {
        public int Clean { get; private set; }
        public int CleanWithEvent { get; private set; }
        public bool ReadsEvents => readsEvents;

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind != RecordKind.Click || record.Fault != FaultKind.None) return;
            Clean++;
            if (record.Event is not null) CleanWithEvent++;
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
