using System.Text.Json;
using Confluent.Kafka;
using Sluice.Kafka;
using Sluice.Schemas.Registry;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice topics</c> and <c>sluice tail</c>, and the <see cref="TopicInspector"/> behind them, against a real broker.</summary>
public sealed class InspectionCliTests : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan Quick = TimeSpan.FromMinutes(2);
    private readonly BrokerFixture _kafka;

    public InspectionCliTests(BrokerFixture kafka) => _kafka = kafka;

    private void Produce(string topic, int partition, int count, Func<int, byte[]> value)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(_kafka.Factory.ProducerConfig()).Build();
        for (var i = 0; i < count; i++)
            producer.Produce(new TopicPartition(topic, partition), new Message<byte[]?, byte[]> { Key = null, Value = value(i) });
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    private static byte[] Text(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task inspector_reports_each_partitions_log_and_a_groups_committed_offset_and_lag()
    {
        // 1. Three partitions holding 10, 20 and 30 records.
        var topic = _kafka.CreateTopic(3, "inspect");
        for (var p = 0; p < 3; p++) Produce(topic, p, 10 * (p + 1), i => Text($"r{i}"));

        // 2. A group that committed offset 4 on partition 0 only.
        var group = $"g-{Guid.NewGuid():N}";
        using (var consumer = _kafka.Factory.CreateConsumer<byte[], byte[]>(group, "test"))
            consumer.Commit([new TopicPartitionOffset(topic, 0, 4)]);

        // 3. Offsets and lag as the broker and the group see them; a group that never committed is left out.
        using var inspector = new TopicInspector(_kafka.Factory, TimeSpan.FromSeconds(10));
        var logs = inspector.Partitions([topic]);
        Assert.Equal([10L, 20L, 30L], logs.Select(l => l.LogEnd));
        Assert.All(logs, l => Assert.Equal(0, l.LogStart));
        Assert.Equal([10L, 20L, 30L], logs.Select(l => l.Held));

        var positions = await inspector.GroupsAsync([group, "never-committed"], logs);
        Assert.Equal(3, positions.Count);
        Assert.All(positions, p => Assert.Equal(group, p.Group));
        Assert.Equal([4L, null, null], positions.Select(p => p.Committed));
        Assert.Equal([6L, 20L, 30L], positions.Select(p => p.Lag));
    }

    [Fact]
    public void inspecting_a_topic_that_does_not_exist_names_it()
    {
        using var inspector = new TopicInspector(_kafka.Factory, TimeSpan.FromSeconds(10));
        var ex = Assert.Throws<Core.Errors.SluiceException>(() => inspector.Partitions(["no.such.topic"]));
        Assert.Contains("topic no.such.topic does not exist", ex.Message);
    }

    [Fact]
    public async Task topics_prints_a_row_per_topic_with_records_held()
    {
        var topic = _kafka.CreateTopic(2, "inspect");
        Produce(topic, 0, 7, i => Text($"r{i}"));
        Produce(topic, 1, 5, i => Text($"r{i}"));

        var r = await SluiceProcess.RunAsync(["topics", "--bootstrap-servers", _kafka.Broker.BootstrapServers, "--topic", topic], Quick);

        Assert.Equal(0, r.ExitCode);
        var row = r.StdOut.Split('\n').Single(l => l.Contains(topic, StringComparison.Ordinal));
        var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([topic, "2", "0", "12", "12"], cells);
        Assert.Contains("consumer groups", r.StdOut);
    }

    [Fact]
    public async Task topics_without_a_cluster_names_the_key_to_set()
    {
        var r = await SluiceProcess.RunAsync(["topics"], Quick);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("kafka.bootstrapServers", r.StdErr);
        Assert.Contains("--bootstrap-servers", r.StdErr);
    }

    [Fact]
    public async Task tail_prints_json_lines_decoding_avro_through_the_registry_and_keeping_other_payloads_whole()
    {
        // 1. An Avro frame registered in a real registry, a JSON document, plain text and bytes that are not UTF-8.
        await using var registry = await EmbeddedSchemaRegistry.StartAsync();
        var schema = """{"type":"record","name":"Probe","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"}]}""";
        var id = await RegisterAsync(registry.Url, "probe-value", schema);
        byte[] frame = [0, (byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id, 6, (byte)'a', (byte)'b', (byte)'c', 84];
        var topic = _kafka.CreateTopic(1, "tail");
        byte[][] values = [frame, Text("""{"k": [1, 2]}"""), Text("plain <text> ✓"), [0xFF, 0xFE, 0x00, 0x41]];
        Produce(topic, 0, values.Length, i => values[i]);

        // 2. Tail them from the beginning.
        var r = await SluiceProcess.RunAsync(
            ["tail", topic, "--bootstrap-servers", _kafka.Broker.BootstrapServers, "--from-beginning", "--count", "4", "--registry", registry.Url.ToString()], Quick);

        // 3. One JSON object per record, in offset order, each value shown as what it is.
        Assert.Equal(0, r.ExitCode);
        var lines = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([0L, 1L, 2L, 3L], lines.Select(l => l.GetProperty("offset").GetInt64()));
        Assert.Equal("abc", lines[0].GetProperty("value").GetProperty("id").GetString());
        Assert.Equal(42, lines[0].GetProperty("value").GetProperty("n").GetInt64());
        Assert.Equal(2, lines[1].GetProperty("value").GetProperty("k")[1].GetInt32());
        Assert.Equal("plain <text> ✓", lines[2].GetProperty("value").GetString());
        Assert.Equal(Convert.ToBase64String(values[3]), lines[3].GetProperty("value").GetProperty("base64").GetString());
    }

    private static async Task<int> RegisterAsync(Uri registry, string subject, string schema)
    {
        using var http = new HttpClient();
        var body = JsonSerializer.Serialize(new { schema });
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/vnd.schemaregistry.v1+json");
        using var response = await http.PostAsync(new Uri(registry, $"subjects/{subject}/versions"), content);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("id").GetInt32();
    }
}
