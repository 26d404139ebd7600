using System.Text.Json;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary>The real sluice executable, run as a user would run it.</summary>
public sealed class CliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task unknown_option_is_one_line_naming_it_and_exit_code_2()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--frobnicate"], Quick);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--frobnicate", r.StdErr);
        Assert.Contains("sluice demo --help", r.StdErr);
        Assert.True(r.StdErr.Trim().Split('\n').Length <= 2, r.StdErr);
    }

    [Theory]
    [InlineData("-5", "positive")]
    [InlineData("lots", "lots")]
    public async Task invalid_events_value_is_rejected_before_anything_starts(string value, string expected)
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", value], Quick);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.StdErr);
        Assert.Empty(r.StdOut);
    }

    [Fact]
    public async Task unreachable_broker_is_a_one_line_error_with_exit_code_1()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--bootstrap-servers", "127.0.0.1:1", "--set", "kafka.connectTimeout=00:00:02"], Quick);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no Kafka broker answered at 127.0.0.1:1", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr); // no stack trace
    }

    [Fact]
    public async Task an_unusable_librdkafka_is_a_one_line_error_naming_the_file()
    {
        using var empty = new TempDirectory();
        var missing = empty.File("librdkafka.so");
        var r = await SluiceProcess.RunAsync(["demo", "--events", "10"], Quick, new Dictionary<string, string> { ["SLUICE_LIBRDKAFKA"] = missing });
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{missing}: not found", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public async Task registry_on_a_port_in_use_is_a_one_line_error_naming_the_port()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;
        using var dir = new TempDirectory();
        var r = await SluiceProcess.RunAsync(["registry", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Quick,
            workingDirectory: dir.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"port {port} on 127.0.0.1 is in use", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public async Task misspelled_configuration_key_is_named_in_the_error()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--set", "kafka.partitons=3"], Quick);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'kafka.partitons': unknown key", r.StdErr);
    }

    [Fact]
    public async Task demo_with_events_ends_by_itself_with_a_summary_that_matches_the_ground_truth()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", "5000", "--no-live"], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("demo summary", r.StdOut);
        Assert.Matches(@"click events produced → clickstream.events\s+│\s+5,000\s+│\s+5,000\s+│ yes", r.StdOut);
        Assert.Matches(@"processed by the consumer group\s+│\s+5,000\s+│\s+5,000\s+│ yes", r.StdOut);
        Assert.Contains("every output matches the ground truth", r.StdOut);
        Assert.Matches(@"payloads on clickstream.events: Avro in the Confluent wire format, schema id \d+ \(clickstream.events-value\) from the registry at http://127\.0\.0\.1:\d+/", r.StdOut);
        Assert.DoesNotContain("\u001b[", r.StdOut); // captured output carries no escape codes
    }

    [Fact]
    public async Task demo_format_json_runs_json_payloads_and_still_matches_the_ground_truth()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", "2000", "--no-live", "--format", "json"], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("payloads on clickstream.events: json", r.StdOut);
        Assert.Contains("every output matches the ground truth", r.StdOut);
    }

    [Fact]
    public async Task demo_format_other_than_avro_or_json_is_rejected_before_anything_starts()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--format", "protobuf"], Quick);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("protobuf", r.StdErr);
        Assert.Empty(r.StdOut);
    }

    [Fact]
    public async Task bench_kafka_produces_and_consumes_every_message_and_prints_both_rates()
    {
        var r = await SluiceProcess.RunAsync(["bench", "kafka", "--messages", "20000", "--size", "200"], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Matches(@"produce \(idempotent, acks=all, lz4\)\s+│\s+[\d,]+\s+│", r.StdOut);
        Assert.Matches(@"consume \(one consumer; the 20,000 the broker holds\)\s+│\s+[\d,]+\s+│", r.StdOut);
    }

    [Fact]
    public async Task json_log_format_writes_one_json_object_per_stderr_line()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--events", "500", "--no-live", "--log-format", "json"], TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.StdErr);
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.True(doc.RootElement.TryGetProperty("LogLevel", out _), line);
            Assert.True(doc.RootElement.TryGetProperty("Message", out _), line);
        }
    }

    [Fact]
    public async Task broker_runs_as_its_own_process_and_a_demo_in_another_process_uses_it()
    {
        // 1. `sluice broker` prints its bootstrap servers on the first stdout line.
        using var dir = new TempDirectory();
        var bootstrapFile = dir.File("bootstrap.txt");
        using var broker = SluiceProcess.Start(["broker", "--bootstrap-file", bootstrapFile]);
        try
        {
            var firstLine = await broker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Matches(@"^127\.0\.0\.1:\d+$", firstLine);
            Assert.Equal(firstLine, (await File.ReadAllTextAsync(bootstrapFile)).Trim());

            // 2. A separate demo process produces and processes through it, as against a real cluster.
            var r = await SluiceProcess.RunAsync(["demo", "--events", "3000", "--no-live", "--bootstrap-servers", firstLine!], TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Contains("every output matches the ground truth", r.StdOut);
            Assert.Contains($"connected to 1 broker(s) at {firstLine}", r.StdErr);
        }
        finally
        {
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }
}
