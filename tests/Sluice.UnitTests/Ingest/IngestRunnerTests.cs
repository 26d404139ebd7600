using Microsoft.Extensions.Logging.Abstractions;
using Sluice.App.DeadLetters;
using Sluice.App.Ingest;
using Sluice.Kafka;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.TestKit;

namespace Sluice.UnitTests.Ingest;

public sealed class IngestRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly IngestOptions Options = new() { SettleTime = TimeSpan.Zero, CheckpointRows = 10 };

    public void Dispose() => _dir.Dispose();

    private static string Line(int i) =>
        $$"""{"event_id":"e{{i}}","event_type":"page_view","timestamp":{{1767225600000 + i}},"user_id":"u{{i % 7}}","session_id":"s{{i % 5}}"}""";

    private string Write(string name, int rows, int from = 0)
    {
        var path = _dir.File(name);
        File.WriteAllLines(path, Enumerable.Range(from, rows).Select(Line));
        return path;
    }

    private async Task<(IngestRunner Runner, RecordingOutput Output)> RunOnce(IngestOptions? options = null, RecordingOutput? output = null)
    {
        output ??= new RecordingOutput();
        var runner = new IngestRunner(_dir.Path, options ?? Options, output, NullLogger.Instance);
        await runner.RunAsync(once: true, CancellationToken.None);
        return (runner, output);
    }

    [Fact]
    public async Task finished_files_move_to_processed_and_unreadable_ones_to_failed_beside_their_reason()
    {
        Write("a.jsonl", 25);
        File.WriteAllBytes(_dir.File("b.jsonl"), [0xFF, 0xFE, 0x00, (byte)'\n']);
        File.WriteAllText(_dir.File("c.csv"), "");

        var (runner, output) = await RunOnce();

        Assert.Equal(25, output.Events.Count);
        Assert.Equal((1, 2), (runner.Totals.Files, runner.Totals.Failed));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "processed", "a.jsonl")));
        Assert.StartsWith("not UTF-8 text: a UTF-16 byte order mark", File.ReadAllText(Path.Combine(_dir.Path, "failed", "b.jsonl.reason")), StringComparison.Ordinal);
        Assert.Contains("empty", File.ReadAllText(Path.Combine(_dir.Path, "failed", "c.csv.reason")), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.jsonl"));
        var manifest = IngestManifest.Load(_dir.Path);
        Assert.Equal(
            [("a.jsonl", IngestOutcome.Processed, 25L), ("b.jsonl", IngestOutcome.Failed, 0L), ("c.csv", IngestOutcome.Failed, 0L)],
            manifest.Entries.Select(e => (e.Name, e.Outcome, e.Rows)));
    }

    [Fact]
    public async Task a_file_whose_bytes_were_read_before_is_not_read_again_under_any_name()
    {
        Write("a.jsonl", 12);
        await RunOnce();
        File.Copy(Path.Combine(_dir.Path, "processed", "a.jsonl"), _dir.File("a-copy.jsonl"));
        // The same name again: a crash came after the manifest said processed and before the move.
        File.Copy(Path.Combine(_dir.Path, "processed", "a.jsonl"), _dir.File("a.jsonl"));

        var (runner, output) = await RunOnce();

        Assert.Empty(output.Events);
        Assert.Equal(1, runner.Totals.Duplicates);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "processed", "a-copy.jsonl")));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "processed", "a.1.jsonl")));
        var duplicate = IngestManifest.Load(_dir.Path).Entries.Single(e => e.Name == "a-copy.jsonl");
        Assert.Equal(IngestOutcome.Duplicate, duplicate.Outcome);
        Assert.Contains("a.jsonl", duplicate.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task a_restart_after_a_crash_inside_a_file_resumes_after_its_last_checkpoint()
    {
        // 1. The first run dies on the 35th event: rows up to the checkpoint at 30 are recorded as delivered.
        Write("big.jsonl", 100);
        await Assert.ThrowsAsync<IOException>(() => RunOnce(output: new RecordingOutput { FailAfterEvents = 34 }));
        var entry = Assert.Single(IngestManifest.Load(_dir.Path).Entries);
        Assert.Equal((IngestOutcome.InProgress, 30L), (entry.Outcome, entry.Rows));
        Assert.True(File.Exists(_dir.File("big.jsonl")));

        // 2. The restart sends the rows after the checkpoint, and only those.
        var (runner, output) = await RunOnce();

        Assert.Equal(Enumerable.Range(30, 70).Select(i => $"e{i}"), output.Events.Select(e => e.Event.EventId.ToString()));
        Assert.Equal(1, runner.Totals.Resumed);
        var done = Assert.Single(IngestManifest.Load(_dir.Path).Entries);
        Assert.Equal((IngestOutcome.Processed, 100L, 100L), (done.Outcome, done.Rows, done.Events));
    }

    [Fact]
    public async Task temporary_files_and_files_still_changing_are_left_alone_while_watching()
    {
        Write("ready.jsonl", 3);
        File.SetLastWriteTimeUtc(_dir.File("ready.jsonl"), DateTime.UtcNow.AddMinutes(-5));
        Write("clickstream-000002.jsonl.tmp", 3, from: 10);
        Write("young.jsonl", 3, from: 20);
        var output = new RecordingOutput();
        var runner = new IngestRunner(_dir.Path, new IngestOptions { SettleTime = TimeSpan.FromMinutes(1), PollInterval = TimeSpan.FromMilliseconds(50) }, output, NullLogger.Instance);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(600));

        await runner.RunAsync(once: false, stop.Token);

        Assert.Equal(["e0", "e1", "e2"], output.Events.Select(e => e.Event.EventId.ToString()));
        Assert.True(File.Exists(_dir.File("young.jsonl")));
        Assert.True(File.Exists(_dir.File("clickstream-000002.jsonl.tmp")));
    }

    [Fact]
    public void a_column_mapped_to_no_field_of_the_event_is_an_error_naming_the_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(sets: ["ingest.columns.ts=timestmp"]));
        Assert.Contains("ingest.columns.ts", ex.Message, StringComparison.Ordinal);
        Assert.Contains("timestamp", ex.Message, StringComparison.Ordinal);

        var options = SluiceConfiguration.Load(sets: ["ingest.columns.ts=timestamp", "ingest.columns.uid=user_id"]);
        Assert.Equal("timestamp", options.Ingest.Columns["ts"]);
        Assert.Equal("user_id", options.Ingest.Columns["UID"]);
        Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(sets: ["ingest.directry=x"]));
    }

    [Fact]
    public void dlq_replay_leaves_a_staged_files_rows_to_the_file_source()
    {
        var replay = new DeadLetterReplay(new KafkaClientFactory(new KafkaOptions(), "127.0.0.1:9"), RecordJudge.For(new ClickstreamOptions(), null), "clickstream.dlq");
        var letter = new DeadLetter(0, 5, "invalid_json", "a.csv line 7: x", StagedFileTopic.Of("a.csv"), 0, 7, 1, null, "e1,page_view"u8.ToArray(), false, 1);

        var outcome = Assert.Single(replay.Replay([letter], new Dictionary<string, ReplayMark>(), dryRun: true, again: false));

        Assert.Null(outcome.Mark);
        Assert.Contains("staged file a.csv, line 7", outcome.Skipped, StringComparison.Ordinal);
    }
}
