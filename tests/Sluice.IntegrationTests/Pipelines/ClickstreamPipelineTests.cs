using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Pipelines;

/// <summary>
/// Generator → embedded broker → the clickstream topology through the real Kafka binding in a consumer group →
/// output topics, read back and compared with the generator's ground truth. Runs once per class (it takes a while).
/// </summary>
public sealed class ClickstreamPipelineFixture : IDisposable
{
    public const int Partitions = 6;
    public const int Events = 50_000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromMinutes(2);

    private readonly BrokerFixture _broker = new();

    public ClickstreamPipelineFixture()
    {
        var prefix = "pipeline-" + Guid.NewGuid().ToString("N")[..8];
        Options = new ClickstreamOptions
        {
            InputTopic = prefix + ".events",
            EnrichedTopic = prefix + ".enriched",
            DeadLetterTopic = prefix + ".dlq",
            LateTopic = prefix + ".late",
            AggregatedTopic = prefix + ".aggregated",
            SessionsTopic = prefix + ".sessions",
            BotsTopic = prefix + ".bots",
            Quality = new QualityOptions { Topic = prefix + ".quality" },
        };
        var settings = new GeneratorSettings
        {
            Seed = 20260101,
            Users = 2_000,
            MaxEvents = Events,
            // Every fault kind, at rates that give each dozens of records in 50k.
            LateRate = 0.01,
            OutOfOrderRate = 0.03,
            DuplicateRate = 0.01,
            BotRate = 0.02,
            MalformedRate = 0.03,
            EventsTopic = Options.InputTopic,
            CdcTopic = prefix + ".cdc",
        };
        _broker.Broker.CreateTopic(settings.EventsTopic, Partitions);
        _broker.Broker.CreateTopic(settings.CdcTopic, 1);
        foreach (var topic in OutputTopics) _broker.Broker.CreateTopic(topic, 3);

        Manifest = new ManifestBuilder();
        var truth = new GroundTruthWriter(new KafkaTrafficWriter(_broker.Factory.CreateProducer("pipeline-test")), settings.EventsTopic);
        using (truth) GeneratorRunner.Run(new ClickstreamGenerator(settings), truth, manifest: Manifest);
        ExpectedSessions = truth.Sessions;

        Processed = PipelineRun.RunTopology(_broker, Options, Manifest.ClickRecords, RunTimeout);
        foreach (var topic in OutputTopics) Outputs[topic] = PipelineRun.ReadAll(_broker, topic, Json, ReadTimeout);
    }

    public ClickstreamOptions Options { get; }
    public ManifestBuilder Manifest { get; }
    public long Processed { get; }

    /// <summary>Distinct (partition key, session id) pairs among the counted events: the sessions a correct processor closes.</summary>
    public HashSet<(string Key, string Session)> ExpectedSessions { get; }

    public Dictionary<string, List<JsonElement>> Outputs { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> OutputTopics =>
        [Options.EnrichedTopic, Options.DeadLetterTopic, Options.LateTopic, Options.AggregatedTopic, Options.SessionsTopic, Options.BotsTopic, Options.Quality.Topic];

    public void Dispose() => _broker.Dispose();

    private static JsonElement Json(ConsumeResult<byte[], byte[]> r)
    {
        using var doc = JsonDocument.Parse(r.Message.Value);
        return doc.RootElement.Clone();
    }

    /// <summary>Forwards to Kafka and remembers the sessions of the counted events (what the manifest counts, per session).</summary>
    private sealed class GroundTruthWriter(KafkaTrafficWriter inner, string eventsTopic) : ITrafficWriter
    {
        public HashSet<(string, string)> Sessions { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            inner.Write(record);
            if (record.Topic == eventsTopic && record.Fault.IsCounted()) Sessions.Add((record.Event!.PartitionKey, record.Event.SessionId));
        }

        public void Flush(CancellationToken cancellationToken = default) => inner.Flush(cancellationToken);

        public void Dispose() => inner.Dispose();
    }
}

public sealed class ClickstreamPipelineTests(ClickstreamPipelineFixture f) : IClassFixture<ClickstreamPipelineFixture>
{
    private List<JsonElement> Output(string topic) => f.Outputs[topic];

    [Fact]
    public void every_input_record_is_processed_once()
    {
        Assert.Equal(f.Manifest.ClickRecords, f.Processed);
        for (var k = 0; k < FaultKinds.Count; k++) Assert.True(f.Manifest.FaultCount((FaultKind)k) > 0, $"no {((FaultKind)k).ToLabel()} records generated");
    }

    [Fact]
    public void dead_letters_carry_the_reason_code_of_each_malformed_label()
    {
        var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in FaultKinds.Malformed)
        {
            var code = kind.ExpectedReasonCode()!;
            expected[code] = expected.GetValueOrDefault(code) + f.Manifest.FaultCount(kind);
        }
        var actual = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var d in Output(f.Options.DeadLetterTopic))
        {
            var code = d.GetProperty("reason_code").GetString()!;
            actual[code] = actual.GetValueOrDefault(code) + 1;
        }
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void late_events_are_exactly_the_late_labels()
    {
        var ids = Output(f.Options.LateTopic).Select(l => l.GetProperty("event").GetProperty("event_id").GetString()!).ToList();
        Assert.Equal(f.Manifest.LateEventIds.Select(id => id.ToString()).Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void bots_are_filtered_out()
    {
        Assert.Equal(f.Manifest.FaultCount(FaultKind.Bot), Output(f.Options.BotsTopic).Count);
    }

    [Fact]
    public void enriched_output_holds_every_counted_event_once_and_no_duplicate()
    {
        var enriched = Output(f.Options.EnrichedTopic);
        long counted = 0;
        foreach (var type in EventTypes.All) counted += f.Manifest.ValidCount(type);
        Assert.Equal(counted, enriched.Count);
        var ids = enriched.Select(e => EventId.Parse(e.GetProperty("event_id").GetString()!)).ToHashSet();
        Assert.Equal(counted, ids.Count);
        Assert.DoesNotContain(f.Manifest.LateEventIds, ids.Contains);
    }

    [Fact]
    public void one_minute_counts_per_type_summed_over_partitions_match_the_manifest_windows()
    {
        var actual = new SortedDictionary<(long, string), long>();
        foreach (var row in Output(f.Options.AggregatedTopic))
        {
            if (row.GetProperty("aggregate").GetString() != AggregateNames.Events1m || row.GetProperty("dimension").GetString() != "event_type") continue;
            var key = (row.GetProperty("window_start").GetInt64(), row.GetProperty("dimension_value").GetString()!);
            actual[key] = actual.GetValueOrDefault(key) + (long)row.GetProperty("value").GetDouble();
        }
        var expected = new SortedDictionary<(long, string), long>();
        foreach (var (start, counts) in f.Manifest.Windows)
        {
            foreach (var type in EventTypes.All)
            {
                if (counts[(int)type] > 0) expected[(start, type.ToWireName())] = counts[(int)type];
            }
        }
        Assert.True(expected.Count > 100, $"only {expected.Count} window rows expected");
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void sessions_are_the_generator_sessions_of_the_counted_events()
    {
        var sessions = Output(f.Options.SessionsTopic);
        var actual = sessions.Select(s => (s.GetProperty("key").GetString()!, s.GetProperty("session_id").GetString()!)).ToHashSet();
        Assert.Equal(f.ExpectedSessions.Count, sessions.Count);
        Assert.Equal(f.ExpectedSessions.Order(), actual.Order());
        long counted = 0;
        foreach (var type in EventTypes.All) counted += f.Manifest.ValidCount(type);
        Assert.Equal(counted, sessions.Sum(s => s.GetProperty("events").GetInt64()));
    }

    [Fact]
    public void quality_rows_count_every_input_record_once_by_outcome_one_row_per_window_and_partition()
    {
        var rows = Output(f.Options.Quality.Topic);
        long Sum(string field) => rows.Sum(r => r.GetProperty(field).GetInt64());
        Assert.True(rows.Count > 100, $"only {rows.Count} quality rows");
        Assert.Equal(rows.Count, rows.Select(r => (r.GetProperty("window_start").GetInt64(), r.GetProperty("partition").GetInt32())).Distinct().Count());
        Assert.Equal(f.Processed, Sum("records_in"));
        Assert.Equal(Output(f.Options.DeadLetterTopic).Count, Sum("invalid"));
        Assert.Equal(Output(f.Options.BotsTopic).Count, Sum("bots"));
        Assert.Equal(Output(f.Options.EnrichedTopic).Count, Sum("accepted"));
        Assert.Equal(f.Manifest.FaultCount(FaultKind.Late), Sum("late"));
        Assert.Equal(f.Manifest.FaultCount(FaultKind.Duplicate), Sum("duplicates"));
        Assert.All(rows, r => Assert.Equal(r.GetProperty("records_in").GetInt64(),
            r.GetProperty("valid").GetInt64() + r.GetProperty("invalid").GetInt64()));
        Assert.All(rows, r => Assert.Contains(r.GetProperty("grade").GetString(), new[] { "EXCELLENT", "ACCEPTABLE", "POOR" }));
    }
}
