using System.Diagnostics;
using Sluice.TestKit;
using Xunit.Abstractions;

namespace Sluice.IntegrationTests.Cli;

/// <summary>
/// The broker stops answering while <c>produce</c>, <c>process</c> and <c>demo</c> run (a <c>sluice broker</c> child frozen
/// with SIGSTOP: connections stay open and go unanswered, as in a partition): one warning within
/// <c>kafka.connectTimeout</c>, then either the broker answers again and the run finishes, or <c>kafka.unavailableDeadline</c>
/// passes and the command exits 1 with one line.
/// </summary>
public sealed class BrokerOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    // The probe waits at most a quarter of the connect timeout, twice a second; the rest is a loaded machine's margin.
    private static readonly TimeSpan WarningSlack = TimeSpan.FromSeconds(4);
    private const string Warning = "has answered for";
    private const string Back = "answer again after";

    private static string[] Timeouts(string deadline, string session = "00:00:06") =>
        ["--set", "kafka.connectTimeout=00:00:02", "--set", $"kafka.unavailableDeadline={deadline}", "--set", $"kafka.sessionTimeout={session}"];

    [Fact]
    public async Task produce_warns_once_within_the_connect_timeout_and_exits_1_with_one_line_at_the_deadline()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var produce = SluiceChild.Start(["produce", "--bootstrap-servers", broker.BootstrapServers, "--events", "1000000", "--rate", "5000", .. Timeouts("00:00:08")]);
        var down = await PauseOnceRunningAsync(broker, produce, "connected to", settle: TimeSpan.FromSeconds(2));

        await AssertGaveUpAsync(produce, broker.BootstrapServers, down);
    }

    [Fact]
    public async Task produce_goes_on_when_the_broker_answers_again_before_the_deadline()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var produce = SluiceChild.Start(["produce", "--bootstrap-servers", broker.BootstrapServers, "--events", "40000", "--rate", "5000", .. Timeouts("00:01:00")]);
        await PauseOnceRunningAsync(broker, produce, "connected to", settle: TimeSpan.FromSeconds(2));
        broker.Resume();

        await produce.WaitForLineAsync(l => l.Contains(Back, StringComparison.Ordinal), Long, "the broker answering again");
        Assert.Equal(0, await produce.WaitForExitAsync(Long));
        Assert.Contains("40,000", produce.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain(produce.Lines, l => l.StartsWith("sluice: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task process_is_not_ready_while_the_broker_is_away_and_exits_1_with_one_line_at_the_deadline()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var dir = new TempDirectory("sluice-outage");
        await ProcessCommandTests.ProduceAsync(broker.BootstrapServers);
        using var process = SluiceChild.Start(["process", "--bootstrap-servers", broker.BootstrapServers,
            "--set", $"processor.checkpoint.directory={dir.Path}", "--set", "processor.checkpointInterval=00:00:02", .. Timeouts("00:00:08")]);
        var down = await PauseOnceRunningAsync(broker, process, "Checkpoint written", settle: TimeSpan.Zero);
        Assert.Contains(process.Lines, l => l.Contains("not ready", StringComparison.Ordinal));

        await AssertGaveUpAsync(process, broker.BootstrapServers, down);
    }

    [Fact]
    public async Task demo_waits_for_a_broker_that_answers_again_and_its_outputs_still_match_the_ground_truth()
    {
        using var broker = await BrokerProcess.StartAsync();
        using var demo = SluiceChild.Start(["demo", "--bootstrap-servers", broker.BootstrapServers, "--events", "30000", "--rate", "2500", "--no-live",
            // A session longer than the outage: a member dropped by the group would hand its partitions over and replay
            // from its checkpoint, and the demo's tally, which counts records, would see the replay's duplicates.
            .. Timeouts("00:01:00", session: "00:00:30")]);
        await PauseOnceRunningAsync(broker, demo, "First record processed", settle: TimeSpan.FromSeconds(2));
        await Task.Delay(TimeSpan.FromSeconds(3));
        broker.Resume();

        await demo.WaitForLineAsync(l => l.Contains(Back, StringComparison.Ordinal), Long, "the broker answering again");
        Assert.Equal(0, await demo.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("every output matches the ground truth", demo.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_broker_frozen_and_continued_hundreds_of_times_still_answers()
    {
        // The mock cluster's thread gave up for good when a signal interrupted its poll(); SIGCONT, handled by the .NET
        // runtime, reached it about once in a hundred continues.
        using var broker = await BrokerProcess.StartAsync();
        for (var i = 0; i < 300; i++)
        {
            broker.Pause();
            await Task.Delay(TimeSpan.FromMilliseconds(10));
            broker.Resume();
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }

        using var produce = SluiceChild.Start(["produce", "--bootstrap-servers", broker.BootstrapServers, "--events", "100", "--set", "kafka.connectTimeout=00:00:10"]);
        Assert.Equal(0, await produce.WaitForExitAsync(Long));
        Assert.Contains("100", produce.StdOut, StringComparison.Ordinal);
    }

    // Once `child` has logged `running` (and `settle` later), the broker stops answering; the one warning must follow
    // within the connect timeout. Returns the time since the broker stopped.
    private async Task<Stopwatch> PauseOnceRunningAsync(BrokerProcess broker, SluiceChild child, string running, TimeSpan settle)
    {
        await child.WaitForLineAsync(l => l.Contains(running, StringComparison.Ordinal), Long, running);
        await Task.Delay(settle);
        var down = Stopwatch.StartNew();
        broker.Pause();
        await AssertWarnedInTimeAsync(child, broker.BootstrapServers, down);
        return down;
    }

    private async Task AssertWarnedInTimeAsync(SluiceChild child, string bootstrap, Stopwatch down)
    {
        var warning = await child.WaitForLineAsync(l => l.Contains(Warning, StringComparison.Ordinal), Long, "the unreachable warning");
        var after = down.Elapsed;
        output.WriteLine($"{after.TotalSeconds:0.0} s after the broker stopped answering: {warning}");
        Assert.Contains(bootstrap, warning, StringComparison.Ordinal);
        Assert.True(after <= ConnectTimeout + WarningSlack, $"the warning came {after.TotalSeconds:0.0} s after the broker stopped answering");
        Assert.Single(child.Lines, l => l.Contains(Warning, StringComparison.Ordinal));
    }

    // Past the deadline: exit 1 with one line naming the servers and the key, no stack trace.
    private async Task AssertGaveUpAsync(SluiceChild child, string bootstrap, Stopwatch down)
    {
        Assert.Equal(1, await child.WaitForExitAsync(Long));
        output.WriteLine($"exited {down.Elapsed.TotalSeconds:0.0} s after the broker stopped answering");
        var error = Assert.Single(child.Lines, l => l.StartsWith("sluice: ", StringComparison.Ordinal));
        Assert.Contains($"no Kafka broker at {bootstrap} has answered", error, StringComparison.Ordinal);
        Assert.Contains("kafka.unavailableDeadline", error, StringComparison.Ordinal);
        Assert.DoesNotContain(child.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }
}
