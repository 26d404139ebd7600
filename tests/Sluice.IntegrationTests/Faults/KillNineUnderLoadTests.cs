using System.Diagnostics;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>Three <c>sluice process</c> processes under paced load, one of them killed with SIGKILL ten times; then <c>sluice verify</c>.</summary>
public sealed class KillNineUnderLoadTests(ITestOutputHelper output)
{
    // 120,000 events at 1,000/s arrive over 120 s, about as long as ten kill-and-recover rounds take (6 to 16 s each: the
    // dead member's 6 s session, then the rebalance; a round after the input has all arrived records no first record).
    // Paced records travel a few per batch, which lz4 shrinks less, so the mock cluster's 5 MiB per partition holds only
    // about 20,000 enriched records of a paced run (a 240,000-event run on 12 partitions, about 21,000 per partition with
    // its replays, lost the first 866 of enriched[2]); on 24 partitions per topic the input and each output stay near
    // 5,000 records per partition, and verify reads them all from the broker.
    private const int Events = 120_000;
    private const int Rate = 1_000;
    private const int Partitions = 24;
    private const int Processes = 3;
    private const int Kills = 10;
    private const int Seed = 1207;

    [Fact]
    public async Task ten_kill_9s_of_random_processes_under_load_lose_nothing_and_change_nothing()
    {
        // 1. A standalone broker with 24 partitions per topic, and three processes in one group sharing one checkpoint directory.
        using var broker = await BrokerProcess.StartAsync(partitions: Partitions);
        using var dir = new TempDirectory("sluice-kill9");
        var manifest = dir.File("truth.json");
        using var group = new ProcessorGroup(broker.BootstrapServers, "kill9", Processes);
        await group.StartAllAsync();

        // 2. The producer starts, paced, with the manifest verify can regenerate the input from.
        var clock = Stopwatch.StartNew();
        var produced = ProduceAsync(broker.BootstrapServers, Events, Rate, manifest);

        // 3. Ten times, after a random pause: kill -9 a random process and restart it at once; wait until the restarted
        //    process has its partitions and has processed a record (or the input has all been read), then go on.
        var random = new Random(Seed);
        output.WriteLine($"seed {Seed}: {Kills} kills among {Processes} processes, {Events:N0} events at {Rate:N0}/s on {Partitions} partitions");
        for (var kill = 1; kill <= Kills; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 4_000)));
            var slot = random.Next(Processes);
            var killedAt = clock.Elapsed;
            var underLoad = !produced.IsCompleted;
            group[slot].KillHard();
            Assert.Equal(137, await group[slot].WaitForExitAsync(Long));
            var recovery = await group.RestartAsync(slot, produced);
            output.WriteLine($"kill {kill}: process {slot + 1} at {killedAt.TotalSeconds:0.0} s{(underLoad ? "" : " (input all produced)")}; restarted: {recovery}");
        }

        // 4. Once the input is all produced and checkpointed to its end, SIGTERM every process: each exits 0.
        await produced;
        await group.StopAtEndAsync();
        output.WriteLine($"input produced and processed in {clock.Elapsed.TotalSeconds:0} s");

        // 5. verify: nothing missing, extra or different, no conflicting duplicates; identical duplicates (replays) counted.
        var verify = await VerifyAsync(broker.BootstrapServers, manifest, output);
        output.WriteLine($"identical duplicates after {Kills} kills: {verify.Duplicates:N0}");
        AssertEqual(verify);
    }
}
