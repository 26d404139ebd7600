using System.Text;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

/// <summary>Ids of any form through the clickstream topology: deduplicated by id, written as sent, refused with their own reasons.</summary>
public sealed class EventIdDedupTests
{
    private const string Ulid = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    private const string Uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

    [Fact]
    public void repeats_of_ids_that_are_not_uuids_are_dropped_and_counted_and_the_rest_pass_as_sent()
    {
        using var d = Driver();
        string[] sent = ["e1", "e1", "E1", Ulid, "42", Ulid, "42", Uuid.ToUpperInvariant(), Uuid, "e1"];
        for (var i = 0; i < sent.Length; i++) d.Pipe(Event(at: T0 + i * 1000) with { EventId = EventId.Parse(sent[i]) });

        var passed = d.Output<EnrichedEvent>("clickstream.enriched").Select(e => e.Event.EventId.ToString()).ToList();
        Assert.Equal(["e1", "E1", Ulid, "42", Uuid], passed);
        Assert.Equal(5, d.Task().Metrics.Get("duplicates"));
        Assert.Empty(d.Output<object>("clickstream.dlq"));
    }

    [Fact]
    public void an_empty_or_over_long_id_is_a_dead_letter_with_its_own_reason_and_no_dedup_entry()
    {
        using var d = Driver();
        d.Pipe(WithRawId(""));
        d.Pipe(WithRawId(new string('x', EventId.MaxLength + 1)));
        d.Pipe(WithRawId(new string('x', EventId.MaxLength)));

        var reasons = d.Output<DeadLetterRecord>("clickstream.dlq").Select(l => l.ReasonCode).ToList();
        Assert.Equal([ReasonCodes.EmptyEventId, ReasonCodes.EventIdTooLong], reasons);
        Assert.Single(d.Output<EnrichedEvent>("clickstream.enriched"));
    }

    [Fact]
    public void avro_frames_with_ids_that_are_not_uuids_are_deduplicated_as_json_events_are()
    {
        var registry = new StaticSchemaSource().Add(3, EventSchemas.V3);
        var topology = new ClickstreamTopology(new ClickstreamOptions(), registry);
        using var d = new TopologyTestDriver(topology, topology.WatermarkStrategy);
        var serializer = new ClickEventAvroSerializer(3);
        d.Pipe(serializer.Serialize(Event(at: T0) with { EventId = EventId.Parse("e1") }));
        d.Pipe(ClickEventJson.ToBytes(Event(at: T0 + 1000) with { EventId = EventId.Parse("e1") }));
        d.Pipe(serializer.Serialize(Event(at: T0 + 2000) with { EventId = EventId.Parse(Ulid) }));
        d.Pipe(serializer.Serialize(Event(at: T0 + 3000) with { EventId = EventId.Parse(Ulid) }));

        Assert.Equal(["e1", Ulid], d.Output<EnrichedEvent>("clickstream.enriched").Select(e => e.Event.EventId.ToString()));
        Assert.Equal(2, d.Task().Metrics.Get("duplicates"));
    }

    // A JSON event whose event_id is any text, including text the event type refuses.
    private static byte[] WithRawId(string id)
    {
        var e = Event();
        var json = Encoding.UTF8.GetString(ClickEventJson.ToBytes(e));
        return Encoding.UTF8.GetBytes(json.Replace(e.EventId.ToString(), id, StringComparison.Ordinal));
    }
}
