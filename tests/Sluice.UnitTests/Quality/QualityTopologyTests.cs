using System.Text;
using Sluice.App.Samples;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Quality;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using Sluice.UnitTests.Pipelines;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Quality;

public class QualityTopologyTests
{
    private const string Input = "clickstream.events";
    private const string QualityTopic = "clickstream.quality";

    [Fact]
    public void a_hundred_records_with_five_duplicates_and_three_invalid_give_exact_rates_and_an_excellent_grade()
    {
        using var d = Driver();
        var events = Enumerable.Range(0, 92).Select(i => Event(at: T0 + i * 100, user: $"u{i % 7}", session: $"s{i % 7}")).ToList();
        foreach (var e in events) d.Pipe(e);
        foreach (var e in events.Take(5)) d.Pipe(e);
        d.Pipe(Input, 0, "not json"u8.ToArray(), brokerTimestamp: T0 + 30_000);
        d.Pipe(Input, 0, "{\"event_id\":"u8.ToArray(), brokerTimestamp: T0 + 31_000);
        d.Pipe(Event(EventType.Purchase, at: T0 + 40_000, product: "p1", category: "c1", price: -5, quantity: 1));
        d.EndOfInput();

        var row = Assert.Single(d.Output<QualityRow>(QualityTopic));
        Assert.Equal((T0, T0 + Minute, 0), (row.WindowStart, row.WindowEnd, row.Partition));
        Assert.Equal((100L, 97L, 3L, 5L, 0L, 0L, 92L), (row.RecordsIn, row.Valid, row.Invalid, row.Duplicates, row.Bots, row.Late, row.Accepted));
        Assert.Equal(3L, row.InvalidByReason.Sum(r => r.Value));
        Assert.Equal(d.Output<DeadLetterRecord>("clickstream.dlq").GroupBy(l => l.ReasonCode).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new KeyValuePair<string, long>(g.Key, g.Count())), row.InvalidByReason);
        Assert.Equal((0.03, 0.05, 0.0, 0.0, 1.0), (row.InvalidRate, row.DuplicateRate, row.LateRate, row.BotRate, row.Completeness));
        Assert.Equal(97.3, row.Score);
        Assert.Equal("EXCELLENT", row.Grade);
        var now = d.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(now - T0, row.IngestLagMaxMs);
        Assert.Equal(events.Sum(e => now - e.Timestamp), row.IngestLagSumMs);
        // Nulls are counted over the 97 valid events: the fixture's page views carry no product.
        Assert.Equal(97, row.NullCounts[QualityFields.IndexOf("product_id")]);
        Assert.Equal(0, row.NullCounts[QualityFields.IndexOf("page_url")]);
        Assert.Null(row.VolumeBaseline);
        Assert.Equal(new QualityRowKey(T0, 0), d.Collector.Records(QualityTopic)[0].Key);
    }

    [Fact]
    public void bots_count_in_their_window_and_late_events_and_dead_letters_without_a_time_in_the_window_open_when_they_arrived()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0 + 10 * Minute)); // watermark T0 + 8 min
        d.Pipe(Event(at: T0 + 10 * Minute + 1, userAgent: "Googlebot/2.1"));
        d.Pipe(Event(at: T0)); // its minute closed long ago: late
        d.Pipe("garbage"u8.ToArray()); // no broker timestamp: counted at the watermark
        d.EndOfInput();

        var rows = d.Output<QualityRow>(QualityTopic);
        Assert.Equal([T0 + 8 * Minute, T0 + 10 * Minute], rows.Select(r => r.WindowStart));
        Assert.Equal((2L, 1L, 1L, 0L), (rows[0].RecordsIn, rows[0].Late, rows[0].Invalid, rows[0].Accepted));
        Assert.Equal((2L, 1L, 1L), (rows[1].RecordsIn, rows[1].Bots, rows[1].Accepted));
        Assert.Equal(4, rows.Sum(r => r.RecordsIn));
    }

    [Fact]
    public void a_partition_reports_its_own_windows()
    {
        using var d = Driver();
        d.Pipe(Event(at: T0), partition: 0);
        d.Pipe(Event(at: T0, user: "u2", session: "s2"), partition: 2);
        d.Pipe(Event(at: T0 + 1, user: "u3", session: "s3"), partition: 2);
        d.EndOfInput();
        var rows = d.Output<QualityRow>(QualityTopic).OrderBy(r => r.Partition).ToList();
        Assert.Equal([(0, 1L), (2, 2L)], rows.Select(r => (r.Partition, r.RecordsIn)));
    }

    [Fact]
    public void the_volume_baseline_is_the_mean_of_the_previous_windows_that_had_records_and_a_surge_alerts()
    {
        var alerts = new CapturingAlerts();
        var topology = new ClickstreamTopology(null, null, alerts);
        using var d = new TopologyTestDriver(topology, topology.WatermarkStrategy);
        int[] perMinute = [10, 20, 0, 30, 100];
        var n = 0;
        for (var m = 0; m < perMinute.Length; m++)
            for (var i = 0; i < perMinute[m]; i++)
                d.Pipe(Event(at: T0 + m * Minute + i, user: $"u{n++}"));
        d.EndOfInput();

        var rows = d.Output<QualityRow>(QualityTopic);
        Assert.Equal([10L, 20, 30, 100], rows.Select(r => r.RecordsIn));
        Assert.Equal([null, 10.0, 15.0, 20.0], rows.Select(r => r.VolumeBaseline));
        var surge = Assert.Single(alerts.Raised, a => a.Check == "volume_high");
        Assert.Equal((5.0, 2.0, T0 + 4 * Minute), (surge.Value, surge.Threshold, surge.WindowStart));
    }

    [Fact]
    public void every_record_in_counts_once_and_the_rows_add_up_to_the_outputs()
    {
        using var d = Driver();
        var payloads = SampleEvents.Generate(3000, seed: 11, startMs: T0);
        foreach (var payload in payloads) d.Pipe(payload);
        d.Pipe("{oops"u8.ToArray());
        d.EndOfInput();

        var rows = d.Output<QualityRow>(QualityTopic);
        Assert.True(rows.Count > 1);
        Assert.Equal(payloads.Count + 1, rows.Sum(r => r.RecordsIn));
        Assert.All(rows, r => Assert.Equal(r.RecordsIn, r.Invalid + r.Duplicates + r.Bots + r.Late + r.Accepted));
        Assert.Equal(d.Output<DeadLetterRecord>("clickstream.dlq").Count, rows.Sum(r => r.Invalid));
        Assert.Equal(d.Output<ClickEvent>("clickstream.bots").Count, rows.Sum(r => r.Bots));
        Assert.Equal(d.Output<EnrichedEvent>("clickstream.enriched").Count, rows.Sum(r => r.Accepted));
        Assert.Equal(d.Output<LateRecord<EnrichedEvent>>("clickstream.late").Count(l => l.Operator == AggregateNames.Events1m), rows.Sum(r => r.Late));
        Assert.Equal(d.Task(0).Metrics.Counter("duplicates").Value, rows.Sum(r => r.Duplicates));
        // One row per window and partition, each emitted once.
        Assert.Equal(rows.Count, rows.Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public void with_quality_off_the_topology_writes_no_quality_rows()
    {
        var options = new ClickstreamOptions();
        options.Quality.Enabled = false;
        using var d = Driver(options);
        d.Pipe(Event(at: T0));
        d.EndOfInput();
        Assert.Empty(d.Collector.Records(QualityTopic));
        Assert.DoesNotContain(d.Task(0).Stores, s => s.Name.StartsWith("quality", StringComparison.Ordinal));
    }

    [Fact]
    public void a_record_that_makes_a_processor_throw_counts_once_as_processing_failed_and_one_dropped_unseen_as_not_routed()
    {
        using var d = new TopologyTestDriver(new ProbeOnly());
        d.Pipe("in", 0, "ok"u8.ToArray(), brokerTimestamp: T0);
        d.Pipe("in", 0, "throw"u8.ToArray(), brokerTimestamp: T0 + 1);
        d.Pipe("in", 0, "dead"u8.ToArray(), brokerTimestamp: T0 + 2);
        d.EndOfInput();
        var row = Assert.Single(d.Output<QualityRow>(QualityTopic));
        Assert.Equal([new("bad_input", 1L), new(QualityProbe.NotRouted, 1L), new(StreamReasonCodes.ProcessingFailed, 1L)], row.InvalidByReason);
        Assert.Equal((3L, 3L, T0), (row.RecordsIn, row.Invalid, row.WindowStart));
    }

    // The probe around a source that drops "ok", throws on "throw" and dead-letters anything else.
    private sealed class ProbeOnly : Sluice.Streaming.Processing.ITopology
    {
        public string Name => "probe-only";

        public IReadOnlyList<string> SourceTopics => ["in"];

        public string DeadLetterTopic => "dlq";

        public Sluice.Streaming.Processing.TaskTopology Build(Sluice.Streaming.Processing.TaskId taskId)
        {
            var b = new Sluice.Streaming.Processing.TaskTopologyBuilder();
            var quality = QualityWiring.Create(b, new ClickstreamOptions { InputTopic = "in" }, null);
            return b.Build(quality.Source(b.Add(new Source())));
        }

        private sealed class Source : Sluice.Streaming.Processing.IProcessor<byte[]?, byte[]>
        {
            private Sluice.Streaming.Processing.IProcessorContext _context = null!;

            public void Init(Sluice.Streaming.Processing.IProcessorContext context) => _context = context;

            public void Process(in Sluice.Streaming.Processing.Record<byte[]?, byte[]> record)
            {
                var text = Encoding.UTF8.GetString(record.Value);
                if (text == "throw") throw new InvalidOperationException("boom");
                if (text != "ok") _context.DeadLetter("bad_input", text);
            }

            public void Close()
            {
            }
        }
    }

    private sealed class CapturingAlerts : IQualityAlertSink
    {
        public List<QualityAlert> Raised { get; } = [];

        public void Raise(QualityAlert alert) => Raised.Add(alert);
    }
}
