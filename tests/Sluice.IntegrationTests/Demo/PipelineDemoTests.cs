using Microsoft.Extensions.Logging.Abstractions;
using Sluice.App.Demo;
using Sluice.Core.Configuration;
using Sluice.Generate.Writers;
using Sluice.Schemas.Avro;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Demo;

// One class per payload format: each gets a broker of its own, so the runs never read each other's topics.
public sealed class PipelineDemoTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task two_processor_members_produce_outputs_that_match_the_generators_ground_truth()
    {
        var demo = await PipelineDemoRun.RunAsync(fixture, PayloadFormat.Json);
        Assert.Equal(0, demo.SchemaId);
        Assert.DoesNotContain(demo.Snapshot().Outputs.DeadLettersByReason.Keys, r => r.StartsWith("avro_", StringComparison.Ordinal));
    }
}

public sealed class PipelineDemoAvroTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task avro_frames_through_the_embedded_registry_match_the_ground_truth_and_broken_frames_are_dead_lettered_with_avro_reasons()
    {
        var demo = await PipelineDemoRun.RunAsync(fixture, PayloadFormat.Avro);

        // The schema was registered over HTTP with the embedded registry, and the generator's broken frames were
        // refused by the Avro decoder with its own reason codes (the ground-truth check has already counted them).
        Assert.True(demo.SchemaId > 0, "the v3 schema should have been registered");
        Assert.Equal("127.0.0.1", demo.SchemaRegistryUrl?.Host);
        var reasons = demo.Snapshot().Outputs.DeadLettersByReason;
        Assert.Contains(AvroReasonCodes.Truncated, reasons.Keys);
        Assert.Contains(AvroReasonCodes.EnumOutOfRange, reasons.Keys);
        Assert.Contains(AvroReasonCodes.UnknownSchema, reasons.Keys);
    }
}

internal static class PipelineDemoRun
{
    /// <summary>Runs 20,000 click events through two members of one consumer group and checks every output against the ground truth.</summary>
    public static async Task<PipelineDemo> RunAsync(BrokerFixture fixture, PayloadFormat format)
    {
        // 1. Every pipeline topic with six partitions, on the test class's own broker.
        var options = new SluiceOptions();
        foreach (var topic in PipelineDemo.Topics(options)) fixture.Broker.CreateTopic(topic, options.Kafka.Partitions);

        // 2. Run 20,000 click events through two members of one consumer group.
        var settings = new PipelineDemoSettings { Events = 20_000, Processors = 2, Format = format };
        var demo = new PipelineDemo(options, fixture.Factory, settings, NullLoggerFactory.Instance);
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
        return demo;
    }
}
