using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming.Snapshots;

public class OperatorSnapshotTests
{
    private const long Minute = 60_000;

    [Fact]
    public void sliding_hopping_windows_over_many_keys_restored_at_any_cut_emit_the_same_rows_in_the_same_order()
    {
        var input = Disordered(seed: 5, records: 3_000, keys: 40);
        ITopology Topology() => new TestTopology(HoppingWindows.Of(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1))) { Invertible = new InvertibleSumAggregator() };

        var expected = Run(Topology, input, []);

        Assert.Contains(expected, r => r.StartsWith("late|", StringComparison.Ordinal));
        foreach (var cuts in new[] { new[] { 1 }, [777], [1_500, 1_501, 2_999], [100, 400, 900, 1_600, 2_500] })
            Assert.Equal(expected, Run(Topology, input, cuts));
    }

    [Fact]
    public void sessions_with_end_events_restored_at_any_cut_emit_the_same_sessions_in_the_same_order()
    {
        var input = Disordered(seed: 6, records: 3_000, keys: 60, endEvents: true);
        ITopology Topology() => new TestTopology(SessionWindows.WithGap(TimeSpan.FromMinutes(3)).WithEndEvent(TimeSpan.FromMinutes(1)));

        var expected = Run(Topology, input, []);

        foreach (var cuts in new[] { new[] { 2 }, [1_234], [300, 600, 900, 1_200, 1_500, 1_800, 2_100, 2_400, 2_700] })
            Assert.Equal(expected, Run(Topology, input, cuts));
    }

    [Fact]
    public void a_record_inside_a_session_closed_before_the_cut_is_still_late_after_it()
    {
        ITopology Topology() => new TestTopology(SessionWindows.WithGap(TimeSpan.FromMinutes(10)));
        List<byte[]> input =
        [
            TestTopology.Input("a", 0), TestTopology.Input("a", 4 * Minute),
            TestTopology.Input("b", 17 * Minute), // watermark 15 min: a's session [0, 14 min) closes
            TestTopology.Input("a", 6 * Minute),  // inside it, though a session of its own would still be open: late all the same
        ];

        var expected = Run(Topology, input, []);
        var restored = Run(Topology, input, [3]);

        Assert.Contains(expected, r => r.StartsWith("late|", StringComparison.Ordinal) && r.Contains(StreamReasonCodes.SessionClosed, StringComparison.Ordinal));
        Assert.Equal(expected, restored);
    }

    [Fact]
    public void a_snapshot_is_refused_by_an_operator_with_another_window_size_naming_both()
    {
        var writer = new TopologyTestDriver(new TestTopology(TumblingWindows.Of(TimeSpan.FromMinutes(1))));
        writer.Pipe(TestTopology.Input("a", 0));
        var snapshot = writer.Task().Snapshot();
        using var reader = new TopologyTestDriver(new TestTopology(TumblingWindows.Of(TimeSpan.FromMinutes(2))));

        var ex = Assert.Throws<CheckpointException>(() => reader.AssignFromSnapshot(0, snapshot, 1));

        Assert.Equal("operator sum", ex.Section);
        Assert.Contains("60000 ms advancing by 60000 ms, but this operator's are 120000 ms by 120000 ms", ex.Message, StringComparison.Ordinal);
        writer.Dispose();
    }

    [Fact]
    public void a_snapshot_is_refused_by_a_topology_with_another_store_set_naming_the_store()
    {
        var writer = new TopologyTestDriver(new TestTopology(TumblingWindows.Of(TimeSpan.FromMinutes(1))));
        writer.Pipe(TestTopology.Input("a", 0));
        var snapshot = writer.Task().Snapshot();
        using var reader = new TopologyTestDriver(new TestTopology(SessionWindows.WithGap(TimeSpan.FromMinutes(1))));

        var ex = Assert.Throws<CheckpointException>(() => reader.AssignFromSnapshot(0, snapshot, 1));

        Assert.Equal("header", ex.Section);
        Assert.Contains("the snapshot has 'store sum: WindowStore<String, List<Int64>>' where this topology has 'store sum: SessionStore<String, SessionState<List<Int64>>>'", ex.Message, StringComparison.Ordinal);
        writer.Dispose();
    }

    // Records of many keys, mostly in time order, some minutes behind (late for some windows), some end events.
    private static List<byte[]> Disordered(int seed, int records, int keys, bool endEvents = false)
    {
        var random = new Random(seed);
        var list = new List<byte[]>(records);
        var t = 0L;
        for (var i = 0; i < records; i++)
        {
            t += random.Next(0, 2_000);
            var key = "k" + random.Next(keys);
            var at = random.Next(20) == 0 ? t - random.Next(0, 8 * (int)Minute) : t;
            list.Add(endEvents && random.Next(15) == 0 ? TestTopology.End(key, at) : TestTopology.Input(key, at, random.Next(1, 100)));
        }
        return list;
    }

    // Feeds the input, cut into pieces each run by a task restored from the snapshot of the piece before; returns every output in send order.
    private static List<string> Run(Func<ITopology> topology, List<byte[]> input, int[] cuts)
    {
        var outputs = new List<string>();
        byte[]? snapshot = null;
        var from = 0;
        foreach (var to in cuts.Append(input.Count))
        {
            using var driver = new TopologyTestDriver(topology());
            if (snapshot is null) driver.Assign(0);
            else driver.AssignFromSnapshot(0, snapshot, from);
            for (var i = from; i < to; i++) driver.Pipe(input[i]);
            if (to == input.Count) driver.EndOfInput();
            else snapshot = driver.Task().Snapshot();
            foreach (var r in driver.Collector.All) outputs.Add($"{r.Topic}|{r.Key}|{r.Value}|{r.Timestamp}|{r.Source}");
            from = to;
        }
        return outputs;
    }
}
