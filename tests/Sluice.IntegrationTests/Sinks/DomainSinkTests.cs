using System.Diagnostics;
using Npgsql;
using Sluice.Kafka;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>A domain that is only a file lands in a store: <c>sluice sink</c> with <c>processor.domain</c> reads the domain's own topics.</summary>
public sealed class DomainSinkTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task the_iot_domain_s_aggregate_rows_dead_letters_and_late_readings_land_in_postgres_each_once()
    {
        var iot = Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");
        using var dir = new TempDirectory("sluice-domain-sink");
        using var broker = SluiceChild.Start(["broker", "--bootstrap-file", dir.File("bootstrap"), "--set", $"processor.domain={iot}"]);
        await broker.WaitForLineAsync(l => l.Contains("127.0.0.1:", StringComparison.Ordinal), Step, "the broker's address");
        var bootstrap = File.ReadAllText(dir.File("bootstrap")).Trim();

        // The domain demo fills the domain's topics through this broker and checks them against its ground truth.
        var demo = await SluiceProcess.RunAsync(["demo", "--domain", iot, "--events", "6000", "--bootstrap-servers", bootstrap], Step, workingDirectory: dir.Path);
        Assert.True(demo.ExitCode == 0, demo.StdOut + demo.StdErr);
        int Count(string topic)
        {
            using var reader = new TopicReader(new KafkaClientFactory(new Core.Configuration.KafkaOptions { BootstrapServers = bootstrap }, bootstrap), Step);
            return reader.Read(reader.Logs(topic)).Sum(p => p.Count);
        }
        var (rows, letters, late) = (Count("iot.aggregated"), Count("iot.dlq"), Count("iot.late"));
        Assert.True(rows > 0 && letters > 0 && late > 0, $"{rows} rows, {letters} letters, {late} late");

        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        using var sink = SluiceChild.Start(["sink", "--to", "postgres", "--bootstrap-servers", bootstrap, "--set", $"processor.domain={iot}"],
            new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString });
        var clock = Stopwatch.StartNew();
        while (Rows(db, "window_aggregates") < rows || Rows(db, "dead_letters") < letters || Rows(db, "late_events") < late)
        {
            Assert.False(sink.HasExited, $"sluice sink exited: {sink.StdErr}");
            Assert.True(clock.Elapsed < Step, $"the sink stored {Rows(db, "window_aggregates")} of {rows} rows within {Step}: {sink.StdErr}");
            await Task.Delay(250);
        }
        sink.Terminate();
        Assert.Equal(0, await sink.WaitForExitAsync(Step));

        // Each record once, by its stable id; the IoT aggregates by name, the readings' own reason codes.
        Assert.Equal(rows, Rows(db, "window_aggregates"));
        Assert.Equal(letters, Rows(db, "dead_letters"));
        Assert.Equal(late, Rows(db, "late_events"));
        Assert.Equal(3, Rows(db, "(SELECT DISTINCT aggregate FROM window_aggregates) a"));
        Assert.Equal(0, Rows(db, "dead_letters WHERE reason_code NOT LIKE '%_out_of_range'"));
        Assert.Equal(0, Rows(db, "events"));
    }

    private static long Rows(TemporaryDatabase db, string from)
    {
        using var connection = new NpgsqlConnection(db.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {from}", connection);
        try { return (long)cmd.ExecuteScalar()!; }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { return 0; }
    }
}
