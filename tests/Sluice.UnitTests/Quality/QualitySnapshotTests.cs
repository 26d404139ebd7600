using System.Text;
using Sluice.App.Samples;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Quality;
using Sluice.Streaming.Testing;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Quality;

public class QualitySnapshotTests
{
    [Fact]
    public void a_task_restored_from_its_snapshot_mid_window_writes_the_same_quality_rows_as_one_that_never_stopped()
    {
        var payloads = SampleEvents.Generate(4000, seed: 3, startMs: T0);

        // 1. One task reads everything.
        var whole = Run(payloads, cut: null);

        // 2. Another reads to the cut, is snapshotted, and a new task restored from the snapshot reads the rest.
        foreach (var cut in new[] { 1, 1234, 2999 })
        {
            var resumed = Run(payloads, cut);
            Assert.Equal(whole, resumed);
        }
        Assert.True(whole.Count > 1);
    }

    [Fact]
    public void the_quality_store_round_trips_its_counts_through_a_snapshot()
    {
        using var d = Driver();
        foreach (var payload in SampleEvents.Generate(500, seed: 8, startMs: T0)) d.Pipe(payload);
        var snapshot = d.Task(0).Snapshot();
        using var restored = Driver();
        restored.AssignFromSnapshot(0, snapshot, nextOffset: 500);
        var before = Store(d);
        var after = Store(restored);
        Assert.NotEmpty(before);
        Assert.Equal(before, after);
        Assert.Equal(Volumes(d), Volumes(restored));
    }

    private static List<string> Store(TopologyTestDriver d) =>
        [.. ((Sluice.Streaming.State.WindowStore<int, QualityAggregator.Acc>)d.Task(0).Stores.Single(s => s.Name == QualityWiring.WindowName)).All()
            .Select(e => $"{e.WindowStart} {e.Key} {e.Value.RecordsIn} {e.Value.Duplicates} {e.Value.Bots} {e.Value.Late} {e.Value.Accepted} " +
                $"{e.Value.IngestLagSumMs} {e.Value.IngestLagMaxMs} {string.Join(',', e.Value.InvalidByReason.OrderBy(r => r.Key, StringComparer.Ordinal))} {string.Join(',', e.Value.Nulls)}")];

    private static List<string> Volumes(TopologyTestDriver d) =>
        [.. ((Sluice.Streaming.State.KeyValueStore<long, long>)d.Task(0).Stores.Single(s => s.Name == QualityWiring.VolumeStoreName)).All()
            .Select(e => $"{e.Key}={e.Value}@{e.Timestamp}")];

    private static List<string> Run(List<byte[]> payloads, int? cut)
    {
        var rows = new List<string>();
        var driver = Driver();
        try
        {
            for (var i = 0; i < payloads.Count; i++)
            {
                if (i == cut)
                {
                    var snapshot = driver.Task(0).Snapshot();
                    rows.AddRange(Rows(driver));
                    driver.Dispose();
                    driver = Driver();
                    driver.AssignFromSnapshot(0, snapshot, nextOffset: i);
                }
                driver.Pipe(payloads[i]);
            }
            driver.EndOfInput();
            rows.AddRange(Rows(driver));
            return rows;
        }
        finally
        {
            driver.Dispose();
        }
    }

    private static IEnumerable<string> Rows(TopologyTestDriver d) =>
        d.Output<QualityRow>("clickstream.quality").Select(r => Encoding.UTF8.GetString(ClickstreamJson.Bytes(r, QualityJson.Write)));
}
