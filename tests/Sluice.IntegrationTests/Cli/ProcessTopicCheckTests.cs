using Sluice.Core.Configuration;
using Sluice.Pipelines.Hosting;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice process</c> checks the user-changes topic before it joins the group: it must be partitioned as the events.</summary>
public sealed class ProcessTopicCheckTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task user_changes_partitioned_unlike_the_events_stop_the_processor_with_one_line_naming_the_key()
    {
        var options = new SluiceOptions();
        foreach (var topic in PipelineTopics.All(options))
            broker.Broker.CreateTopic(topic, topic == options.Kafka.Topics.CdcUsers ? 2 : 6);
        using var dir = new TempDirectory("sluice-topic-check");

        var result = await SluiceProcess.RunAsync(["process", "--bootstrap-servers", broker.Broker.BootstrapServers,
            "--set", $"processor.checkpoint.directory={dir.Path}"], TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("kafka.topics.cdcUsers", result.StdErr);
        Assert.Contains("clickstream.cdc.users has 2 partitions and clickstream.events has 6", result.StdErr);
        Assert.Contains("processor.userDimension: false", result.StdErr);
    }
}
