using System.Text.Json;
using Confluent.Kafka;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary>Every command builds its Kafka clients from the configuration, and librdkafka's own lines go through the logger.</summary>
public sealed class KafkaSettingsCliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(90);

    // The embedded broker speaks plaintext: a client that really uses sasl_ssl opens with a TLS handshake it cannot read.
    private static readonly string[] SaslSsl =
    [
        "--set", "kafka.securityProtocol=sasl_ssl", "--set", "kafka.saslMechanism=PLAIN", "--set", "kafka.saslUsername=svc",
        "--set", "kafka.saslPassword=hunter2", "--set", "kafka.connectTimeout=00:00:03",
    ];

    [Theory]
    [InlineData("produce", "--events", "10")]
    [InlineData("demo", "--events", "10", "--no-live")]
    public async Task security_settings_reach_the_client_of_every_command(params string[] command)
    {
        var r = await SluiceProcess.RunAsync([.. command, .. SaslSsl], Quick);
        Assert.Equal(1, r.ExitCode);
        var last = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith("sluice: no Kafka broker answered at 127.0.0.1:", last);
        Assert.Contains("kafka.securityProtocol sasl_ssl", last);
        Assert.DoesNotContain("hunter2", r.StdErr + r.StdOut);
    }

    [Fact]
    public async Task produce_sends_to_the_bootstrap_servers_of_the_configuration_file()
    {
        const string topic = "yaml.events";
        using var broker = EmbeddedBroker.Start(1, [new TopicSpec(topic, 2), new TopicSpec("yaml.cdc", 1)]);
        using var dir = new TempDirectory();
        var config = dir.File("sluice.yaml");
        await File.WriteAllTextAsync(config,
            $"kafka:\n  bootstrapServers: \"{broker.BootstrapServers}\"\n  topics:\n    events: {topic}\n    cdcUsers: yaml.cdc\n");

        var r = await SluiceProcess.RunAsync(["produce", "--config", config, "--events", "300"], Quick);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains($"Kafka {broker.BootstrapServers}", r.StdOut);
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        using var consumer = factory.CreateConsumer($"check-{Guid.NewGuid():N}");
        var held = Enumerable.Range(0, 2).Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
        Assert.Equal(300, held);
    }

    [Theory]
    [InlineData("produce", "--events", "10")]
    [InlineData("demo", "--events", "10", "--no-live")]
    public async Task with_json_logs_the_embedded_brokers_librdkafka_lines_are_json_too(params string[] command)
    {
        // The TLS bytes make the embedded broker's own librdkafka handle log protocol errors.
        var r = await SluiceProcess.RunAsync([.. command, .. SaslSsl, "--log-format", "json"], Quick);
        Assert.Equal(1, r.ExitCode);
        var logs = AssertJsonLinesThenOneError(r.StdErr);
        Assert.Contains(logs, l => l.Category == "Sluice.Kafka.EmbeddedBroker" && l.Message.StartsWith("librdkafka PROTOERR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task with_json_logs_an_unreachable_broker_leaves_only_json_lines_and_the_error()
    {
        var r = await SluiceProcess.RunAsync(
            ["produce", "--events", "10", "--bootstrap-servers", "127.0.0.1:1", "--set", "kafka.connectTimeout=00:00:02", "--set", "logging.level=Debug",
             "--log-format", "json"], Quick);
        Assert.Equal(1, r.ExitCode);
        var logs = AssertJsonLinesThenOneError(r.StdErr);
        // At debug the probe's retries are there, as JSON.
        Assert.Contains(logs, l => l.Category == "Sluice.Kafka" && l.Message.StartsWith("librdkafka ", StringComparison.Ordinal));
    }

    // Every stderr line is a JSON log object, except the last: the one-line error.
    private static List<(string Category, string Message)> AssertJsonLinesThenOneError(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("sluice: ", lines[^1]);
        var logs = new List<(string, string)>();
        foreach (var line in lines[..^1])
        {
            using var doc = JsonDocument.Parse(line);
            logs.Add((doc.RootElement.GetProperty("Category").GetString()!, doc.RootElement.GetProperty("Message").GetString()!));
        }
        return logs;
    }
}
