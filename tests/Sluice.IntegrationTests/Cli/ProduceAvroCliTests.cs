using System.Text.Json;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice produce --format avro</c> run as a user would run it.</summary>
public sealed class ProduceAvroCliTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task produce_in_avro_registers_the_schema_and_writes_a_manifest_with_avro_reason_codes()
    {
        using var dir = new TempDirectory();
        var manifestPath = Path.Combine(dir.Path, "m.json");
        var r = await SluiceProcess.RunAsync(["produce", "--format", "avro", "--events", "2000", "--manifest", manifestPath], Quick);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("clickstream.events-value", r.StdOut);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        Assert.Equal("avro", doc.RootElement.GetProperty("payload_format").GetString());
        var codes = doc.RootElement.GetProperty("expected_reason_codes");
        Assert.Equal("avro_truncated", codes.GetProperty("malformed.missing_fields").GetString());
        Assert.Equal("avro_unknown_schema", codes.GetProperty("malformed.wrong_types").GetString());
        Assert.Equal("negative_price", codes.GetProperty("malformed.negative_price").GetString());
    }

    [Fact]
    public async Task avro_format_without_kafka_output_is_a_one_line_error_naming_the_option()
    {
        var r = await SluiceProcess.RunAsync(["produce", "--format", "avro", "--output", "null", "--events", "10"], Quick);
        CliErrorTests.AssertOneLineError(r, 2, "--format avro does not apply to --output null");
        Assert.Empty(r.StdOut);
    }
}
