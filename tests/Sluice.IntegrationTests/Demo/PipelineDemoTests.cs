using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Pipelines.Demo;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Demo;

public sealed class PipelineDemoTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task two_processor_members_produce_outputs_that_match_the_generators_ground_truth()
    {
        // 1. Every pipeline topic with six partitions, on a broker of this test class's own.
        var options = new SluiceOptions();
        foreach (var topic in PipelineDemo.Topics(options)) fixture.Broker.CreateTopic(topic, options.Kafka.Partitions);

        // 2. Run 20,000 click events through two members of one consumer group.
        var demo = new PipelineDemo(options, fixture.Factory, new PipelineDemoSettings { Events = 20_000, Processors = 2 }, NullLoggerFactory.Instance);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await demo.RunAsync(timeout.Token);
        Assert.False(timeout.IsCancellationRequested, "the demo did not finish within 3 minutes");

        // 3. Every output agrees with what the generator says it sent.
        var s = demo.Snapshot();
        var truth = Assert.IsType<GroundTruth>(s.Truth);
        var o = s.Outputs;
        Assert.Equal(20_000, truth.Records);
        Assert.Equal(truth.Records, s.Processed);
        Assert.Equal(truth.Valid, o.Enriched);
        Assert.Equal(truth.Malformed, o.DeadLettered);
        Assert.Equal(truth.Late, o.Late);
        Assert.Equal(truth.Bots, o.Bots);
        Assert.Equal(truth.Duplicates, s.Processed - o.Enriched - o.DeadLettered - o.Late - o.Bots);
        Assert.True(truth.Malformed > 0 && truth.Late > 0 && truth.Bots > 0 && truth.Duplicates > 0, "every fault kind should occur in 20,000 events");
        Assert.Equal(truth.Windows.Keys.Order(), o.EventsPerMinute.Keys.Order());
        foreach (var (start, expected) in truth.Windows) Assert.Equal(expected, o.EventsPerMinute[start]);
    }
}
