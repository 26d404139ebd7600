using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Streaming.Checkpoints;
using Sluice.Streaming.Processing;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;
using KafkaTopicPartition = Confluent.Kafka.TopicPartition;

namespace Sluice.IntegrationTests.Cli;

/// <summary>A standalone embedded broker (<c>sluice broker</c>) holding one generated input, shared by the tests of a class.</summary>
public sealed class ProcessInputFixture : IAsyncLifetime
{
    public const int Events = 15_000;

    public BrokerProcess Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = await BrokerProcess.StartAsync();
        await ProcessCommandTests.ProduceAsync(Broker.BootstrapServers);
    }

    public Task DisposeAsync()
    {
        Broker.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary><c>sluice process</c> as a real child process against a standalone embedded broker: stop, restart, kill -9, bad set-ups.</summary>
public sealed class ProcessCommandTests(ProcessInputFixture input, ITestOutputHelper output) : IClassFixture<ProcessInputFixture>
{
    private const int Partitions = 6;
    private const int Rate = 2_500;

    internal static Task ProduceAsync(string bootstrap, int rate = 0) => ProcessorRuns.ProduceAsync(bootstrap, ProcessInputFixture.Events, rate);

    [Fact]
    public async Task sigterm_stops_cleanly_with_a_checkpoint_and_a_restart_restores_every_task_at_its_offsets()
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var group = $"process-{Guid.NewGuid():N}";
        var args = ProcessArgs(input.Broker.BootstrapServers, group, dir.Path);

        // 1. The processor reads the whole input; its checkpoints reach the end of every partition.
        // 2. SIGTERM: exit 0 after leaving the group.
        var lines = await RunThenTerminateAsync(args, input.Broker.BootstrapServers, dir.Path, group, toEnd: true);
        Assert.Contains(lines, l => l.Contains("left the group", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("fail:", StringComparison.Ordinal));
        var saved = LatestOffsets(dir.Path, group, Partitions);
        Assert.Equal(Partitions, saved.Count);

        // 3. Restarted, every task restores its checkpoint and reads on from the checkpoint's offset.
        using var second = SluiceChild.Start(args);
        for (var i = 0; i < Partitions; i++)
            await second.WaitForLineAsync(l => l.Contains("Restored task-", StringComparison.Ordinal), Long, $"restore {i + 1} of {Partitions}", skip: i);
        foreach (var (partition, offset) in saved)
            Assert.Contains(second.Lines, l => l.Contains($"Restored task-{partition} ", StringComparison.Ordinal) &&
                                              l.Contains($" {Topic}[{partition}]@{offset};", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Lines, l => l.Contains("No checkpoint", StringComparison.Ordinal));

        // 4. Nothing new to read: it stops cleanly again.
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Long));
    }

    [Theory]
    [InlineData("corrupt", "is corrupt (CRC mismatch); ")]
    [InlineData("newer", "has format version 2, written by a newer Sluice; this one reads up to version 1")]
    public async Task a_corrupt_or_newer_format_checkpoint_stops_the_processor_with_one_line_naming_the_file_and_emits_nothing(string damage, string expected)
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var group = $"{damage}-{Guid.NewGuid():N}";
        var args = ProcessArgs(input.Broker.BootstrapServers, group, dir.Path);

        // 1. A run that leaves checkpoints behind, stopped before the end of the input, so a restart would have work to do.
        await RunThenTerminateAsync(args, input.Broker.BootstrapServers, dir.Path, group, toEnd: false);

        // 2. Task-0's latest checkpoint is damaged: one byte flipped, or rewritten whole (valid CRC) as a newer format version.
        var store = new DirectoryCheckpointStore(dir.Path);
        var key = new CheckpointKey(group, "clickstream", new TaskId(0));
        var file = Path.Combine(store.TaskDirectory(key), $"{store.Sequences(key)[^1]:D6}.ckpt");
        var bytes = await File.ReadAllBytesAsync(file);
        if (damage == "corrupt")
        {
            bytes[bytes.Length / 2] ^= 0xFF;
        }
        else
        {
            using var current = CheckpointFormat.Read(new MemoryStream(bytes), file, "");
            using var rewritten = new MemoryStream();
            CheckpointFormat.Write(rewritten, key, current.Sequence, current.CreatedAt, current.Offsets, current.State, version: CheckpointFormat.Version + 1);
            bytes = rewritten.ToArray();
        }
        await File.WriteAllBytesAsync(file, bytes);
        var outputsBefore = OutputEnds(input.Broker.BootstrapServers);

        // 3. The restart refuses it: exit 1, one line naming the file and what to do, no stack trace.
        using var second = SluiceChild.Start(args);
        Assert.Equal(1, await second.WaitForExitAsync(Long));
        var errors = second.Lines.Where(l => l.StartsWith("sluice: ", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        output.WriteLine(error);
        Assert.Contains($"checkpoint {file} {expected}", error, StringComparison.Ordinal);
        Assert.Contains("to start from the committed offsets with empty state", error, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));

        // 4. Nothing was emitted: no output topic grew, and the refused checkpoint is still the latest (not overwritten).
        Assert.Equal(outputsBefore, OutputEnds(input.Broker.BootstrapServers));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
    }

    private static Dictionary<string, long> OutputEnds(string bootstrap) =>
        new[] { "clickstream.enriched", "clickstream.dlq", "clickstream.late", "clickstream.bots", "clickstream.aggregated", "clickstream.sessions" }
            .ToDictionary(t => t, t => EndOffsets(bootstrap, t).Values.Sum());

    [Fact]
    public async Task a_missing_broker_is_one_line_and_exit_1()
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var result = await SluiceProcess.RunAsync(
            [.. ProcessArgs("127.0.0.1:1", "g", dir.Path), "--set", "kafka.connectTimeout=00:00:03"], Long);
        AssertOneLineError(result, "no Kafka broker answered at 127.0.0.1:1");
    }

    [Theory]
    [InlineData("kafka.topics.events=no.such.topic", "topic no.such.topic does not exist")]
    [InlineData("schemaRegistry.url=http://127.0.0.1:1", "no schema registry answered at http://127.0.0.1:1")]
    public async Task a_missing_topic_or_registry_is_one_line_and_exit_1(string setting, string expected)
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var result = await SluiceProcess.RunAsync([.. ProcessArgs(input.Broker.BootstrapServers, "g", dir.Path), "--set", setting], Long);
        AssertOneLineError(result, expected);
    }

    [Fact]
    public async Task no_bootstrap_servers_is_one_line_and_exit_1()
    {
        var result = await SluiceProcess.RunAsync(["process"], Long);
        AssertOneLineError(result, "process needs a Kafka cluster");
    }

    [Theory]
    [InlineData("at_least_once")]
    [InlineData("exactly_once")]
    public async Task after_kill_9_the_restarted_processor_restores_and_its_outputs_equal_an_uninterrupted_run(string guarantee)
    {
        // 1. Two brokers that get the same generated input (same seed and options), paced at 2,500 events/s so that it
        //    arrives while the processors run: one broker for an uninterrupted run, one for the crash.
        using var pair = await ReferenceAndFaulted.StartAsync();
        var (reference, crashed, referenceDir, crashDir) = (pair.Reference, pair.Faulted, pair.ReferenceDir, pair.FaultedDir);
        var args = ProcessArgs(crashed.BootstrapServers, "crash", crashDir.Path, guarantee: guarantee);
        var killedAt = new Stopwatch();
        using (var run = SluiceChild.Start(args))
        {
            await run.WaitForLineAsync(l => l.Contains("was assigned clickstream", StringComparison.Ordinal), Long, "an assignment");
            var produced = Task.WhenAll(ProduceAsync(reference.BootstrapServers, Rate), ProduceAsync(crashed.BootstrapServers, Rate));

            // 2. The crash run is killed with SIGKILL between its second and third checkpoints, while input is still
            //    arriving: what it wrote after the second is written again after the restart.
            await run.WaitForLineAsync(l => l.Contains("Checkpoint written", StringComparison.Ordinal), Long, "a second checkpoint", skip: 1);
            await Task.Delay(TimeSpan.FromSeconds(1));
            run.KillHard();
            killedAt.Start();
            Assert.Equal(137, await run.WaitForExitAsync(Long));
            await produced;
        }
        var atKill = LatestOffsets(crashDir.Path, "crash", Partitions);
        var ends = EndOffsets(crashed.BootstrapServers);
        output.WriteLine($"checkpointed at kill: {string.Join(", ", atKill.OrderBy(k => k.Key).Select(k => $"{k.Key}@{k.Value}"))} of {string.Join(", ", ends.OrderBy(k => k.Key).Select(k => $"{k.Key}@{k.Value}"))}");
        Assert.True(atKill.Sum(k => k.Value) < ends.Sum(k => k.Value), "the kill came after the whole input was checkpointed: not mid-run");

        // 3. The uninterrupted run reads everything, then stops cleanly.
        await RunThenTerminateAsync(ProcessArgs(reference.BootstrapServers, "reference", referenceDir.Path), reference.BootstrapServers,
            referenceDir.Path, "reference", toEnd: true);

        // 4. The restart joins (waiting out the dead member's session), restores every task and finishes the input.
        var restartedAt = killedAt.Elapsed;
        using (var restarted = SluiceChild.Start(args))
        {
            await restarted.WaitForLineAsync(l => l.Contains("connected to", StringComparison.Ordinal), Long, "a connection");
            var joining = killedAt.Elapsed;
            await restarted.WaitForLineAsync(l => l.Contains("was assigned clickstream", StringComparison.Ordinal), Long, "an assignment");
            var assigned = killedAt.Elapsed;
            await restarted.WaitForLineAsync(l => l.Contains("First record processed", StringComparison.Ordinal), Long, "a first record");
            var firstRecord = killedAt.Elapsed;
            output.WriteLine($"after kill -9: restart at {restartedAt.TotalSeconds:0.0} s (the producer was still finishing), broker checks done at " +
                             $"{joining.TotalSeconds:0.0} s, partitions assigned (restored) at {assigned.TotalSeconds:0.0} s, first record processed at " +
                             $"{firstRecord.TotalSeconds:0.0} s; the group's rebalance: {(assigned - joining).TotalSeconds:0.0} s");
            Assert.Equal(atKill.Count, restarted.Lines.Count(l => l.Contains("Restored task-", StringComparison.Ordinal)));
            await WaitForCheckpointsAtEndAsync(crashed.BootstrapServers, crashDir.Path, "crash", restarted);
            restarted.Terminate();
            Assert.Equal(0, await restarted.WaitForExitAsync(Long));
            if (guarantee == "exactly_once")
            {
                // The restarted member's producer fenced the killed one's (same transactional.id), wrote in transactions,
                // and the group's committed offsets reached the end of the input with the last of them.
                var stopped = Assert.Single(restarted.Lines, l => l.Contains("committed transactions", StringComparison.Ordinal));
                output.WriteLine(stopped);
                Assert.DoesNotContain(" 0 committed transactions", stopped, StringComparison.Ordinal);
                Assert.Equal(ends, CommittedOffsets(crashed.BootstrapServers, "crash"));
            }
        }

        // 5. Every window aggregate's final value and every session equal the uninterrupted run's; duplicates by stable id are allowed and counted.
        AssertSameOutputs(reference.BootstrapServers, crashed.BootstrapServers, output);
    }

    [Fact]
    public async Task partitions_moving_between_two_processes_and_a_kill_9_of_one_lose_no_results()
    {
        // 1. Two brokers that get the same paced input: one for an uninterrupted run, one for two processes sharing
        //    one checkpoint directory.
        using var pair = await ReferenceAndFaulted.StartAsync();
        var (reference, shared, referenceDir, sharedDir) = (pair.Reference, pair.Faulted, pair.ReferenceDir, pair.FaultedDir);
        var args = ProcessArgs(shared.BootstrapServers, "pair", sharedDir.Path);
        using var first = SluiceChild.Start(args);
        await first.WaitForLineAsync(l => l.Contains("was assigned clickstream", StringComparison.Ordinal), Long, "the first process's assignment");
        var produced = Task.WhenAll(ProduceAsync(reference.BootstrapServers, Rate), ProduceAsync(shared.BootstrapServers, Rate));

        // 2. A second process joins while input arrives: the first checkpoints the partitions it hands back, the
        //    second restores them.
        await first.WaitForLineAsync(l => l.Contains("Checkpoint written", StringComparison.Ordinal), Long, "a first checkpoint");
        using var second = SluiceChild.Start(args);
        await first.WaitForLineAsync(l => l.Contains("hands back clickstream", StringComparison.Ordinal), Long, "a revocation in the first process");
        await second.WaitForLineAsync(l => l.Contains("Restored task-", StringComparison.Ordinal), Long, "a restore in the second process");

        // 3. The first is killed with SIGKILL; the second takes its partitions back from their checkpoints.
        await first.WaitForLineAsync(l => l.Contains("Checkpoint written", StringComparison.Ordinal), Long, "a checkpoint after the rebalance", skip: 1);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var restoresBefore = second.Lines.Count(l => l.Contains("Restored task-", StringComparison.Ordinal));
        first.KillHard();
        Assert.Equal(137, await first.WaitForExitAsync(Long));
        await second.WaitForLineAsync(l => l.Contains("Restored task-", StringComparison.Ordinal), Long, "a restore after the kill", skip: restoresBefore);
        await produced;
        await WaitForCheckpointsAtEndAsync(shared.BootstrapServers, sharedDir.Path, "pair", second);
        second.Terminate();
        Assert.Equal(0, await second.WaitForExitAsync(Long));
        output.WriteLine($"restores in the second process: {second.Lines.Count(l => l.Contains("Restored task-", StringComparison.Ordinal))}");

        // 4. The same results as one uninterrupted process.
        await RunThenTerminateAsync(ProcessArgs(reference.BootstrapServers, "reference", referenceDir.Path), reference.BootstrapServers,
            referenceDir.Path, "reference", toEnd: true);
        AssertSameOutputs(reference.BootstrapServers, shared.BootstrapServers, output);
    }

    private static void AssertOneLineError(ProcessResult result, string expected)
    {
        Assert.Equal(1, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("sluice: ", StringComparison.Ordinal));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    private static Dictionary<int, long> CommittedOffsets(string bootstrap, string group)
    {
        using var consumer = Factory(bootstrap).CreateConsumer(group);
        return consumer.Committed(Enumerable.Range(0, Partitions).Select(p => new KafkaTopicPartition(Topic, p)), TimeSpan.FromSeconds(30))
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }
}
