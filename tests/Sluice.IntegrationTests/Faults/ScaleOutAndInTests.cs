using Sluice.IntegrationTests.Cli;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Faults;

/// <summary>One <c>sluice process</c> scaled to three and back to one mid-run, against one uninterrupted process over the same input.</summary>
public sealed class ScaleOutAndInTests(ITestOutputHelper output)
{
    // 50,000 events at 1,000/s: the two scale steps (each a rebalance of about the session timeout) happen while input
    // arrives. Six partitions hold it whole.
    private const int Events = 50_000;
    private const int Rate = 1_000;

    [Fact]
    public async Task scaling_from_one_process_to_three_and_back_gives_the_results_of_one_uninterrupted_process()
    {
        // 1. Two brokers that get the same paced input: one for an uninterrupted process, one for the group that scales.
        using var pair = await ReferenceAndFaulted.StartAsync();
        using var manifestDir = new Sluice.TestKit.TempDirectory("sluice-scale");
        var manifest = manifestDir.File("truth.json");
        using var reference = Sluice.TestKit.SluiceChild.Start(ProcessArgs(pair.Reference.BootstrapServers, "reference", pair.ReferenceDir.Path));
        using var group = new ProcessorGroup(pair.Faulted.BootstrapServers, "scale", 3);
        group.Start(0);
        await group.AssignedAsync(0);
        await reference.WaitForLineAsync(l => Has(l, "was assigned clickstream"), Long, "the reference's assignment");
        var produced = Task.WhenAll(
            ProduceAsync(pair.Reference.BootstrapServers, Events, Rate),
            ProduceAsync(pair.Faulted.BootstrapServers, Events, Rate, manifest));

        // 2. Out to three: two more processes join once the first has checkpointed; each restores what it is given.
        await group[0].WaitForLineAsync(l => Has(l, "Checkpoint written"), Long, "a checkpoint");
        group.Start(1);
        group.Start(2);
        foreach (var slot in new[] { 1, 2 })
        {
            await group.AssignedAsync(slot);
            await group[slot].WaitForLineAsync(l => Has(l, "Checkpoint written"), Long, "a checkpoint of a new process");
        }
        Assert.Contains(group[0].Lines, l => Has(l, "hands back clickstream"));
        output.WriteLine($"out to three: {group[1].Lines.Count(l => Has(l, "Restored task-"))} and {group[2].Lines.Count(l => Has(l, "Restored task-"))} tasks restored by the new processes");

        // 3. Back to one: the two new processes stop with SIGTERM; the first takes their partitions back from their checkpoints.
        var assignments = group[0].Lines.Count(l => Has(l, "was assigned clickstream"));
        group[1].Terminate();
        group[2].Terminate();
        foreach (var slot in new[] { 1, 2 }) Assert.Equal(0, await group[slot].WaitForExitAsync(Long));
        await group.AssignedAsync(0, skip: assignments);
        output.WriteLine($"back to one{(produced.IsCompleted ? " (input all produced)" : "")}");

        // 4. Both runs read to the end and stop cleanly.
        await produced;
        await Task.WhenAll(
            group.CheckpointedToEndAsync(),
            WaitForCheckpointsAtEndAsync(pair.Reference.BootstrapServers, pair.ReferenceDir.Path, "reference", reference));
        await group.TerminateAllAsync();
        await TerminateAsync(reference);
        output.WriteLine($"the first process restored {group[0].Lines.Count(l => Has(l, "Restored task-"))} tasks handed back by the other two");

        // 5. verify equal with no duplicates, and every output, pending windows included, equal to the uninterrupted run's.
        var verify = await VerifyAsync(pair.Faulted.BootstrapServers, manifest, output);
        AssertEqual(verify);
        Assert.Equal(0, verify.Duplicates);
        AssertSameOutputs(pair.Reference.BootstrapServers, pair.Faulted.BootstrapServers, output);
    }
}
