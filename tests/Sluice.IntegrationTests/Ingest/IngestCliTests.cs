using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Sluice.App.Ingest;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Ingest;

/// <summary><c>sluice ingest</c> and <c>produce --input</c> run as a user runs them, against a <c>sluice broker</c> child.</summary>
public sealed class IngestCliTests
{
    private const int Partitions = 2;
    private const int Events = 4_000;
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(120);
    private static readonly TopicOptions Topics = new();

    /// <summary>What a staged directory should give: the events' ids in order, and the (file, line) of every row that is no event.</summary>
    private sealed record Expected(List<string> EventIds, HashSet<(string File, long Line)> DeadLetters);

    // The JSON-lines files of the same seed are the truth for both formats: a CSV file has the same rows a line lower.
    private static Expected Truth(string jsonlDirectory, string extension)
    {
        var ids = new List<string>();
        var dead = new HashSet<(string, long)>();
        foreach (var path in Directory.GetFiles(jsonlDirectory, "clickstream-*.jsonl").Order(StringComparer.Ordinal))
        {
            var name = Path.ChangeExtension(Path.GetFileName(path), extension);
            var line = extension == ".csv" ? 1L : 0L;
            // Lines split at \n only, as bytes: the generator's garbage rows need not be UTF-8.
            var bytes = File.ReadAllBytes(path).AsMemory();
            while (!bytes.IsEmpty)
            {
                var end = bytes.Span.IndexOf((byte)'\n');
                var text = end < 0 ? bytes : bytes[..end];
                bytes = end < 0 ? default : bytes[(end + 1)..];
                line++;
                if (text.Span.TrimEnd((byte)'\r').IsEmpty) continue;
                if (ClickEventJson.TryRead(text.Span.TrimEnd((byte)'\r'), out var e, out _)) ids.Add(e!.EventId.ToString());
                else dead.Add((name, line));
            }
        }
        return new Expected(ids, dead);
    }

    private static List<ConsumeResult<string, byte[]>> ReadAll(string bootstrap, string topic, int atLeast, TimeSpan? settle = null, int partitions = Partitions)
    {
        var factory = new KafkaClientFactory(new KafkaOptions(), bootstrap);
        using var consumer = factory.CreateConsumer("ingest-test-" + Guid.NewGuid().ToString("N"));
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var results = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var quietUntil = DateTime.MaxValue;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow < quietUntil)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is { IsPartitionEOF: false }) results.Add(r);
            // Past the count expected, keep reading a while: a record sent twice would arrive then.
            if (results.Count >= atLeast && quietUntil == DateTime.MaxValue) quietUntil = DateTime.UtcNow + (settle ?? TimeSpan.FromSeconds(2));
        }
        return results;
    }

    // Per partition, in order: what a consumer of the topic sees.
    private static List<(int Partition, string Key, long Timestamp, string Value)> Records(IEnumerable<ConsumeResult<string, byte[]>> records) =>
        records.OrderBy(r => r.Partition.Value).ThenBy(r => r.Offset.Value)
            .Select(r => (r.Partition.Value, r.Message.Key, r.Message.Timestamp.UnixTimestampMs, Convert.ToBase64String(r.Message.Value)))
            .ToList();

    private static string EventId(byte[] payload, ClickEventDecoder decoder)
    {
        Assert.True(decoder.TryDecode(payload, out var e, out var error), error.Detail);
        return e!.EventId.ToString();
    }

    [Theory]
    [InlineData("jsonl", "json")]
    [InlineData("csv", "json")]
    [InlineData("csv", "avro")]
    public async Task ingest_produces_every_row_the_producer_staged_once_as_produce_sends_it_and_a_second_run_produces_nothing(string fileFormat, string payload)
    {
        using var broker = await BrokerProcess.StartAsync(partitions: Partitions);
        using var dir = new TempDirectory();
        var staging = Path.Combine(dir.Path, "staging");
        var truthDir = Path.Combine(dir.Path, "truth");
        string[] traffic = ["--events", Events.ToString(System.Globalization.CultureInfo.InvariantCulture), "--file-max-records", "1500", "--cdc", "false"];

        // 1. Stage files with the producer, and the same seed's JSON lines as the truth.
        var staged = await SluiceProcess.RunAsync(["produce", "--output", "files", "--format", fileFormat, "--dir", staging, .. traffic], Quick);
        Assert.True(staged.ExitCode == 0, staged.StdErr);
        var truth = await SluiceProcess.RunAsync(["produce", "--output", "files", "--dir", truthDir, .. traffic], Quick);
        Assert.True(truth.ExitCode == 0, truth.StdErr);
        var expected = Truth(truthDir, "." + fileFormat);
        Assert.True(expected.DeadLetters.Count > 5, "the generator's malformed rows are part of the test");

        // 2. Ingest the directory once.
        string[] ingest = ["ingest", "--dir", staging, "--once", "--format", payload, "--bootstrap-servers", broker.BootstrapServers, "--set", "ingest.settleTime=00:00:00"];
        var first = await SluiceProcess.RunAsync(ingest, Quick);
        Assert.True(first.ExitCode == 0, first.StdOut + first.StdErr);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(staging, IngestRunner.ProcessedFolder)).Length);
        Assert.Empty(Directory.GetFiles(staging, "*." + fileFormat));

        // 3. Every event arrived once, in the format asked for; every other row is a dead letter naming its file and line.
        var events = ReadAll(broker.BootstrapServers, Topics.Events, expected.EventIds.Count);
        var decoder = ClickEventDecoder.JsonOnly;
        if (payload == "avro")
        {
            Assert.All(events, e => Assert.Equal(0, e.Message.Value[0]));
            decoder = new ClickEventDecoder(new StaticSchemaSource().Add(BinaryPrimitives.ReadInt32BigEndian(events[0].Message.Value.AsSpan(1)), EventSchemas.V3));
        }
        Assert.Equal(expected.EventIds.Order(StringComparer.Ordinal), events.Select(e => EventId(e.Message.Value, decoder)).Order(StringComparer.Ordinal));
        var letters = ReadAll(broker.BootstrapServers, Topics.Dlq, expected.DeadLetters.Count);
        var whereFrom = letters.Select(l =>
        {
            using var doc = JsonDocument.Parse(l.Message.Value);
            var root = doc.RootElement;
            Assert.False(string.IsNullOrEmpty(root.GetProperty("reason_code").GetString()));
            var file = StagedFileTopic.FileName(root.GetProperty("topic").GetString()!);
            var line = root.GetProperty("offset").GetInt64();
            Assert.StartsWith($"{file} line {line}: ", root.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(file, Encoding.UTF8.GetString(l.Message.Headers.GetLastBytes(KafkaIngestOutput.SourceFileHeader)));
            return (file, line);
        }).ToList();
        Assert.Equal(expected.DeadLetters.Order(), whereFrom.Order());

        // 4. The events are the records `produce` sends to Kafka itself for the same seed, partition by partition in the
        // same order, keys, timestamps and payload bytes alike: `process` reads the same input either way. (The direct
        // run also puts its malformed records on the input topic, where the file source dead-letters them.)
        using (var direct = await BrokerProcess.StartAsync(partitions: Partitions))
        {
            var sent = await SluiceProcess.RunAsync(["produce", "--bootstrap-servers", direct.BootstrapServers, "--format", payload, .. traffic], Quick);
            Assert.True(sent.ExitCode == 0, sent.StdErr);
            var decoded = ReadAll(direct.BootstrapServers, Topics.Events, Events, TimeSpan.FromSeconds(1))
                .Where(r => decoder.TryDecode(r.Message.Value, out _, out _));
            Assert.Equal(Records(decoded), Records(events));
        }

        // 5. Run again over the same directory, with the files put back as a crash before their move would leave them:
        // the manifest knows their bytes, so nothing is produced twice.
        foreach (var path in Directory.GetFiles(Path.Combine(staging, IngestRunner.ProcessedFolder)))
            File.Copy(path, Path.Combine(staging, Path.GetFileName(path)));
        var second = await SluiceProcess.RunAsync(ingest, Quick);
        Assert.True(second.ExitCode == 0, second.StdOut + second.StdErr);
        Assert.Equal(events.Count, ReadAll(broker.BootstrapServers, Topics.Events, events.Count).Count);
        Assert.Equal(letters.Count, ReadAll(broker.BootstrapServers, Topics.Dlq, letters.Count).Count);
        Assert.Empty(Directory.GetFiles(staging, "*." + fileFormat));
    }

    [Fact]
    public async Task watching_ingest_reads_a_file_renamed_into_the_directory_and_stops_cleanly_on_sigterm()
    {
        using var broker = await BrokerProcess.StartAsync(partitions: Partitions);
        using var dir = new TempDirectory();
        var staging = Path.Combine(dir.Path, "staging");
        Directory.CreateDirectory(staging);
        using var child = SluiceChild.Start(["ingest", "--dir", staging, "--bootstrap-servers", broker.BootstrapServers, "--set", "ingest.settleTime=00:00:00.2"]);
        await child.WaitForLineAsync(l => l.Contains("ingest: watching", StringComparison.Ordinal), Quick, "the watch to start");

        // A writer's convention: the whole file as .tmp, then the rename that makes it visible.
        var tmp = Path.Combine(staging, "late-000001.jsonl.tmp");
        await File.WriteAllTextAsync(tmp, """{"event_id":"w1","event_type":"page_view","timestamp":1767225600000,"user_id":"u1","session_id":"s1"}""" + "\n");
        File.Move(tmp, Path.Combine(staging, "late-000001.jsonl"));
        await child.WaitForLineAsync(l => l.Contains("late-000001.jsonl: 1 rows", StringComparison.Ordinal), Quick, "the file to be read");
        child.Terminate();

        Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(File.Exists(Path.Combine(staging, IngestRunner.ProcessedFolder, "late-000001.jsonl")));
        Assert.Equal(["w1"], ReadAll(broker.BootstrapServers, Topics.Events, 1, TimeSpan.FromSeconds(1)).Select(e => EventId(e.Message.Value, ClickEventDecoder.JsonOnly)));
        Assert.Contains("files read", child.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task after_kill_9_inside_a_file_a_restart_resumes_it_and_resends_at_most_the_rows_after_the_last_checkpoint()
    {
        const int rows = 100_000;
        const int checkpointRows = 2_000;
        const int partitions = 4;
        using var broker = await BrokerProcess.StartAsync(partitions: partitions);
        using var dir = new TempDirectory();
        var staging = Path.Combine(dir.Path, "staging");
        Directory.CreateDirectory(staging);
        // Small rows, so the whole file fits in what the embedded broker keeps (5 MiB per partition).
        await File.WriteAllLinesAsync(Path.Combine(staging, "big.jsonl"), Enumerable.Range(0, rows).Select(i =>
            $$"""{"event_id":"k{{i}}","event_type":"page_view","timestamp":{{1767225600000 + i}},"user_id":"u{{i % 97}}","session_id":"s{{i % 89}}"}"""));
        string[] ingest = ["ingest", "--dir", staging, "--bootstrap-servers", broker.BootstrapServers,
            "--set", "ingest.settleTime=00:00:00", "--set", $"ingest.checkpointRows={checkpointRows}"];
        var manifestPath = Path.Combine(staging, IngestManifest.FileName);

        // 1. Kill -9 once the manifest records a checkpoint inside the file. The child runs in slices of 20 ms and is
        // looked at while frozen (SIGSTOP), so it cannot finish the file between the look and the kill.
        using (var first = SluiceChild.Start(ingest))
        {
            var deadline = DateTime.UtcNow + Quick;
            while (true)
            {
                await Task.Delay(20);
                first.Pause();
                if (File.Exists(manifestPath) && IngestManifest.Load(staging).Entries is [var entry])
                {
                    Assert.True(entry.Outcome == IngestOutcome.InProgress, "the file was finished before a checkpoint was seen inside it");
                    if (entry.Rows > 0) break;
                }
                Assert.True(DateTime.UtcNow < deadline && !first.HasExited, "no checkpoint inside the file; stderr:\n" + first.StdErr);
                first.Resume();
            }
            first.KillHard();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
        var recorded = Assert.Single(IngestManifest.Load(staging).Entries);
        Assert.True(recorded.Outcome == IngestOutcome.InProgress && recorded.Rows < rows, $"{recorded.Outcome} after {recorded.Rows} rows: the kill came too late");
        Assert.True(File.Exists(Path.Combine(staging, "big.jsonl")));

        // 2. The restart resumes the file after its recorded rows.
        var second = await SluiceProcess.RunAsync([.. ingest, "--once"], Quick);
        Assert.True(second.ExitCode == 0, second.StdOut + second.StdErr);
        Assert.Contains("files resumed after an earlier run", second.StdOut, StringComparison.Ordinal);
        var done = Assert.Single(IngestManifest.Load(staging).Entries);
        Assert.Equal((IngestOutcome.Processed, (long)rows), (done.Outcome, done.Rows));

        // 3. Every row arrived; those sent twice are at most the rows after the last checkpoint before the kill.
        var ids = ReadAll(broker.BootstrapServers, Topics.Events, rows, partitions: partitions).Select(e => EventId(e.Message.Value, ClickEventDecoder.JsonOnly)).ToList();
        Assert.Equal(rows, ids.Distinct().Count());
        Assert.InRange(ids.Count - rows, 0, checkpointRows);
        Assert.All(ids.GroupBy(id => id), g => Assert.InRange(g.Count(), 1, 2));
    }

    [Fact]
    public async Task produce_input_sends_one_files_events_and_dead_letters_and_leaves_the_file_where_it_is()
    {
        using var broker = await BrokerProcess.StartAsync(partitions: Partitions);
        using var dir = new TempDirectory();
        var file = dir.File("mine.csv");
        await File.WriteAllTextAsync(file,
            "event_id,event_type,timestamp,user_id,session_id\n"
            + "e1,page_view,1767225600000,u1,s1\n"
            + "e2,page_view,soon,u2,s2\n"
            + "e3,search,1767225600002,,s3\n");

        var r = await SluiceProcess.RunAsync(["produce", "--input", file, "--bootstrap-servers", broker.BootstrapServers], Quick);

        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("events produced", r.StdOut, StringComparison.Ordinal);
        var events = ReadAll(broker.BootstrapServers, Topics.Events, 2, TimeSpan.FromSeconds(1));
        Assert.Equal(["e1", "e3"], events.Select(e => EventId(e.Message.Value, ClickEventDecoder.JsonOnly)).Order(StringComparer.Ordinal));
        Assert.Equal(["s3", "u1"], events.Select(e => e.Message.Key).Order(StringComparer.Ordinal));
        var letter = Assert.Single(ReadAll(broker.BootstrapServers, Topics.Dlq, 1, TimeSpan.FromSeconds(1)));
        using var doc = JsonDocument.Parse(letter.Message.Value);
        Assert.Equal(("invalid_field_type", "file:mine.csv", 3L),
            (doc.RootElement.GetProperty("reason_code").GetString(), doc.RootElement.GetProperty("topic").GetString(), doc.RootElement.GetProperty("offset").GetInt64()));
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task input_with_another_output_is_a_one_line_error_naming_the_option()
    {
        var r = await SluiceProcess.RunAsync(["produce", "--input", "x.jsonl", "--output", "files"], Quick);
        Cli.CliErrorTests.AssertOneLineError(r, 2, "--input sends a file to Kafka");
    }
}
