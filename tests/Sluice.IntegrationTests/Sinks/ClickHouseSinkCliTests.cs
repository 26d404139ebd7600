using System.Globalization;
using Confluent.Kafka;
using Sluice.Sinks;
using Sluice.Sinks.ClickHouse;
using Sluice.Sinks.Rows;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary><c>sluice sink --to clickhouse</c> as a user runs it: one-line errors naming the key, never the password.</summary>
public sealed class ClickHouseSinkCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static Task<ProcessResult> Sink(IReadOnlyDictionary<string, string> environment) =>
        SluiceProcess.RunAsync(["sink", "--to", "clickhouse", "--bootstrap-servers", "127.0.0.1:9", "--set", "kafka.connectTimeout=00:00:02"], Timeout, environment);

    private static string ErrorLine(ProcessResult r)
    {
        Assert.Equal(1, r.ExitCode);
        return Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("sluice:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task a_missing_url_names_the_key()
    {
        var line = ErrorLine(await Sink(new Dictionary<string, string>()));
        Assert.StartsWith("sluice: configuration key 'sinks.clickhouse.url': must be set", line);
    }

    [Fact]
    public async Task a_url_that_is_not_http_names_the_key()
    {
        var line = ErrorLine(await Sink(new Dictionary<string, string> { ["SLUICE__SINKS__CLICKHOUSE__URL"] = "localhost:8123" }));
        Assert.StartsWith("sluice: configuration key 'sinks.clickhouse.url': is not an http(s) URL", line);
    }

    [Fact]
    public async Task an_unreachable_server_names_the_url_and_the_key()
    {
        var line = ErrorLine(await Sink(new Dictionary<string, string> { ["SLUICE__SINKS__CLICKHOUSE__URL"] = "http://127.0.0.1:1" }));
        Assert.Contains("no ClickHouse server answered at http://127.0.0.1:1", line);
        Assert.Contains("sinks.clickhouse.url", line);
    }

    [Fact]
    public async Task a_wrong_password_is_one_line_naming_the_keys_and_never_the_password()
    {
        using var db = ClickHouseTestServer.CreateDatabase();
        var environment = new Dictionary<string, string>
        {
            ["SLUICE__SINKS__CLICKHOUSE__URL"] = ClickHouseTestServer.Url,
            ["SLUICE__SINKS__CLICKHOUSE__DATABASE"] = db.Name,
            ["SLUICE__SINKS__CLICKHOUSE__USER"] = ClickHouseTestServer.PasswordUser,
            ["SLUICE__SINKS__CLICKHOUSE__PASSWORD"] = "${env:CH_TEST_PASSWORD}",
            ["CH_TEST_PASSWORD"] = "not-the-password",
        };
        var line = ErrorLine(await Sink(environment));
        Assert.Contains($"refused user '{ClickHouseTestServer.PasswordUser}'", line);
        Assert.Contains("sinks.clickhouse.password", line);

        // The right one, from the environment through the same reference, gets past the store to Kafka.
        environment["CH_TEST_PASSWORD"] = ClickHouseTestServer.UserPassword;
        var right = await Sink(environment);
        Assert.Equal(1, right.ExitCode);
        Assert.Contains("no Kafka broker answered at 127.0.0.1:9", right.StdErr);
        Assert.DoesNotContain(ClickHouseTestServer.UserPassword, right.StdErr + right.StdOut);
    }
}

/// <summary>kill -9 of <c>sluice sink --to clickhouse</c> mid-run, then a restart: FINAL holds every id once, equal to its latest record (its own broker, default topic names).</summary>
public sealed class ClickHouseSinkKillTests : IClassFixture<BrokerFixture>, IDisposable
{
    private readonly BrokerFixture _broker;
    private readonly TemporaryClickHouseDatabase _db = ClickHouseTestServer.CreateDatabase();

    public ClickHouseSinkKillTests(BrokerFixture broker) => _broker = broker;

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task a_sink_killed_mid_run_and_restarted_loses_nothing_and_duplicates_nothing_in_final_results()
    {
        // 1. Real topology outputs on this class's own broker, written in batches of 50 so the sink is mid-run when killed.
        var topics = SinkTopics.Default;
        foreach (var topic in topics.All) _broker.Broker.CreateTopic(topic, SinkTestData.Partitions);
        var records = SinkTestData.Outputs(3_000, seed: 23);
        using (var producer = new ProducerBuilder<byte[], byte[]>(_broker.Factory.ProducerConfig("clickhouse-kill")).Build())
        {
            foreach (var r in records)
                producer.Produce(new TopicPartition(r.Topic, r.Partition), new Message<byte[], byte[]> { Key = r.Key!, Value = r.Value! });
            producer.Flush(TimeSpan.FromSeconds(30));
        }
        var environment = new Dictionary<string, string>
        {
            ["SLUICE__SINKS__CLICKHOUSE__URL"] = ClickHouseTestServer.Url,
            ["SLUICE__SINKS__CLICKHOUSE__DATABASE"] = _db.Name,
            ["SLUICE__SINKS__BATCHSIZE"] = "50",
            // The killed member stays in the group until its session times out: 6 s instead of 45 before the restart reads.
            ["SLUICE__KAFKA__SESSIONTIMEOUT"] = "00:00:06",
        };
        string[] args = ["sink", "--to", "clickhouse", "--bootstrap-servers", _broker.Broker.BootstrapServers];
        var ends = records.GroupBy(r => new SinkPartition(r.Topic, r.Partition)).ToDictionary(g => g.Key, g => g.Max(r => r.Offset) + 1);

        // 2. The sink is killed with SIGKILL once it has stored some batches, wherever it is.
        using (var first = SluiceChild.Start(args, environment))
        {
            await first.WaitUntilAsync(() => StoredOffsets() >= 1_000, TimeSpan.FromSeconds(120), "1,000 records were stored");
            first.KillHard();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.True(StoredOffsets() < records.Count, "the first sink stored everything before it was killed: nothing was tested");

        // 3. A restarted sink resumes from the offsets in sink_offsets and stores the rest; SIGTERM stops it cleanly.
        using (var second = SluiceChild.Start(args, environment))
        {
            await second.WaitUntilAsync(() => StoredOffsets() == records.Count, TimeSpan.FromSeconds(120), "every record was stored");
            second.Terminate();
            Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        // 4. Every partition's stored offset is its end, and FINAL holds each id once, equal to a record of it (the test
        //    data spreads records over partitions round-robin, so which of an id's records was stored last is not fixed).
        using var sink = new ClickHouseSink(ClickHouseTestServer.Url, _db.Name, "default", "", topics);
        Assert.Equal(ends.OrderBy(p => p.Key.ToString()), sink.ReadOffsets("sluice-sink-clickhouse").OrderBy(p => p.Key.ToString()));
        var expected = SinkTestData.ExpectedRows(records, topics);
        foreach (var kind in topics.Kinds)
            Assert.Equal(expected[kind], long.Parse(_db.Scalar($"SELECT count() FROM {Sluice.Sinks.Tables.OutputTables.Of(kind).Name} FINAL"), CultureInfo.InvariantCulture));
        var parsed = ParsedBatch.Parse(new SinkBatch("expected", records), topics);
        var sessions = parsed.Sessions.ToLookup(s => s.Id);
        foreach (var row in sink.ReadRows(ClickHouseTables.Sessions))
            Assert.Contains(sessions[row.Id], s => ClickHouseTables.Sessions.Table.Differences(s, row, []).Count == 0);
        var events = parsed.Events.ToLookup(e => e.Id);
        foreach (var row in sink.ReadRows(ClickHouseTables.Events))
            Assert.Contains(events[row.Id], e => ClickHouseTables.Events.Table.Differences(e, row, []).Count == 0);
    }

    // Records stored so far: the sum of the next offsets in sink_offsets (every partition starts at 0).
    private long StoredOffsets()
    {
        try
        {
            return long.Parse(_db.Scalar("SELECT sum(next_offset) FROM sink_offsets FINAL WHERE group_id = 'sluice-sink-clickhouse'"), CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return 0; // the sink has not created its database yet
        }
    }
}
