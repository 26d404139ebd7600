using Sluice.App.Bench;
using Sluice.App.Samples;
using Sluice.Pipelines.Clickstream;

namespace Sluice.UnitTests.App;

public class EngineBenchmarkTests
{
    [Fact]
    public void benchmark_runs_the_full_chain_and_reports_outputs_allocation_and_gc_counts()
    {
        var payloads = SampleEvents.Generate(3000, seed: 3, startMs: 1_700_000_000_000);
        var result = EngineBenchmark.Run(payloads, partitions: 2, warmUp: false);
        Assert.Equal(3000, result.Events);
        Assert.Equal(2, result.Partitions);
        Assert.True(result.AllocatedBytesPerEvent > 0);
        Assert.True(result.Gen0Collections >= 0);
        foreach (var topic in new[] { "clickstream.enriched", "clickstream.dlq", "clickstream.bots", "clickstream.aggregated", "clickstream.sessions" })
            Assert.True(result.Outputs.GetValueOrDefault(topic) > 0, topic);
        Assert.True(result.Outputs["clickstream.enriched"] + result.Outputs["clickstream.dlq"] + result.Outputs["clickstream.bots"] <= 3000);
    }

    [Fact]
    public void every_timed_pass_starts_from_empty_state_and_the_result_is_the_median_pass()
    {
        var payloads = SampleEvents.Generate(2000, seed: 5, startMs: 1_700_000_000_000);
        var passes = new List<int>();
        var result = EngineBenchmark.RunPartitioned(EngineBenchmark.Split(payloads, 2), warmUp: true, iterations: 3, progress: passes.Add);

        Assert.Equal([1, 2, 3, 4], passes); // the warm-up, then three timed passes
        Assert.Equal(3, result.Runs.Count);
        var sorted = result.Runs.Order().ToList();
        Assert.Equal(sorted[1], result.EventsPerSecond);
        // Fresh tasks per pass: a pass over the same input produces the same outputs as a single cold pass would.
        var single = EngineBenchmark.RunPartitioned(EngineBenchmark.Split(payloads, 2), warmUp: false);
        Assert.Equal(single.Outputs, result.Outputs);
        Assert.Single(single.Runs);
    }

    [Fact]
    public void checkpoint_passes_alternate_with_plain_ones_snapshot_every_task_into_a_real_store_and_change_no_output()
    {
        var payloads = SampleEvents.Generate(20_000, seed: 7, startMs: 1_700_000_000_000);
        var before = Directory.GetDirectories(Path.GetTempPath(), "sluice-bench-checkpoints-*").Length;
        var passes = new List<int>();

        var cost = EngineBenchmark.RunCheckpointComparison(EngineBenchmark.Split(payloads, 2), TimeSpan.FromTicks(1), pairs: 2, progress: passes.Add);

        Assert.Equal([1, 2, 3, 4, 5], passes); // the warm-up, then off, on, off, on
        Assert.Equal(2, cost.CpuRatios.Count);
        Assert.Equal(cost.Off.Outputs, cost.On.Outputs);
        // Due at every look at the clock: one checkpoint per task per 1,024 records.
        Assert.InRange(cost.Snapshots.Count, 18, 22);
        Assert.True(cost.Snapshots.MaxBytes > 0 && cost.Snapshots.Bytes >= cost.Snapshots.MaxBytes);
        Assert.True(cost.Snapshots.PersistTime > TimeSpan.Zero);
        Assert.True(cost.Snapshots.FinalBytes > cost.Snapshots.MaxBytes / 2);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "sluice-bench-checkpoints-*").Length);
    }

    [Fact]
    public void serialising_the_outputs_changes_no_count_and_reports_the_bytes_a_processor_would_send()
    {
        var input = EngineBenchmark.Generate(4000, 2);
        var counted = EngineBenchmark.RunPartitioned(input.Partitions, warmUp: false, schemas: input.Schemas);
        var serialised = EngineBenchmark.RunPartitioned(input.Partitions, warmUp: false, schemas: input.Schemas, serialize: true);

        Assert.Equal(counted.Outputs, serialised.Outputs);
        Assert.Equal(0, counted.OutputBytes);
        // An enriched event's JSON is 700-900 bytes and most events are enriched; the other outputs are far fewer.
        var enriched = serialised.Outputs["clickstream.enriched"];
        Assert.InRange(serialised.OutputBytes, enriched * 600, enriched * 1_400);
    }

    [Fact]
    public void payloads_of_one_user_land_in_one_partition()
    {
        var payloads = SampleEvents.Generate(2000, seed: 4);
        var split = EngineBenchmark.Split(payloads, 3);
        Assert.Equal(2000, split.Sum(p => p.Count));
        var owner = new Dictionary<string, int>();
        for (var p = 0; p < split.Length; p++)
        {
            foreach (var payload in split[p])
            {
                if (!Sluice.Core.Events.ClickEventJson.TryRead(payload, out var e, out _)) continue;
                Assert.Equal(owner.TryAdd(e!.PartitionKey, p) ? p : owner[e.PartitionKey], p);
            }
        }
    }

    [Fact]
    public void json_lines_file_loads_one_payload_per_non_blank_line()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["{\"a\":1}", "", "  ", "{\"b\":2}"]);
            Assert.Equal(2, EngineBenchmark.LoadJsonLines(path).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void avro_and_json_traffic_give_the_same_outputs()
    {
        var avro = EngineBenchmark.Generate(20_000, partitions: 2, Sluice.Generate.Writers.PayloadFormat.Avro);
        var json = EngineBenchmark.Generate(20_000, partitions: 2, Sluice.Generate.Writers.PayloadFormat.Json);
        Assert.NotNull(avro.Schemas);
        Assert.Null(json.Schemas);
        Assert.Equal(20_000, avro.Events);
        Assert.Equal(json.Partitions.Select(p => p.Count), avro.Partitions.Select(p => p.Count));
        Assert.All(avro.Partitions.SelectMany(p => p), p => Assert.True(p.Length > 0));

        var fromAvro = EngineBenchmark.RunPartitioned(avro.Partitions, warmUp: false, schemas: avro.Schemas);
        var fromJson = EngineBenchmark.RunPartitioned(json.Partitions, warmUp: false);
        Assert.Equal(fromJson.Outputs, fromAvro.Outputs);
        Assert.True(fromAvro.Outputs["clickstream.enriched"] > 18_000);
        Assert.True(fromAvro.Outputs["clickstream.dlq"] > 0);
    }

    [Theory]
    [InlineData("red shoes", true)]
    [InlineData(" Red Shoes ", false)]
    [InlineData("ÄPFEL", false)]
    public void a_normalised_query_is_returned_as_the_same_string(string query, bool same)
    {
        var normalised = EnrichProcessor.NormalizeQuery(query)!;
        Assert.Equal(query.Trim().ToLowerInvariant(), normalised);
        Assert.Equal(same, ReferenceEquals(query, normalised));
    }
}
