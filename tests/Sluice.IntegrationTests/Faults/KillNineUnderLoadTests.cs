using System.Diagnostics;
using System.Globalization;
using Sluice.IntegrationTests.Cli;
using Sluice.IntegrationTests.Verification;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>
/// Three <c>sluice process</c> processes under paced load, one of them killed with SIGKILL ten times; <c>sluice record</c>
/// keeps every output as it is written; then <c>sluice verify --outputs-from</c> the recording.
/// </summary>
public sealed class KillNineUnderLoadTests(ITestOutputHelper output)
{
    // 120,000 events at 1,000/s arrive over 120 s, about as long as ten kill-and-recover rounds take (6 to 16 s each: the
    // dead member's 6 s session, then the rebalance; a round after the input has all arrived records no first record).
    // Paced records travel a few per batch, which lz4 shrinks less, so the mock cluster's 5 MiB per partition holds only
    // about 20,000 enriched records of a paced run; on 24 partitions per topic the input and each output stay near 5,000
    // records per partition, so the broker holds them all too, and the recording is checked against every one of them.
    private static readonly KillNineRun CiSize = new(Events: 120_000, Rate: 1_000, Partitions: 24, MaxPause: TimeSpan.FromSeconds(4));

    [Fact]
    public Task ten_kill_9s_of_random_processes_under_load_lose_nothing_and_change_nothing() => RunAsync(CiSize);

    /// <summary>
    /// The issue's size: SLUICE_FAULT_EVENTS events (1,000,000 by `./build.sh test-faults`) at 5,000/s on 48 partitions,
    /// so each input partition receives about 100 records a second and the processors stay far inside the broker's 5 MiB
    /// per partition (it cuts the input's oldest records after they are processed and checkpointed; verify regenerates
    /// the input from the manifest). The recorder keeps the outputs whole whatever the broker still holds. Kills come after
    /// pauses of 0.5 to 14 s, so the ten of them fall while the input is still arriving.
    /// </summary>
    [FullSizeFaultFact]
    [Trait("Category", "FullSizeFaults")]
    public Task ten_kill_9s_of_random_processes_at_full_size_lose_nothing_and_change_nothing() =>
        RunAsync(new KillNineRun(FullSizeFaultFactAttribute.Events, Rate: 5_000, Partitions: 48, MaxPause: TimeSpan.FromSeconds(14)));

    private async Task RunAsync(KillNineRun run)
    {
        const int processes = 3, kills = 10, seed = 1207;

        // 1. A standalone broker with enough partitions per topic; the recorder follows every output from offset 0; three
        //    processes in one group share one checkpoint directory.
        using var broker = await BrokerProcess.StartAsync(partitions: run.Partitions);
        using var dir = new TempDirectory("sluice-kill9");
        var manifest = dir.File("truth.json");
        var recording = Path.Combine(dir.Path, "outputs");
        using var recorder = await Recordings.StartAsync(broker.BootstrapServers, recording);
        using var group = new ProcessorGroup(broker.BootstrapServers, "kill9", processes);
        await group.StartAllAsync();

        // 2. The producer starts, paced, with the manifest verify regenerates the input from.
        var clock = Stopwatch.StartNew();
        var produced = ProduceAsync(broker.BootstrapServers, run.Events, run.Rate, manifest);

        // 3. Ten times, after a random pause: kill -9 a random process and restart it at once; wait until the restarted
        //    process has its partitions and has processed a record (or the input has all been read), then go on.
        var random = new Random(seed);
        output.WriteLine($"seed {seed}: {kills} kills among {processes} processes, {run.Events:N0} events at {run.Rate:N0}/s on {run.Partitions} partitions");
        var recoveries = new List<(TimeSpan? KillToFirst, TimeSpan Rebalance)>();
        for (var kill = 1; kill <= kills; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, (int)run.MaxPause.TotalMilliseconds)));
            var slot = random.Next(processes);
            var killedAt = clock.Elapsed;
            var killedUtc = DateTime.UtcNow;
            var underLoad = !produced.IsCompleted;
            group[slot].KillHard();
            Assert.Equal(137, await group[slot].WaitForExitAsync(Long));
            var recovery = await group.RestartAsync(slot, produced);
            recoveries.Add((recovery.FirstRecord - killedUtc, recovery.Assigned - recovery.Connected));
            output.WriteLine($"kill {kill}: process {slot + 1} at {killedAt.TotalSeconds:0.0} s{(underLoad ? "" : " (input all produced)")}; " +
                $"restarted: {recovery}; kill -9 to first record {(recovery.FirstRecord is { } f ? Seconds(killedUtc, f) : "none")}");
        }

        // 4. Once the input is all produced and checkpointed to its end, SIGTERM every process: each exits 0. The recorder
        //    catches up with every output partition, then stops cleanly too.
        await produced;
        await group.StopAtEndAsync();
        output.WriteLine($"input produced and processed in {clock.Elapsed.TotalSeconds:0} s");
        await Recordings.CaughtUpAsync(broker.BootstrapServers, recording, recorder);
        recorder.Terminate();
        Assert.Equal(0, await recorder.WaitForExitAsync(Long));
        Assert.DoesNotContain(recorder.Lines, l => l.Contains("cannot record", StringComparison.Ordinal));

        // 5. verify the recording: nothing missing, extra or different, no conflicting duplicates; identical duplicates
        //    (replays) counted. Every kill was survived (each restarted process exited 0 at the end).
        var verify = await VerifyRecordingAsync(broker.BootstrapServers, manifest, recording);
        output.WriteLine($"{run.Events:N0} events in; {kills} kills survived; identical duplicates by id after them: {verify.Duplicates:N0}; " +
            $"missing {verify.Rows.Sum(r => r.Missing)}, different {verify.Rows.Sum(r => r.Different)}, extra {verify.Rows.Sum(r => r.Extra)}");
        var measured = recoveries.Where(r => r.KillToFirst is not null).Select(r => r.KillToFirst!.Value.TotalSeconds).Order().ToList();
        if (measured.Count > 0)
            output.WriteLine($"kill -9 to the restarted member's first record: {Range(measured)} over {measured.Count} kills; " +
                $"the group's rebalance (connected to assigned): {Range([.. recoveries.Select(r => r.Rebalance.TotalSeconds).Order()])}");
        AssertEqual(verify);
        // The user dimension and every event's final profile were checked too, against their brute-force recomputation.
        Assert.Contains(verify.Rows, r => r.Topic == "clickstream.dim_users" && r.Expected > 0);
        Assert.Contains(verify.Rows, r => r.Topic.StartsWith("profiles:", StringComparison.Ordinal) && r.Expected > 0);
    }

    private async Task<VerifyReport> VerifyRecordingAsync(string bootstrap, string manifest, string recording)
    {
        var result = await SluiceProcess.RunAsync(
            ["verify", "--bootstrap-servers", bootstrap, "--manifest", manifest, "--outputs-from", recording, "--examples", "3"], TimeSpan.FromMinutes(10));
        output.WriteLine(result.StdOut);
        var report = new VerifyReport(result);
        foreach (var row in report.Rows) output.WriteLine(row.ToString());
        return report;
    }

    private static string Range(List<double> sorted) =>
        string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]:0.0} s, median {sorted[sorted.Count / 2]:0.0} s, max {sorted[^1]:0.0} s");
}

/// <summary>The size of a kill -9 run: events, producer pace per second, partitions per topic, longest pause between kills.</summary>
internal sealed record KillNineRun(int Events, int Rate, int Partitions, TimeSpan MaxPause);
