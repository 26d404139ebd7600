using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary>Mistakes a new user makes, each reported before anything starts as one line on stderr that names the option or key.</summary>
public sealed class CliErrorTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);

    /// <summary>The whole of stderr is one "sluice: ..." line containing every one of <paramref name="expected"/>.</summary>
    internal static void AssertOneLineError(ProcessResult r, int exitCode, params string[] expected)
    {
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{r.StdErr}");
        Assert.StartsWith("sluice: ", lines[0]);
        Assert.DoesNotContain("unexpected", lines[0]);
        foreach (var text in expected) Assert.Contains(text, lines[0]);
        Assert.Equal(exitCode, r.ExitCode);
    }

    [Fact]
    public async Task demo_duration_too_long_for_a_timer_is_a_bad_command_line()
    {
        var r = await SluiceProcess.RunAsync(["demo", "--duration", "99999:00:00", "--no-live"], Quick);
        AssertOneLineError(r, 2, "--duration", "at most 30 days", "sluice demo --help");
        Assert.Empty(r.StdOut);
    }

    [Theory]
    [InlineData("20000000d", "at most 36500d")]
    [InlineData("0s", "must be positive")]
    [InlineData("soon", "is not a duration")]
    public async Task produce_duration_out_of_range_is_a_bad_command_line(string duration, string expected)
    {
        var r = await SluiceProcess.RunAsync(["produce", "--output", "null", "--duration", duration], Quick);
        AssertOneLineError(r, 2, "--duration", expected);
    }

    [Theory]
    [InlineData("--users", "-5", "out of range")]
    [InlineData("--rate", "-3", "out of range")]
    [InlineData("--speed", "fast", "not max, realtime")]
    [InlineData("--late-rate", "2", "between 0 and 1")]
    [InlineData("--start", "1960-01-01", "from 1970")]
    [InlineData("--output", "lots", "'kafka', 'files', 'stdout', 'null'")]
    [InlineData("--partitions", "0", "out of range")]
    [InlineData("--bootstrap-servers", "nohost", "not host:port")]
    public async Task produce_option_out_of_range_names_the_option_with_exit_code_2(string option, string value, string expected)
    {
        var r = await SluiceProcess.RunAsync(["produce", "--events", "10", option, value], Quick);
        AssertOneLineError(r, 2, option, expected);
    }

    [Fact]
    public async Task an_option_of_a_subcommand_points_at_that_subcommands_help()
    {
        var r = await SluiceProcess.RunAsync(["bench", "kafka", "--size", "0"], Quick);
        AssertOneLineError(r, 2, "--size", "see 'sluice bench kafka --help'");
    }

    [Fact]
    public async Task broker_count_out_of_range_names_the_option_not_the_key()
    {
        var r = await SluiceProcess.RunAsync(["broker", "--brokers", "40"], Quick);
        AssertOneLineError(r, 2, "--brokers", "allowed 1 to 16");
    }

    [Fact]
    public async Task unterminated_flow_sequence_in_the_config_file_names_the_file_and_the_line()
    {
        using var dir = new TempDirectory();
        var config = dir.File("sluice.yaml");
        await File.WriteAllTextAsync(config, "kafka:\n  partitions: [1,2\n");
        var r = await SluiceProcess.RunAsync(["produce", "--output", "null", "--events", "10", "--config", config], Quick);
        AssertOneLineError(r, 1, $"configuration file {config}", "the '[' at line 2, column 15 is never closed");
    }

    [Theory]
    [InlineData("/proc/nope/truth.json")]
    [InlineData("{file}/truth.json")]
    public async Task an_unwritable_manifest_path_fails_before_any_traffic_is_generated(string manifest)
    {
        using var dir = new TempDirectory();
        var file = dir.File("plain-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var path = manifest.Replace("{file}", file, StringComparison.Ordinal);
        var r = await SluiceProcess.RunAsync(["produce", "--output", "null", "--events", "1000", "--manifest", path], Quick);
        AssertOneLineError(r, 1, $"--manifest {path}", "choose a path in a writable directory");
        Assert.DoesNotContain("produced", r.StdOut);
    }

    [Theory]
    [InlineData("produce")]
    [InlineData("demo")]
    public async Task an_unknown_sasl_mechanism_names_the_key_and_the_allowed_values(string command)
    {
        var r = await SluiceProcess.RunAsync([command, "--events", "10", "--set", "kafka.saslMechanism=BOGUS"], Quick);
        AssertOneLineError(r, 1, "'kafka.saslMechanism'", "'BOGUS'", "PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
    }

    [Fact]
    public async Task sasl_settings_under_plaintext_are_an_error_naming_both_keys()
    {
        var r = await SluiceProcess.RunAsync(
            ["produce", "--events", "10", "--set", "kafka.saslMechanism=PLAIN", "--set", "kafka.saslUsername=svc", "--set", "kafka.saslPassword=secret"], Quick);
        AssertOneLineError(r, 1, "kafka.saslMechanism", "kafka.securityProtocol", "plaintext");
        Assert.DoesNotContain("secret", r.StdErr);
    }

    [Fact]
    public async Task sasl_protocol_without_a_password_says_where_to_set_it()
    {
        var r = await SluiceProcess.RunAsync(
            ["demo", "--events", "10", "--set", "kafka.securityProtocol=sasl_ssl", "--set", "kafka.saslMechanism=PLAIN", "--set", "kafka.saslUsername=svc"], Quick);
        AssertOneLineError(r, 1, "kafka.saslPassword", "SLUICE__KAFKA__SASLPASSWORD");
    }
}
