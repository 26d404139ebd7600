using Sluice.TestKit;
using static Sluice.IntegrationTests.Cli.CliErrorTests;

namespace Sluice.IntegrationTests.Cli;

/// <summary>
/// Secrets given as <c>${env:NAME}</c> and <c>${file:PATH}</c> in the YAML file, the environment and <c>--set</c> reach the
/// commands, and the real CLI never prints them: not in help, tables, logs (readable or JSON) or errors. Where a path
/// really carries a secret to the output, the test also sees the mask there, so a pass is not a path that printed nothing.
/// </summary>
public sealed class SecretsCliTests : IDisposable
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _dir = new("sluice-secrets");
    private readonly string _clientId = Secret("client");
    private readonly string _user = Secret("user");
    private readonly string _password = Secret("password");
    private readonly string _database = Secret("database");
    private readonly Dictionary<string, string> _environment;

    public SecretsCliTests()
    {
        // A relative ${file:} path is taken from the working directory, which is the test's folder.
        Directory.CreateDirectory(_dir.File("secrets"));
        File.WriteAllText(_dir.File(Path.Combine("secrets", "pg-password")), _password + "\n");
        File.WriteAllText(_dir.File("sluice.yaml"),
            "postgres:\n" +
            "  connectionString: \"Host=127.0.0.1;Port=1;Username=${env:SLUICE_TEST_PGUSER};Password=${file:secrets/pg-password};" +
            "Database=${env:SLUICE_TEST_PGDB};Timeout=3\"\n");
        _environment = new()
        {
            ["SLUICE_TEST_PGUSER"] = _user,
            ["SLUICE_TEST_PGDB"] = _database,
            ["SLUICE_TEST_CLIENT"] = _clientId,
            ["SLUICE__KAFKA__CLIENTID"] = "${env:SLUICE_TEST_CLIENT}",
        };
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("--help")]
    [InlineData("sink", "--help")]
    [InlineData("produce", "--help")]
    public async Task help_shows_no_secret(params string[] command)
    {
        var r = await Run(command);

        Assert.True(r.ExitCode == 0, r.StdErr);
        AssertNoSecret(r);
    }

    [Fact]
    public async Task a_store_that_cannot_be_reached_is_reported_with_its_secrets_masked()
    {
        var r = await Run("sink", "--to", "postgres");

        // The error names host:port/database, and the database name is one of the secrets.
        AssertOneLineError(r, 1, "no PostgreSQL server answered at 127.0.0.1:1/***");
        AssertNoSecret(r);
    }

    [Theory]
    [InlineData("console")]
    [InlineData("json")]
    public async Task librdkafka_log_lines_that_name_the_client_show_it_masked(string format)
    {
        // At debug librdkafka's lines name each client: the configured kafka.clientId plus a suffix.
        var r = await Run("produce", "--events", "10", "--bootstrap-servers", "127.0.0.1:1", "--set", "kafka.connectTimeout=00:00:02",
            "--set", "logging.level=Debug", "--log-format", format);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("librdkafka ", r.StdErr);
        Assert.Contains("***-", r.StdErr);
        AssertNoSecret(r);
    }

    [Fact]
    public async Task a_value_an_error_quotes_is_masked_when_it_came_from_a_set_reference()
    {
        var r = await Run("produce", "--events", "10", "--output", "null", "--set", "processor.guarantee=${env:SLUICE_TEST_PGDB}");

        AssertOneLineError(r, 1, "'processor.guarantee'", "'***' is not allowed");
        AssertNoSecret(r);
    }

    [Fact]
    public async Task an_unset_variable_stops_the_command_with_one_line_naming_the_key_and_the_variable()
    {
        var r = await Run("produce", "--events", "10", "--output", "null", "--set", "kafka.clientId=${env:SLUICE_TEST_NOT_SET}");

        AssertOneLineError(r, 1, "'kafka.clientId'", "SLUICE_TEST_NOT_SET is not set");
        AssertNoSecret(r);
    }

    [Fact]
    public async Task a_short_run_prints_and_logs_no_secret()
    {
        var r = await Run("produce", "--events", "200", "--set", "logging.level=Debug");

        Assert.True(r.ExitCode == 0, r.StdErr);
        AssertNoSecret(r);
    }

    private Task<ProcessResult> Run(params string[] args) =>
        SluiceProcess.RunAsync([.. args, "--config", _dir.File("sluice.yaml")], Quick, _environment, _dir.Path);

    private void AssertNoSecret(ProcessResult r)
    {
        foreach (var secret in (string[])[_clientId, _user, _password, _database])
        {
            Assert.False(r.StdOut.Contains(secret, StringComparison.Ordinal), $"stdout shows a secret:\n{r.StdOut}");
            Assert.False(r.StdErr.Contains(secret, StringComparison.Ordinal), $"stderr shows a secret:\n{r.StdErr}");
        }
    }

    private static string Secret(string what) => $"{what}-{Guid.NewGuid():N}";
}
