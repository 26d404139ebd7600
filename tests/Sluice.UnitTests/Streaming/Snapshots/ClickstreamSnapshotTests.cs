using Sluice.Core.Events;
using Sluice.Generate.Faults;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.State;

namespace Sluice.UnitTests.Streaming.Snapshots;

/// <summary>20,000 generated events (late, duplicated, out of order, bots, malformed) and their uninterrupted outputs, shared by the tests.</summary>
public sealed class ClickstreamRunFixture
{
    internal ClickstreamRun Run { get; } = new(events: 20_000, seed: 7, idleAt: 9_000);

    internal List<WrittenRecord> Uninterrupted { get; }

    public ClickstreamRunFixture() => Uninterrupted = Run.Run([]).Outputs;
}

public class ClickstreamSnapshotTests(ClickstreamRunFixture fixture) : IClassFixture<ClickstreamRunFixture>
{
    private readonly ClickstreamRun _run = fixture.Run;

    [Fact]
    public void a_task_restored_from_a_snapshot_at_twenty_cuts_in_a_row_writes_the_same_bytes_as_one_uninterrupted_task()
    {
        var random = new Random(11);
        var cuts = new SortedSet<int> { _run.IdleAt };
        while (cuts.Count < 20) cuts.Add(random.Next(1, _run.Records.Count));
        var list = cuts.ToList();

        var (outputs, snapshots) = _run.Run(list);

        Outputs.AssertIdentical(fixture.Uninterrupted, outputs, "20 cuts");
        Assert.Equal(20, snapshots.Count);
        // What the cuts had to carry across, so that the equality above means something.
        Assert.True(DuplicatesAcross(list) > 0, "no duplicate had its first copy before a cut and itself after it");
        Assert.True(_run.Records.Skip(list[0]).Count(FaultKind.Late) > 10);
        Assert.Contains(fixture.Uninterrupted, r => r.Topic == "clickstream.late");
        Assert.Contains(fixture.Uninterrupted, r => r.Topic == "clickstream.sessions");
        foreach (var aggregate in new[] { AggregateNames.Products1h, AggregateNames.ActiveUsers5m, AggregateNames.Events1m, AggregateNames.Commerce5m })
            Assert.Contains(fixture.Uninterrupted, r => r.Key is { } k && System.Text.Encoding.UTF8.GetString(k).StartsWith(aggregate + "|", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4_321)]
    [InlineData(9_000)] // the partition is idle when the snapshot is taken
    [InlineData(19_999)]
    public void a_task_restored_from_a_snapshot_at_one_cut_writes_the_same_bytes_as_one_uninterrupted_task(int cut)
    {
        var (outputs, _) = _run.Run([cut]);
        Outputs.AssertIdentical(fixture.Uninterrupted, outputs, $"cut at {cut}");
    }

    [Fact]
    public void a_snapshot_is_refused_by_a_topology_with_another_session_gap_naming_the_operator_and_both_gaps()
    {
        var (_, snapshots) = _run.Run([2_000]);
        var other = new ClickstreamTopology(new ClickstreamOptions { SessionGap = TimeSpan.FromMinutes(20) });
        using var driver = new Sluice.Streaming.Testing.TopologyTestDriver(other, other.WatermarkStrategy);

        var ex = Assert.Throws<CheckpointException>(() => driver.AssignFromSnapshot(0, snapshots[0], 2_000));

        Assert.Equal("operator sessions", ex.Section);
        Assert.Contains("1800000 ms", ex.Message, StringComparison.Ordinal);
        Assert.Contains("1200000 ms", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Delete the checkpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_snapshot_is_refused_by_a_topology_of_another_shape_naming_what_differs()
    {
        var (_, snapshots) = _run.Run([2_000]);
        var task = new TaskBuilder(new TestTopology(Sluice.Streaming.Windows.TumblingWindows.Of(TimeSpan.FromMinutes(1))) { }).Task(0);

        var ex = Assert.Throws<CheckpointException>(() => task.Restore(snapshots[0]));

        Assert.Equal("header", ex.Section);
        Assert.Contains("topology 'clickstream'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_snapshot_of_a_newer_format_is_refused_saying_so()
    {
        var (_, snapshots) = _run.Run([100]);
        var newer = (byte[])snapshots[0].Clone();
        Assert.Equal(1, newer[4]); // after the magic: the version, a one-byte varint
        newer[4] = 2;
        var t = new ClickstreamTopology();
        var task = new TaskBuilder(t, t.WatermarkStrategy).Task(0);

        var ex = Assert.Throws<CheckpointException>(() => task.Restore(newer));

        Assert.Contains("format version 2 is newer than this build reads (up to 1)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("newer one", ex.Message.Replace("a later one", "newer one", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void a_snapshot_with_a_flipped_byte_or_cut_short_is_refused_naming_the_section()
    {
        var (_, snapshots) = _run.Run([5_000]);
        var snapshot = snapshots[0];
        var t = new ClickstreamTopology();
        var builder = new TaskBuilder(t, t.WatermarkStrategy);

        // A byte in the middle lies in the largest section: the dedup ids or the sessions.
        var flipped = (byte[])snapshot.Clone();
        flipped[snapshot.Length / 2] ^= 0x10;
        var corrupt = Assert.Throws<CheckpointException>(() => builder.Task(0).Restore(flipped));
        Assert.StartsWith("store ", corrupt.Section, StringComparison.Ordinal);
        Assert.Contains("checksum mismatch", corrupt.Message, StringComparison.Ordinal);

        var truncated = Assert.Throws<CheckpointException>(() => builder.Task(0).Restore(snapshot.AsMemory(0, snapshot.Length - 7)));
        Assert.Equal("operator sessions", truncated.Section);
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);

        var wrongPartition = Assert.Throws<CheckpointException>(() => builder.Task(3).Restore(snapshot));
        Assert.Contains("partition 0, this task is partition 3", wrongPartition.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_task_that_has_processed_a_record_refuses_a_restore()
    {
        var (_, snapshots) = _run.Run([100]);
        var t = new ClickstreamTopology();
        var task = new TaskBuilder(t, t.WatermarkStrategy).Task(0);
        task.Process(new Sluice.Streaming.Processing.SourceRecord("clickstream.events", 0, 0, 0, null, "{}"u8.ToArray()));

        Assert.Throws<InvalidOperationException>(() => task.Restore(snapshots[0]));
    }

    // Duplicates whose first copy is before some cut and which come after it.
    private int DuplicatesAcross(List<int> cuts)
    {
        var firstSeen = new Dictionary<EventId, int>();
        var across = 0;
        for (var i = 0; i < _run.Records.Count; i++)
        {
            var r = _run.Records[i];
            if (r.Fault != FaultKind.Duplicate)
            {
                firstSeen.TryAdd(r.EventId, i);
                continue;
            }
            if (firstSeen.TryGetValue(r.EventId, out var first) && cuts.Any(c => first < c && c <= i)) across++;
        }
        return across;
    }
}
