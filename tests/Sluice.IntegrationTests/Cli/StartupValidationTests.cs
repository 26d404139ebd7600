using System.Net;
using System.Net.Sockets;
using Sluice.TestKit;
using static Sluice.IntegrationTests.Cli.CliErrorTests;

namespace Sluice.IntegrationTests.Cli;

/// <summary>
/// A bad <c>processor.*</c> value stops <c>demo</c> and <c>process</c> before anything starts: exit 1 and one line naming the
/// key, with no broker started or contacted and no checkpoint directory created.
/// </summary>
public sealed class StartupValidationTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("processor.domain=/nonexistent/shop.yaml", "processor.domain", "does not exist")]
    [InlineData("processor.sessionGap=-00:01:00", "processor.sessionGap", "must be positive")]
    [InlineData("processor.topProducts=0", "processor.topProducts", "at least 1")]
    public async Task a_bad_processor_value_stops_demo_with_one_line_naming_the_key_before_its_broker_starts(string set, string key, string problem)
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", "100", "--no-live", "--set", set], Quick);

        // One line on stderr: the embedded broker, which logs its address when it starts, never did.
        AssertOneLineError(r, 1, $"'{key}'", problem);
        Assert.Empty(r.StdOut);
    }

    [Fact]
    public async Task a_bad_processor_value_stops_demo_before_it_contacts_the_cluster()
    {
        using var cluster = new SilentCluster();

        var r = await SluiceProcess.RunAsync(
            ["demo", "--events", "100", "--no-live", "--bootstrap-servers", cluster.BootstrapServers, "--set", "processor.dedupMaxEntries=0",
             "--set", "kafka.connectTimeout=00:00:02"], Quick);

        AssertOneLineError(r, 1, "'processor.dedupMaxEntries'", "at least 1");
        Assert.False(cluster.WasContacted, "the demo connected to the cluster before checking its options");
    }

    [Fact]
    public async Task a_bad_processor_value_stops_process_before_it_contacts_the_cluster_or_creates_its_checkpoint_directory()
    {
        using var cluster = new SilentCluster();
        using var dir = new TempDirectory("sluice-validate");
        var checkpoints = Path.Combine(dir.Path, "checkpoints");

        var r = await SluiceProcess.RunAsync(
            ["process", "--bootstrap-servers", cluster.BootstrapServers, "--set", $"processor.checkpoint.directory={checkpoints}",
             "--set", $"processor.domain={Path.Combine(dir.Path, "missing.yaml")}", "--set", "kafka.connectTimeout=00:00:02"], Quick);

        AssertOneLineError(r, 1, "'processor.domain'", "does not exist");
        Assert.False(cluster.WasContacted, "process connected to the cluster before checking its options");
        Assert.False(Directory.Exists(checkpoints), "process created its checkpoint directory before checking its options");
    }

    /// <summary>A TCP port on 127.0.0.1 that accepts connections and answers nothing: it only tells whether anyone connected.</summary>
    private sealed class SilentCluster : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public SilentCluster() => _listener.Start();

        public string BootstrapServers => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public bool WasContacted => _listener.Pending();

        public void Dispose() => _listener.Stop();
    }
}
