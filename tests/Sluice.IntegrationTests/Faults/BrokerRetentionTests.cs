using System.Text.RegularExpressions;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>The embedded broker forgets: input deleted past a stopped processor's checkpoint is reported loudly, counted, and the run is never reported exact.</summary>
public sealed partial class BrokerRetentionTests(ITestOutputHelper output)
{
    // Two partitions per topic, so the mock cluster's cap (5 MiB per partition, about 38,000 unpaced input records) is
    // passed with little input: 10,000 events read and checkpointed, then 100,000 more (about 50,000 per partition)
    // while the processor is stopped.
    private const int Partitions = 2;

    [Fact]
    public async Task input_deleted_past_a_checkpoint_is_reported_per_partition_and_the_run_is_not_exact()
    {
        // 1. A broker with two partitions per topic; a processor reads 10,000 events, checkpoints them all and stops.
        using var broker = await BrokerProcess.StartAsync(partitions: Partitions);
        using var dir = new TempDirectory("sluice-retention");
        var args = ProcessArgs(broker.BootstrapServers, "retention", dir.Path);
        await ProduceAsync(broker.BootstrapServers, 10_000, seed: 1);
        await RunThenTerminateAsync(args, broker.BootstrapServers, dir.Path, "retention", toEnd: true);
        var checkpointed = LatestOffsets(dir.Path, "retention", Partitions);

        // 2. While it is stopped, 100,000 more events: the broker deletes the oldest records of each input partition,
        //    the checkpointed offsets among them.
        await ProduceAsync(broker.BootstrapServers, 100_000, seed: 2);
        var logs = Logs(broker.BootstrapServers);
        foreach (var log in logs)
        {
            output.WriteLine($"{Topic}[{log.Partition}]: checkpointed at {checkpointed[log.Partition]:N0}, log now {log.LogStart:N0} to {log.LogEnd:N0}");
            Assert.True(log.LogStart > checkpointed[log.Partition], $"{Topic}[{log.Partition}] still starts at {log.LogStart}: nothing was deleted past the checkpoint");
        }

        // 3. The restart restores each task and says, for each partition, where it should have resumed, where the log
        //    starts now and how many records were deleted unread; then it reads on from the log start.
        using (var restarted = SluiceChild.Start(args))
        {
            foreach (var log in logs)
            {
                var lost = log.LogStart - checkpointed[log.Partition];
                var line = await restarted.WaitForLineAsync(l => Has(l, $"Input lost on {Topic}[{log.Partition}]:"), Long, $"the lost-input error of partition {log.Partition}");
                output.WriteLine(line);
                Assert.Contains("fail:", line, StringComparison.Ordinal);
                Assert.Contains($"reading should resume at offset {checkpointed[log.Partition]} but the broker's log starts at {log.LogStart}; {lost} records were deleted unread", line, StringComparison.Ordinal);
            }

            // 4. Stopped once it has read what is left: exit 0, but the summary says the run is not exact, and by how much.
            await WaitForCheckpointsAtEndAsync(broker.BootstrapServers, dir.Path, "retention", restarted);
            await TerminateAsync(restarted);
            var total = logs.Sum(l => l.LogStart - checkpointed[l.Partition]);
            var summary = Assert.Single(restarted.Lines, l => Has(l, "process: not exact"));
            output.WriteLine(summary);
            Assert.Contains($"the broker deleted {total} input records before they were read", summary, StringComparison.Ordinal);
            foreach (var log in logs) Assert.Contains($"{Topic}[{log.Partition}]: {log.LogStart - checkpointed[log.Partition]}", summary, StringComparison.Ordinal);
        }

        // 5. verify does not call such a run equal: it cannot read the whole input and says which partition.
        var verify = await VerifyAsync(broker.BootstrapServers, manifest: null, output);
        Assert.Equal(1, verify.Result.ExitCode);
        output.WriteLine(verify.Result.StdErr);
        Assert.Matches(CutInput(), verify.Result.StdErr);
    }

    [GeneratedRegex(@"cannot verify: clickstream\.events\[\d\] starts at offset [1-9][\d,]*")]
    private static partial Regex CutInput();
}
