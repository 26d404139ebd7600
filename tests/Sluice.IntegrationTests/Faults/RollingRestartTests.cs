using System.Diagnostics;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>Three <c>sluice process</c> processes under paced load, each stopped with SIGTERM and restarted in turn; then <c>sluice verify</c>.</summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    // 60,000 events at 1,000/s: input still arrives while the three restarts (a leave and a join each, two rebalances)
    // take their turns. Six partitions hold it whole.
    private const int Events = 60_000;
    private const int Rate = 1_000;
    private const int Processes = 3;

    [Fact]
    public async Task a_rolling_restart_with_sigterm_loses_nothing_and_writes_nothing_twice()
    {
        // 1. A standalone broker and three processes in one group sharing one checkpoint directory.
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-rolling");
        var manifest = dir.File("truth.json");
        using var group = new ProcessorGroup(broker.BootstrapServers, "rolling", Processes);
        await group.StartAllAsync();

        // 2. The producer starts, paced.
        var clock = Stopwatch.StartNew();
        var produced = ProduceAsync(broker.BootstrapServers, Events, Rate, manifest);

        // 3. Each process in turn: SIGTERM (it checkpoints, commits, leaves the group and exits 0), then a new one in its
        //    place, which restores the checkpoints of the partitions it is given.
        for (var slot = 0; slot < Processes; slot++)
        {
            await group[slot].WaitForLineAsync(l => Has(l, "Checkpoint written"), Long, "a checkpoint");
            var stoppedAt = clock.Elapsed;
            await TerminateAsync(group[slot]);
            Assert.Contains(group[slot].Lines, l => Has(l, "left the group"));
            var recovery = await group.RestartAsync(slot, produced);
            output.WriteLine($"process {slot + 1} stopped at {stoppedAt.TotalSeconds:0.0} s{(produced.IsCompleted ? " (input all produced)" : "")}; restarted: {recovery}");
        }

        // 4. Once the input is all produced and checkpointed to its end, SIGTERM every process.
        await produced;
        await group.StopAtEndAsync();

        // 5. verify: equal, and not one record twice: a clean stop hands over state and offsets that agree.
        var verify = await VerifyAsync(broker.BootstrapServers, manifest, output);
        AssertEqual(verify);
        Assert.Equal(0, verify.Duplicates);
    }
}
