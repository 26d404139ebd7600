using Sluice.Schemas.Registry;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Cli;

/// <summary><c>sluice schema</c> as a user runs it: exit code 2 for a bad command line, 1 for anything else, one line on stderr.</summary>
public sealed class SchemaCliTests : IDisposable
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-schema-cli-").FullName;

    private string[] State => ["--set", $"schemaRegistry.stateFile={Path.Combine(_dir, "schemas.json")}"];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("register", "--subject", "s-value")]
    [InlineData("register", "--subject", "s-value", "--event-version", "4")]
    [InlineData("register", "--subject", "s-value", "--event-version", "1", "--file", "x.avsc")]
    [InlineData("check", "--subject", "s-value", "--event-version", "3", "--against", "first")]
    [InlineData("register", "--event-version", "3")]
    public async Task a_bad_command_line_is_exit_code_2_before_any_registry_is_asked(params string[] args)
    {
        var r = await SluiceProcess.RunAsync(["schema", .. args, .. State], Quick);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("sluice: ", r.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "schemas.json")), "nothing should have been registered");
    }

    [Fact]
    public async Task an_unreachable_registry_is_one_line_on_stderr_and_exit_code_1()
    {
        var r = await SluiceProcess.RunAsync(["schema", "list", "--registry", "http://127.0.0.1:1", .. State], Quick);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("schema registry at http://127.0.0.1:1", r.StdErr, StringComparison.Ordinal);
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public async Task a_missing_schema_file_and_an_unknown_subject_are_exit_code_1()
    {
        var file = await SluiceProcess.RunAsync(["schema", "register", "--subject", "s-value", "--file", Path.Combine(_dir, "none.avsc"), .. State], Quick);
        var subject = await SluiceProcess.RunAsync(["schema", "list", "--subject", "nope", .. State], Quick);

        Assert.Equal((1, 1), (file.ExitCode, subject.ExitCode));
        Assert.Contains("does not exist", file.StdErr, StringComparison.Ordinal);
        Assert.Contains("nope", subject.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_refused_check_is_exit_code_1_with_the_reasons_on_stdout()
    {
        var ok = await SluiceProcess.RunAsync(["schema", "register", "--subject", "s-value", "--event-version", "2", .. State], Quick);
        var refused = await SluiceProcess.RunAsync(["schema", "check", "--subject", "s-value", "--event-version", "1", .. State], Quick);

        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Matches(@"s-value\s+1\s+1\s+event schema v2", ok.StdOut);
        Assert.Equal(1, refused.ExitCode);
        Assert.Matches(@"s-value\s+latest\s+BACKWARD\s+no", refused.StdOut);
    }

    [Fact]
    public async Task a_second_writer_of_the_state_file_stops_naming_the_running_registry()
    {
        await using var running = await EmbeddedSchemaRegistry.StartAsync(Path.Combine(_dir, "schemas.json"));

        var r = await SluiceProcess.RunAsync(["schema", "register", "--subject", "s-value", "--event-version", "3", .. State], Quick);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"in use by pid {Environment.ProcessId}", r.StdErr, StringComparison.Ordinal);
        Assert.Contains("--registry URL", r.StdErr, StringComparison.Ordinal);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Empty(running.Store.Subjects());
    }
}
