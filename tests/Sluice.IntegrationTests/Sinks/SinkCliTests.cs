using System.Diagnostics;
using Confluent.Kafka;
using Npgsql;
using Sluice.Sinks;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary><c>sluice sink</c> as a user runs it: errors that name the setting, and a clean stop on SIGTERM.</summary>
public sealed class SinkCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Task<ProcessResult> Sink(string connectionString, params string[] extra) =>
        SluiceProcess.RunAsync(["sink", "--to", "postgres", "--bootstrap-servers", "127.0.0.1:9", .. extra], Timeout,
            new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = connectionString });

    [Fact]
    public async Task a_missing_connection_string_names_the_key()
    {
        var r = await Sink("");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("sluice: configuration key 'postgres.connectionString': must be set", r.StdErr.Trim());
    }

    [Fact]
    public async Task a_wrong_password_is_one_line_naming_the_key_and_never_the_password()
    {
        var cs = await PostgresTestServer.PasswordRoleConnectionStringAsync("not-the-password");
        var r = await Sink(cs);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("sluice:", StringComparison.Ordinal));
        Assert.Contains($"refused user '{PostgresTestServer.PasswordRole}'", line);
        Assert.Contains("postgres.connectionString", line);
        Assert.DoesNotContain("not-the-password", r.StdErr + r.StdOut);
    }

    [Fact]
    public async Task the_right_password_gets_past_the_store_to_kafka()
    {
        var cs = await PostgresTestServer.PasswordRoleConnectionStringAsync(PostgresTestServer.RolePassword);
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        await using (var admin = new NpgsqlConnection(db.ConnectionString))
        {
            await admin.OpenAsync();
            await using var grant = new NpgsqlCommand($"GRANT ALL ON SCHEMA public TO {PostgresTestServer.PasswordRole}", admin);
            await grant.ExecuteNonQueryAsync();
        }
        var r = await Sink(new NpgsqlConnectionStringBuilder(cs) { Database = db.Name }.ConnectionString, "--set", "kafka.connectTimeout=00:00:02");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no Kafka broker answered at 127.0.0.1:9", r.StdErr);
        Assert.DoesNotContain(PostgresTestServer.RolePassword, r.StdErr + r.StdOut);
    }

    [Fact]
    public async Task an_unreachable_server_names_host_port_and_the_key()
    {
        var r = await Sink("Host=127.0.0.1;Port=1;Username=sluice;Password=secret-value;Database=sluice");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no PostgreSQL server answered at 127.0.0.1:1/sluice", r.StdErr);
        Assert.Contains("postgres.connectionString", r.StdErr);
        Assert.DoesNotContain("secret-value", r.StdErr);
    }

    [Theory]
    [InlineData("mysql", "unknown sink")]
    public async Task a_sink_that_does_not_exist_is_a_usage_error(string to, string says)
    {
        var r = await SluiceProcess.RunAsync(["sink", "--to", to], Timeout);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(says, r.StdErr);
    }
}

/// <summary>The command against the embedded broker and the test server: it lands the topics, and SIGTERM stops it cleanly.</summary>
public sealed class SinkCliRunTests : IClassFixture<BrokerFixture>
{
    private readonly BrokerFixture _broker;

    public SinkCliRunTests(BrokerFixture broker) => _broker = broker;

    [Fact]
    public async Task sigterm_finishes_the_batch_in_hand_and_exits_0()
    {
        // 1. The default output topics hold real outputs.
        foreach (var topic in SinkTopics.Default.All) _broker.Broker.CreateTopic(topic, SinkTestData.Partitions);
        var records = SinkTestData.Outputs(1_500, seed: 11);
        using (var producer = new ProducerBuilder<byte[], byte[]>(_broker.Factory.ProducerConfig("sink-cli")).Build())
        {
            foreach (var r in records)
                producer.Produce(new TopicPartition(r.Topic, r.Partition), new Message<byte[], byte[]> { Key = r.Key!, Value = r.Value! });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        await using var db = await PostgresTestServer.CreateDatabaseAsync();

        // 2. sluice sink runs until everything is stored, then gets SIGTERM.
        using var process = SluiceProcess.Start(["sink", "--to", "postgres", "--bootstrap-servers", _broker.Broker.BootstrapServers],
            new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString });
        var stderr = process.StandardError.ReadToEndAsync();
        var expected = SinkTestData.ExpectedRows(records);
        var watch = Stopwatch.StartNew();
        while (Count(db, "events") < expected[OutputKind.Enriched] || Count(db, "sink_offsets") == 0)
        {
            if (process.HasExited) Assert.Fail($"sluice sink exited early: {await stderr}");
            if (watch.Elapsed > TimeSpan.FromSeconds(90))
            {
                process.Kill();
                Assert.Fail($"sluice sink did not store the {expected[OutputKind.Enriched]:N0} events within 90 s: {await stderr}");
            }
            await Task.Delay(250);
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // 3. A clean exit, every row and the final offsets stored.
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.Equal(expected[OutputKind.Sessions], Count(db, "sessions"));
        Assert.Equal(expected[OutputKind.Aggregated], Count(db, "window_aggregates"));
        Assert.Contains("stopped after writing", await stderr);
    }

    private static long Count(TemporaryDatabase db, string table)
    {
        using var connection = new NpgsqlConnection(db.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection);
        try { return (long)cmd.ExecuteScalar()!; }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { return 0; }
    }
}
