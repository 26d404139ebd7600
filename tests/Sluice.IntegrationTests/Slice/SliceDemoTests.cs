using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.DeadLetters;
using Sluice.Pipelines.Slice;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Slice;

public sealed class SliceDemoTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task two_processors_account_for_every_event_and_dead_letters_are_readable_by_a_plain_consumer()
    {
        // 1. Fresh topics; 20,000 events of which about 5% are malformed on purpose.
        var options = new SluiceOptions();
        options.Kafka.Topics.Events = fixture.CreateTopic(6, "events");
        options.Kafka.Topics.Dlq = fixture.CreateTopic(6, "dlq");
        options.Processor.GroupId = $"slice-{Guid.NewGuid():N}";
        options.Generator.InvalidRate = 0.05;
        var demo = new SliceDemo(options, fixture.Factory, new SliceDemoSettings { Events = 20_000, Processors = 2 }, NullLoggerFactory.Instance);

        // 2. Run to completion.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await demo.RunAsync(timeout.Token);
        Assert.False(timeout.IsCancellationRequested, "the demo did not finish within 2 minutes");
        var s = demo.Snapshot();

        // 3. Every event is either counted or dead-lettered, and the window rows add up to the valid count.
        Assert.Equal(20_000, s.Produced);
        Assert.Equal(s.Produced, s.Consumed);
        Assert.Equal(s.Consumed, s.Valid + s.DeadLettered);
        Assert.Equal(s.ProducedInvalid, s.DeadLettered);
        Assert.InRange(s.DeadLettered, 500, 1500);
        Assert.Equal(s.Valid, s.ClosedRows.Sum(r => r.Total) + s.Late);
        Assert.Empty(s.OpenRows);

        // 4. A plain consumer reads the DLQ: JSON with a stable reason code and the original bytes,
        //    which really do fail to decode for the stated reason.
        using var consumer = fixture.Factory.CreateConsumer($"dlq-reader-{Guid.NewGuid():N}");
        consumer.Subscribe(options.Kafka.Topics.Dlq);
        var letters = new List<(DeadLetterRecord Record, Headers Headers)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (letters.Count < s.DeadLettered && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } r)
                letters.Add((DeadLetterRecord.FromJson(r.Message.Value), r.Message.Headers));
        consumer.Close();

        Assert.Equal(s.DeadLettered, letters.Count);
        var known = new[] { ReasonCodes.InvalidJson, ReasonCodes.MissingRequiredFields, ReasonCodes.UnknownEventType };
        foreach (var (letter, headers) in letters)
        {
            Assert.Contains(letter.ReasonCode, known);
            Assert.Equal(options.Kafka.Topics.Events, letter.Topic);
            Assert.InRange(letter.Partition, 0, 5);
            Assert.True(letter.Offset >= 0);
            Assert.False(ClickEventJson.TryRead(letter.OriginalPayload, out _, out var error));
            Assert.Equal(letter.ReasonCode, error.ReasonCode);
            Assert.Equal(letter.ReasonCode, System.Text.Encoding.UTF8.GetString(headers.GetLastBytes(DeadLetterRecord.Headers.ReasonCode)));
        }
        Assert.Equal(known.Length, letters.Select(l => l.Record.ReasonCode).Distinct().Count());
    }
}
