using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainTopologyTests
{
    [Fact]
    public void two_devices_three_readings_each_over_two_minutes_give_exact_rows_per_device_and_minute()
    {
        using var d = Driver();
        d.Pipe(Input, 0, Reading("a1", "d1", T0 + 10 * Second, 20.0, battery: 90));
        d.Pipe(Input, 0, Reading("b1", "d2", T0 + 20 * Second, 10.0));
        d.Pipe(Input, 0, Reading("b2", "d2", T0 + 40 * Second, 14.0));
        d.Pipe(Input, 0, Reading("a2", "d1", T0 + 50 * Second, 22.0, battery: 89));
        d.Pipe(Input, 0, Reading("a3", "d1", T0 + 70 * Second, 30.0, battery: 88));
        d.Pipe(Input, 0, Reading("b3", "d2", T0 + 100 * Second, 16.0));
        d.EndOfInput();

        var rows = Rows(d);
        double? Stat(long minute, string group, string metric) =>
            rows.TryGetValue(("device_stats_1m", T0 + minute * Minute, group, metric), out var row) ? row.Value : null;

        Assert.Equal(2, Stat(0, "d1|temperature", "readings"));
        Assert.Equal(21, Stat(0, "d1|temperature", "value_mean"));
        Assert.Equal(42, Stat(0, "d1|temperature", "value_mean_sum"));
        Assert.Equal(2, Stat(0, "d1|temperature", "value_mean_count"));
        Assert.Equal(20, Stat(0, "d1|temperature", "value_min"));
        Assert.Equal(22, Stat(0, "d1|temperature", "value_max"));
        Assert.Equal(89, Stat(0, "d1|temperature", "battery_min"));
        Assert.Equal(2, Stat(0, "d2|temperature", "readings"));
        Assert.Equal(12, Stat(0, "d2|temperature", "value_mean"));
        Assert.Equal(10, Stat(0, "d2|temperature", "value_min"));
        Assert.Equal(14, Stat(0, "d2|temperature", "value_max"));
        Assert.Null(Stat(0, "d2|temperature", "battery_min")); // no reading had a battery: no row, not a zero
        Assert.Equal(1, Stat(1, "d1|temperature", "readings"));
        Assert.Equal(30, Stat(1, "d1|temperature", "value_mean"));
        Assert.Equal(88, Stat(1, "d1|temperature", "battery_min"));
        Assert.Equal(1, Stat(1, "d2|temperature", "readings"));
        Assert.Equal(16, Stat(1, "d2|temperature", "value_max"));
        Assert.Equal(2 * 7 + 2 * 6, rows.Keys.Count(k => k.Aggregate == "device_stats_1m"));

        var row = rows[("device_stats_1m", T0, "d1|temperature", "readings")];
        Assert.Equal(new AggregateRow("device_stats_1m", T0, T0 + Minute, 0, "device_id,metric", "d1|temperature", "readings", 2), row);
    }

    [Fact]
    public void a_reading_counts_in_each_of_the_three_hopping_windows_that_contain_it()
    {
        using var d = Driver();
        d.Pipe(Input, 0, Reading("r1", "d1", T0 + 7 * Minute, 400, metric: "co2", site: "north"));
        d.EndOfInput();

        var windows = Rows(d).Values.Where(r => r.Aggregate == "site_stats_15m" && r.Metric == "readings").OrderBy(r => r.WindowStart).ToList();
        Assert.Equal([T0 - 5 * Minute, T0, T0 + 5 * Minute], windows.Select(w => w.WindowStart));
        Assert.All(windows, w =>
        {
            Assert.Equal(w.WindowStart + 15 * Minute, w.WindowEnd);
            Assert.Equal("site_id,metric", w.Dimension);
            Assert.Equal("north|co2", w.DimensionValue);
            Assert.Equal(1, w.Value);
        });
        Assert.Equal(3, Rows(d).Values.Count(r => r.Aggregate == "site_stats_15m" && r.Metric == "devices" && r.Value == 1));
    }

    [Fact]
    public void ten_minutes_of_silence_split_a_device_s_readings_into_two_sessions()
    {
        using var d = Driver();
        foreach (var (id, at) in new[] { ("r1", 0L), ("r2", 3L), ("r3", 6L), ("r4", 16L), ("r5", 21L) })
            d.Pipe(Input, 0, Reading(id, "d1", T0 + at * Minute));
        d.EndOfInput();

        var sessions = Rows(d).Values.Where(r => r.Aggregate == "device_sessions").OrderBy(r => r.WindowStart).ToList();
        Assert.Equal(2, sessions.Count);
        // A reading exactly the gap after the last starts a new session; the window ends the gap after its last reading.
        Assert.Equal(new AggregateRow("device_sessions", T0, T0 + 16 * Minute, 0, "device_id", "d1", "readings", 3), sessions[0]);
        Assert.Equal(new AggregateRow("device_sessions", T0 + 16 * Minute, T0 + 31 * Minute, 0, "device_id", "d1", "readings", 2), sessions[1]);
    }

    [Fact]
    public void a_repeated_reading_id_is_written_and_counted_once()
    {
        using var d = Driver();
        d.Pipe(Input, 0, Reading("r1", "d1", T0 + 5 * Second, 20));
        d.Pipe(Input, 0, Reading("r1", "d1", T0 + 5 * Second, 20));
        d.Pipe(Input, 0, Reading("r1", "d1", T0 + 5 * Second, 25)); // the id decides, not the content
        d.Pipe(Input, 0, Reading("r2", "d1", T0 + 6 * Second, 22));
        d.EndOfInput();

        Assert.Equal(2, d.Output<DomainRecord>("iot.valid").Count);
        var rows = Rows(d);
        Assert.Equal(2, rows[("device_stats_1m", T0, "d1|temperature", "readings")].Value);
        Assert.Equal(42, rows[("device_stats_1m", T0, "d1|temperature", "value_mean_sum")].Value);
    }

    [Fact]
    public void a_late_reading_goes_to_the_late_output_once_and_nowhere_else()
    {
        using var d = Driver();
        d.Pipe(Input, 0, Reading("r1", "d1", T0 + 10 * Minute));
        d.Pipe(Input, 0, Reading("r2", "d1", T0 + 1 * Minute + 30 * Second)); // its minute ended at T0+2m; the watermark is T0+8m
        d.EndOfInput();

        var late = Assert.Single(d.Output<LateRecord<DomainRecord>>("iot.late"));
        Assert.Equal("device_stats_1m", late.Operator);
        Assert.Equal(StreamReasonCodes.WindowClosed, late.ReasonCode);
        Assert.Equal(T0 + Minute, late.WindowStart);
        Assert.Equal(T0 + 8 * Minute, late.Watermark);
        Assert.Equal("d1", Assert.Single(d.Collector.Records("iot.late")).Key);
        Assert.Single(d.Output<DomainRecord>("iot.valid"));
        Assert.All(Rows(d).Values.Where(r => r.Aggregate == "device_stats_1m"), r => Assert.Equal(T0 + 10 * Minute, r.WindowStart));
        Assert.Equal(1, Rows(d).Values.Where(r => r.Metric == "readings" && r.Aggregate == "device_sessions").Sum(r => r.Value));
    }

    [Fact]
    public void undecodable_and_invalid_readings_are_dead_letters_with_their_reason()
    {
        using var d = Driver();
        d.Pipe(Input, 0, "{\"oops"u8.ToArray());
        d.Pipe(Input, 0, Reading("r1", "d1", T0, 900));
        d.Pipe(Input, 0, Reading("r2", "d1", T0, 20, metric: "wind"));

        Assert.Equal(["invalid_json", "temperature_out_of_range", "invalid_enum_value"], d.Output<DeadLetterRecord>("iot.dlq").Select(l => l.ReasonCode));
        Assert.Empty(d.Output<DomainRecord>("iot.valid"));
    }

    [Fact]
    public void the_iot_file_loads_compiles_and_describes_its_topology_front_to_back()
    {
        var topology = new DomainTopology(Definition);

        Assert.Equal("iot", topology.Name);
        Assert.Equal(["iot.readings"], topology.SourceTopics);
        Assert.Equal("iot.dlq", topology.DeadLetterTopic);
        Assert.Equal(new TopicsSpec("iot.readings", "iot.dlq", "iot.valid", "iot.late", "iot.aggregated"), topology.Topics);
        Assert.Equal(11, topology.Rules.Rules.Count);
        Assert.False(Definition.HasJourney);
        Assert.Equal(["device_stats_1m", "site_stats_15m", "device_sessions"], topology.Aggregates.Select(a => a.Name));
        Assert.Equal(
            ["source", "decode", "validate", "dedupe", "late gate", "output", "tumbling window", "hopping window", "session window"],
            topology.Describe().Select(s => s.Stage));
        Assert.Contains("additive across partitions: it is the key", topology.Describe()[7].Detail, StringComparison.Ordinal);
        // The e-commerce file describes no event of its own and keeps its C# topology.
        Assert.False(DomainDefinition.Ecommerce.DescribesOwnEvent);
        Assert.Empty(DomainDefinition.Ecommerce.Aggregates);
    }

    [Fact]
    public void topics_default_to_the_domain_name_and_a_file_without_aggregates_writes_valid_records_only()
    {
        var domain = DomainDefinition.Parse(new StringReader(DomainRecordRuleTests.BaseFile), "test.yaml", "meters");
        var topology = new DomainTopology(domain);
        Assert.Equal(new TopicsSpec("meters.events", "meters.dlq", "meters.valid", "meters.late", "meters.aggregated"), topology.Topics);
        Assert.DoesNotContain(topology.Describe(), s => s.Stage == "late gate");

        using var d = new Sluice.Streaming.Testing.TopologyTestDriver(topology, topology.WatermarkStrategy);
        d.Pipe("meters.events", 0, Reading("r1", "d1", T0));
        d.Pipe("meters.events", 0, Reading("r1", "d1", T0));
        d.EndOfInput();
        Assert.Single(d.Output<DomainRecord>("meters.valid"));
        Assert.Empty(d.Collector.Records("meters.aggregated"));
    }
}
