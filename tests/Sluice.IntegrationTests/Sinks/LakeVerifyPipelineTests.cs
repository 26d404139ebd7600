using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Sinks.Lake;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>
/// The lake end to end: a broker process, <c>sluice produce</c>, a processor, <c>sluice sink --to lake</c>, then
/// <c>sluice verify --store lake</c> against the Delta tables it left, before and after the lake is altered by hand.
/// </summary>
public sealed class LakeVerifyPipelineTests
{
    private const int Events = 5_000;
    // The machine is shared and loaded: every step gets minutes, not seconds.
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task verify_store_lake_is_equal_after_a_sink_and_names_a_changed_file_and_a_deleted_one()
    {
        using var dir = new TempDirectory();
        var lake = dir.File("lake");
        using var broker = SluiceProcess.Start(["broker", "--bootstrap-file", dir.File("bootstrap")]);
        Process? sink = null;
        try
        {
            // 1. Traffic and a processor that handles all of it.
            var bootstrap = (await broker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)))!;
            var manifest = dir.File("manifest.json");
            var produce = await SluiceProcess.RunAsync(
                ["produce", "--bootstrap-servers", bootstrap, "--events", Events.ToString(CultureInfo.InvariantCulture), "--manifest", manifest], Step);
            Assert.True(produce.ExitCode == 0, produce.StdErr);
            var factory = new KafkaClientFactory(new KafkaOptions(), bootstrap);
            var processor = new ClickstreamProcessor(factory, new ClickstreamOptions(), $"lake-it-{Guid.NewGuid():N}", "lake-it", NullLoggerFactory.Instance);
            using (var stop = new CancellationTokenSource())
            {
                var run = processor.RunAsync(stop.Token);
                var clock = Stopwatch.StartNew();
                while (processor.Processed < Events && clock.Elapsed < Step && !run.IsCompleted) await Task.Delay(250);
                await stop.CancelAsync();
                await run.WaitAsync(Step);
                Assert.Equal(Events, processor.Processed);
            }

            // 2. The lake sink until its group has stored the input (bronze) and every output record, then SIGTERM.
            var ends = EndOffsets(factory, [new KafkaOptions().Topics.Events, .. SinkTopics.Default.All]);
            sink = SluiceProcess.Start(["sink", "--to", "lake", "--bootstrap-servers", bootstrap, "--set", $"lake.path={lake}", "--set", "kafka.sessionTimeout=00:00:06",
                "--set", "sinks.batchSize=500"]);
            var sinkErr = sink.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            while (!Stored(factory, "sluice-sink-lake", ends))
            {
                if (sink.HasExited) Assert.Fail($"sluice sink exited early: {await sinkErr}");
                if (watch.Elapsed > Step)
                {
                    sink.Kill(entireProcessTree: true);
                    Assert.Fail($"the lake sink did not store every record within {Step}: {await sinkErr}");
                }
                await Task.Delay(500);
            }
            using (var kill = Process.Start("kill", ["-TERM", sink.Id.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            await sink.WaitForExitAsync().WaitAsync(Step);
            Assert.True(sink.ExitCode == 0, $"exit {sink.ExitCode}: {await sinkErr}");

            // 3. Compaction: each partition's files become one, the old ones stay on disk as tombstones (no vacuum), so a
            //    reader that listed the folder instead of the log would see every row twice.
            var compact = await SluiceProcess.RunAsync(["lake", "compact", "--path", lake], Step);
            Assert.True(compact.ExitCode == 0, compact.StdErr);
            var removed = new DeltaLog(Path.Combine(lake, "bronze", "events")).Read().Tombstones.Keys;
            Assert.NotEmpty(removed);
            Assert.All(removed, r => Assert.True(File.Exists(Path.Combine(lake, "bronze", "events", r)), r));

            // 4. verify: the topics and the lake's tables equal the batch recomputation, bronze holds every input record once.
            var verify = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--manifest", manifest, "--store", "lake", "--lake", lake], Step);
            Assert.True(verify.ExitCode == 0, verify.StdOut + verify.StdErr);
            Assert.Contains("verify: every output equals its recomputation", verify.StdOut);
            Assert.Contains("verify: every table of lake equals its recomputation", verify.StdOut);
            Assert.Contains("lake: bronze/events against the input records", verify.StdOut);
            Assert.DoesNotContain("DIFFERS", verify.StdOut);
            Assert.Matches(@"bronze/events\s*│\s*5,000\s*│\s*5,000\s*│\s*0\s*│\s*0\s*│\s*0\s*│\s*equal", verify.StdOut);

            // 5. One live file of silver/events rewritten with one event's country changed, one live file of bronze deleted.
            var eventsLog = new DeltaLog(Path.Combine(lake, "silver", "events"));
            var eventsFile = Path.Combine(eventsLog.TableRoot, eventsLog.Read().Files.Keys.Order(StringComparer.Ordinal).First());
            var bronzeLog = new DeltaLog(Path.Combine(lake, "bronze", "events"));
            var bronzeFile = Path.GetFullPath(Path.Combine(bronzeLog.TableRoot, bronzeLog.Read().Files.Keys.Order(StringComparer.Ordinal).First()));
            string eventId;
            long bronzeRows;
            using (var connection = new DuckDBConnection("DataSource=:memory:"))
            {
                connection.Open();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = $"SELECT min(event_id) FROM read_parquet('{eventsFile}')";
                eventId = (string)cmd.ExecuteScalar()!;
                cmd.CommandText = $"COPY (SELECT * REPLACE (CASE WHEN event_id = '{eventId}' THEN 'ZZ' ELSE geo_country END AS geo_country) " +
                    $"FROM read_parquet('{eventsFile}')) TO '{eventsFile}.new' (FORMAT parquet)";
                cmd.ExecuteNonQuery();
                cmd.CommandText = $"SELECT count(*) FROM read_parquet('{bronzeFile}')";
                bronzeRows = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            File.Move(eventsFile + ".new", eventsFile, overwrite: true);
            File.Delete(bronzeFile);
            Assert.True(bronzeRows > 0);

            var tampered = await SluiceProcess.RunAsync(["verify", "--bootstrap-servers", bootstrap, "--store", "lake", "--lake", lake], Step);
            Assert.Equal(1, tampered.ExitCode);
            Assert.Contains("verify: every output equals its recomputation", tampered.StdOut);
            Assert.Contains($"different {eventId}: geo_country: ", tampered.StdOut);
            Assert.Contains("'ZZ' found", tampered.StdOut);
            Assert.Contains("verify: 1 of 6 tables of lake differ from their recomputation", tampered.StdOut);
            // Spectre wraps lines at 120 columns, at a space.
            Assert.Contains($"lake: live file {Path.GetRelativePath(lake, bronzeFile)} is in the Delta log but not on disk", tampered.StdOut.ReplaceLineEndings(" "));
            Assert.Contains($"missing {new KafkaOptions().Topics.Events}/", tampered.StdOut);
            // bronze/events: input, actual, missing (the deleted file's rows), extra 0, dups 0.
            Assert.Matches($@"bronze/events\s*│\s*[\d,]+\s*│\s*[\d,]+\s*│\s*{bronzeRows.ToString("N0", CultureInfo.InvariantCulture)}\s*│\s*0\s*│\s*0\s*│\s*DIFFERS", tampered.StdOut);
        }
        finally
        {
            if (sink is { HasExited: false }) sink.Kill(entireProcessTree: true);
            broker.Kill(entireProcessTree: true);
            await broker.WaitForExitAsync();
        }
    }

    private static Dictionary<TopicPartition, long> EndOffsets(KafkaClientFactory factory, IEnumerable<string> topics)
    {
        using var reader = new TopicReader(factory, Step);
        return topics.SelectMany(reader.Logs).ToDictionary(l => new TopicPartition(l.Topic, l.Partition), l => l.LogEnd);
    }

    // The runner commits each stored batch's offsets to Kafka too: the group's committed offsets show how far it got.
    private static bool Stored(KafkaClientFactory factory, string group, Dictionary<TopicPartition, long> ends)
    {
        using var consumer = factory.CreateConsumer<byte[], byte[]>(group, "lake-it-watch");
        var committed = consumer.Committed(ends.Keys, TimeSpan.FromSeconds(30));
        return committed.All(c => ends[c.TopicPartition] == 0 || c.Offset.Value == ends[c.TopicPartition]);
    }
}
