using System.Globalization;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice bench e2e</c>, run as a user would run it: the table's shape and its sanity, not its speed.</summary>
public sealed class BenchE2eCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task bench_e2e_prints_rates_their_ratio_latency_and_cpu_per_thread_for_outputs_equal_to_the_ground_truth()
    {
        var r = await SluiceProcess.RunAsync(["bench", "e2e", "--events", "20000", "--rounds", "1", "--sinks", "none"], Timeout);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var rows = Rows(r.StdOut);
        Assert.Equal("20,000", rows["click records produced"]);
        // Every valid event reached the enriched topic: as many as the generator's ground truth says it sent.
        var enriched = rows["valid events → enriched (read / ground truth)"].Split('/', StringSplitOptions.TrimEntries);
        Assert.Equal(enriched[1], enriched[0]);
        Assert.InRange(Number(enriched[0]), 18_000, 19_800);
        Assert.Equal("yes", rows["outputs match the ground truth"]);

        var pipeline = Number(rows["pipeline events/s"]);
        var bare = Number(rows["plain consumer records/s (same input, same broker)"]);
        Assert.True(pipeline > 0 && bare > 0, r.StdOut);
        Assert.InRange(Number(rows["plain consumer: input records the broker held"]), 1, 20_000);
        Assert.Equal(pipeline / bare, Number(rows["ratio pipeline / plain consumer (target ≥ 0.5)"]), 0.01 + pipeline / bare * 0.02);

        // Without stores, records are visible when the output reader reads them; one valid event in 16 is sampled.
        double p50 = Number(rows["latency produce → output reader, p50 ms"]), p99 = Number(rows["latency produce → output reader, p99 ms"]),
            max = Number(rows["latency produce → output reader, max ms"]);
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, r.StdOut);
        Assert.InRange(Number(rows["latency samples at output reader (1 event in 16)"]), Number(enriched[0]) / 32, Number(enriched[0]) / 8);
        Assert.True(Number(rows["process CPU µs per click record"]) > 0, r.StdOut);

        // CPU per thread, by stage: the threads Sluice names are there.
        foreach (var thread in new[] { "sl-generator", "sl-processor-N", "sl-reader" })
            Assert.Contains(thread, r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_store_the_configuration_does_not_enable_is_one_line_naming_it_before_anything_starts()
    {
        var r = await SluiceProcess.RunAsync(["bench", "e2e", "--events", "20000", "--sinks", "postgres", "--set", "postgres.connectionString="], Timeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("postgres.connectionString", r.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("round 1", r.StdErr, StringComparison.Ordinal);
    }

    private static double Number(string cell) => double.Parse(cell.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    /// <summary>The summary table's rows (one round: measure → value), from Spectre's rounded-border rendering.</summary>
    private static Dictionary<string, string> Rows(string stdout)
    {
        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n'))
        {
            var cells = line.Split('│', StringSplitOptions.TrimEntries);
            if (cells.Length == 4 && cells[1].Length > 0) rows.TryAdd(cells[1], cells[2]);
        }
        return rows;
    }
}
