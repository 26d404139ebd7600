using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice bench engine</c>, run as a user would run it.</summary>
public sealed class BenchEngineCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task bench_engine_prints_throughput_cpu_allocation_gc_and_output_counts()
    {
        var r = await SluiceProcess.RunAsync(["bench", "engine", "--events", "20000"], Timeout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var rows = Rows(r.StdOut);
        Assert.Equal("20,000", rows["events"]);
        foreach (var measure in new[] { "seconds", "events/s", "CPU-seconds", "CPU µs/event", "allocated bytes/event", "GC gen0/gen1/gen2" })
            Assert.True(rows.ContainsKey(measure), $"no '{measure}' row in:\n{r.StdOut}");
        Assert.True(double.Parse(rows["events/s"].Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) > 0);
        // One untimed warm-up pass, then three timed passes by default; the table reports their median.
        Assert.Equal(3, rows["events/s per pass"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        long enriched = Count(rows["output enriched"]), dlq = Count(rows["output dlq"]), late = Count(rows["output late"]), bots = Count(rows["output bots"]);
        // Default faults: about 1 % malformed, 0.5 % late, 2 % bots, 0.5 % duplicates; the rest is enriched.
        Assert.InRange(dlq, 100, 400);
        Assert.InRange(late, 20, 250);
        Assert.InRange(bots, 200, 700);
        Assert.InRange(enriched, 18_000, 19_800);
        Assert.True(enriched + dlq + late + bots <= 20_000);
    }

    [Fact]
    public async Task checkpoint_interval_reports_the_cpu_ratio_of_alternated_pairs_and_the_snapshots()
    {
        var r = await SluiceProcess.RunAsync(["bench", "engine", "--events", "20000", "--checkpoint-interval", "1ms", "--iterations", "2",
            "--users", "5000", "--concurrent-sessions", "2000"], Timeout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var rows = Rows(r.StdOut);
        Assert.Equal(2, rows["CPU ratio with/without, per pair"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(Count(rows["checkpoints in the median pass (all tasks)"]) > 0, r.StdOut);
        Assert.Contains("bytes", rows["state per checkpoint, mean / largest"], StringComparison.Ordinal);
        Assert.Contains("bytes, serialised in", rows["state of all tasks at the end of the input"], StringComparison.Ordinal);

        var bad = await SluiceProcess.RunAsync(["bench", "engine", "--checkpoint-interval", "soon"], Timeout);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--checkpoint-interval 'soon'", bad.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task json_lines_input_is_processed_and_a_missing_file_is_one_line()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "events.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"event_id":"00000001-0000-0000-0000-000000000001","event_type":"page_view","timestamp":1767225600000,"session_id":"s1","user_id":"u1"}""",
            """{"event_id":"00000001-0000-0000-0000-000000000002","event_type":"search","timestamp":1767225601000,"session_id":"s1","user_id":"u1","search_query":"lego"}""",
            "not json",
        ]);
        var r = await SluiceProcess.RunAsync(["bench", "engine", "--input", file, "--partitions", "1", "--iterations", "1"], Timeout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var rows = Rows(r.StdOut);
        Assert.Equal("3", rows["events"]);
        Assert.Equal(2, Count(rows["output enriched"]));
        Assert.Equal(1, Count(rows["output dlq"]));
        Assert.False(rows.ContainsKey("events/s per pass"));

        var missing = await SluiceProcess.RunAsync(["bench", "engine", "--input", Path.Combine(dir.Path, "nope.jsonl")], Timeout);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("does not exist", missing.StdErr);
        Assert.Single(missing.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public async Task serialize_also_writes_every_output_and_reports_its_bytes_per_event()
    {
        var r = await SluiceProcess.RunAsync(["bench", "engine", "--events", "5000", "--iterations", "1", "--serialize"], Timeout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("outputs serialised", r.StdOut, StringComparison.Ordinal);
        var perEvent = Count(Rows(r.StdOut)["output bytes/event"]);
        Assert.InRange(perEvent, 500, 1_400);
    }

    private static long Count(string cell) => long.Parse(cell.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The table's rows, measure → value, from Spectre's rounded-border rendering.</summary>
    private static Dictionary<string, string> Rows(string stdout)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n'))
        {
            var cells = line.Split('│', StringSplitOptions.TrimEntries);
            if (cells.Length == 4 && cells[1].Length > 0) rows[cells[1]] = cells[2];
        }
        return rows;
    }
}
