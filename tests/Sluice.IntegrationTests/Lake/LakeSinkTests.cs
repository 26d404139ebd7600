using System.Text;
using Sluice.Core.Errors;
using Sluice.IntegrationTests.Sinks;
using Sluice.Sinks;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Rows;

namespace Sluice.IntegrationTests.Lake;

/// <summary>The lake as Delta tables: read back with DuckDB over the live files, its logs checked against the protocol, replays, crashes, races, compaction and checkpoints.</summary>
public sealed class LakeSinkTests : IDisposable
{
    private const string Group = "lake-test";
    private const string Input = "clickstream.events";
    private static readonly IReadOnlyList<SinkRecord> Records = SinkTestData.Outputs(3_000, seed: 5);

    private readonly string _root = Directory.CreateTempSubdirectory("sluice-lake-").FullName;
    private readonly DuckDB.NET.Data.DuckDBConnection _duck = LakeReader.Connect();

    public void Dispose()
    {
        _duck.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private LakeSink Open(Action? beforeCommit = null, int recentIds = 1_000_000)
    {
        var lake = new LakeSink(_root, SinkTopics.Default, Input, recentIds, beforeCommit: beforeCommit);
        lake.Open();
        return lake;
    }

    private static SinkBatch Batch(IEnumerable<SinkRecord> records) => new(Group, records.ToList());

    private static ILakeTable Table(LakeSink lake, string name) => lake.Tables.Single(t => t.Name == name);

    private void AssertProtocolKept(LakeSink lake)
    {
        foreach (var table in lake.Tables) Assert.Empty(DeltaLogChecker.Problems(table, _duck));
    }

    [Fact]
    public void silver_events_read_back_with_duckdb_equal_the_enriched_records()
    {
        using var lake = Open();
        lake.Write(Batch(Records));

        var expected = Records.Where(r => r.Topic == SinkTopics.Default.Enriched).Select(r => OutputRowParser.Event(r.Value))
            .DistinctBy(e => e.EventId)
            .Select(e => $"{e.EventId}|{e.EventType}|{e.Timestamp}|{e.UserId}|{e.RevenueCents}|{e.ProductId}|{DateOnly.FromDateTime(DateTime.UnixEpoch.AddMilliseconds(e.Timestamp)):yyyy-MM-dd}")
            .Order(StringComparer.Ordinal).ToList();
        var source = LakeReader.Source(Table(lake, "silver/events"))!;
        var actual = LakeReader.Rows(_duck, $"SELECT event_id, event_type, epoch_ms(event_time), user_id, revenue_cents, product_id, strftime(event_date, '%Y-%m-%d') FROM {source}")
            .Select(r => string.Join("|", r)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal("DATE", LakeReader.Scalar<string>(_duck, $"SELECT typeof(event_date) FROM {source} LIMIT 1"));
        Assert.Equal("ZSTD", LakeReader.Scalar<string>(_duck,
            $"SELECT DISTINCT compression FROM parquet_metadata('{Path.Combine(Table(lake, "silver/events").Log.TableRoot, Table(lake, "silver/events").Snapshot.Files.Keys.First())}')"));
        AssertProtocolKept(lake);
    }

    [Fact]
    public void bronze_holds_every_input_record_byte_for_byte_including_invalid_ones()
    {
        var t0 = new DateTimeOffset(2026, 11, 21, 23, 59, 59, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var inputs = new List<SinkRecord>
        {
            new(Input, 0, 0, t0, Encoding.UTF8.GetBytes("u-1"), Encoding.UTF8.GetBytes("{\"event_id\":\"x\"}")),
            new(Input, 0, 1, t0 + 2_000, null, [0xFF, 0x00, 0xC3, 0x28]),
            new(Input, 1, 0, t0 + 1, Encoding.UTF8.GetBytes("u-2"), []),
            new(Input, 1, 1, t0 + 5_000, Encoding.UTF8.GetBytes("u-2"), null),
        };
        using var lake = Open();
        lake.Write(Batch(inputs));

        var bronze = Table(lake, "bronze/events");
        var rows = LakeReader.Rows(_duck, $"SELECT topic, partition, \"offset\", epoch_ms(\"timestamp\"), key, value, strftime(event_date, '%Y-%m-%d') FROM {LakeReader.Source(bronze)} ORDER BY partition, \"offset\"");
        Assert.Equal(inputs.Count, rows.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.Equal((inputs[i].Topic, inputs[i].Partition, inputs[i].Offset, inputs[i].Timestamp), ((string)rows[i][0]!, (int)rows[i][1]!, (long)rows[i][2]!, (long)rows[i][3]!));
            Assert.Equal(inputs[i].Key, (byte[]?)rows[i][4]);
            Assert.Equal(inputs[i].Value, (byte[]?)rows[i][5]);
        }
        Assert.Equal(["2026-11-21", "2026-11-22"], rows.Select(r => (string)r[6]!).Distinct().Order().ToArray());
        Assert.Equal(new Dictionary<SinkPartition, long> { [new(Input, 0)] = 2, [new(Input, 1)] = 2 }, lake.ReadOffsets(Group));
        AssertProtocolKept(lake);
    }

    [Fact]
    public void a_replayed_batch_commits_nothing_to_any_table()
    {
        using var lake = Open();
        lake.Write(Batch(Records));
        var versions = lake.Tables.Select(t => t.Snapshot.Version).ToList();
        using (var again = Open()) again.Write(Batch(Records));
        using var reopened = Open();
        Assert.Equal(versions, reopened.Tables.Select(t => t.Snapshot.Version).ToList());
        AssertProtocolKept(reopened);
    }

    [Fact]
    public void rows_a_processor_replay_wrote_again_land_once_even_after_reopening()
    {
        // 1. The outputs land.
        using (var lake = Open()) lake.Write(Batch(Records));
        var expected = SinkTestData.ExpectedRows(Records);

        // 2. A processor replay writes the same outputs again, at later offsets; a restarted sink reads them.
        var high = Records.Max(r => r.Offset) + 1;
        using var restarted = Open();
        restarted.Write(Batch(Records.Select(r => r with { Offset = r.Offset + high })));

        // 3. Each id once in every table (the restarted sink knew them from the files' id columns); the offsets moved past the repeats.
        var tables = new Dictionary<string, OutputKind>
        {
            ["silver/events"] = OutputKind.Enriched, ["silver/bot_events"] = OutputKind.Bots, ["silver/dead_letters"] = OutputKind.DeadLetters,
            ["silver/late_events"] = OutputKind.Late, ["gold/window_aggregates"] = OutputKind.Aggregated, ["gold/sessions"] = OutputKind.Sessions,
        };
        Assert.All(tables, t => Assert.Equal(expected[t.Value], LakeReader.Count(_duck, Table(restarted, t.Key))));
        Assert.All(tables, t => Assert.True(expected[t.Value] > 0, $"no {t.Value} in the test data"));
        Assert.All(restarted.ReadOffsets(Group), o => Assert.True(o.Value > high, $"{o.Key} at {o.Value}"));
        AssertProtocolKept(restarted);
    }

    [Fact]
    public void a_crash_between_the_parquet_files_and_the_commit_leaves_files_that_are_not_live_and_vacuum_deletes_them()
    {
        // 1. A first batch lands.
        var first = Records.Take(1_000).ToList();
        using (var lake = Open()) lake.Write(Batch(first));
        using var reader = Open();
        var before = reader.Tables.ToDictionary(t => t.Name, t => LakeReader.Fingerprint(_duck, t));

        // 2. The next batch's files are written, then the process dies before any log commit. A failed write deletes its
        //    staged files; a killed process cannot, so the hook keeps copies of them where they were, as a crash leaves them.
        var orphans = new List<string>();
        using (var crashing = Open(beforeCommit: () =>
        {
            foreach (var file in Directory.EnumerateFiles(_root, "*.parquet", SearchOption.AllDirectories).Where(f => !f.Contains("_delta_log")).ToList())
            {
                var copy = Path.Combine(Path.GetDirectoryName(file)!, "crashed-" + Path.GetFileName(file));
                File.Copy(file, copy);
                orphans.Add(copy);
            }
            throw new IOException("injected: the process dies before its commit");
        }))
        {
            Assert.Throws<SluiceException>(() => crashing.Write(Batch(Records.Skip(1_000))));
        }
        Assert.NotEmpty(orphans);

        // 3. The orphans are on disk, not live: readers and offsets see the first batch only.
        using var afterCrash = Open();
        Assert.All(orphans, o => Assert.True(File.Exists(o)));
        Assert.Equal(before, afterCrash.Tables.ToDictionary(t => t.Name, t => LakeReader.Fingerprint(_duck, t)));
        Assert.Equal(Batch(first).NextOffsets.OrderBy(p => p.Key.ToString()), afterCrash.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
        AssertProtocolKept(afterCrash);

        // 4. The restarted sink writes the rest; vacuum deletes the orphans; a folder glob then reads exactly the live rows.
        afterCrash.Write(Batch(Records.Skip(1_000)));
        var deleted = afterCrash.Tables.Sum(t => t.Vacuum(TimeSpan.Zero).Files);
        Assert.Equal(orphans.Count, deleted);
        Assert.All(orphans, o => Assert.False(File.Exists(o)));
        var events = Table(afterCrash, "silver/events");
        Assert.Equal(SinkTestData.ExpectedRows(Records)[OutputKind.Enriched],
            LakeReader.Scalar<long>(_duck, $"SELECT count(*) FROM read_parquet('{events.Log.TableRoot}/**/*.parquet', hive_partitioning = true)"));
        AssertProtocolKept(afterCrash);
    }

    [Fact]
    public void compaction_rewrites_each_partition_into_one_file_with_the_same_rows()
    {
        using var lake = Open();
        foreach (var chunk in Records.Chunk(250)) lake.Write(Batch(chunk));
        var events = Table(lake, "silver/events");
        Assert.True(events.Snapshot.Files.Count > 10, $"only {events.Snapshot.Files.Count} files: the test needs small files");
        var before = lake.Tables.ToDictionary(t => t.Name, t => LakeReader.Fingerprint(_duck, t));
        var offsets = lake.ReadOffsets(Group);

        foreach (var table in lake.Tables) table.Compact();

        foreach (var table in lake.Tables)
        {
            var perPartition = table.Snapshot.Files.Values.GroupBy(a => a.PartitionValues["event_date"]);
            Assert.All(perPartition, p => Assert.Single(p));
        }
        Assert.Equal(before, lake.Tables.ToDictionary(t => t.Name, t => LakeReader.Fingerprint(_duck, t)));
        Assert.Equal(offsets, lake.ReadOffsets(Group));
        var last = events.Log.ReadCommit(events.Snapshot.Version).ToList();
        Assert.Contains(last, a => a.Remove is { DataChange: false });
        Assert.All(last.Where(a => a.Add is not null), a => Assert.False(a.Add!.DataChange));
        Assert.Equal("OPTIMIZE", last.Single(a => a.CommitInfo is not null).CommitInfo!["operation"]!.GetValue<string>());
        AssertProtocolKept(lake);

        // The removed files stay until vacuum; then the folder holds the live files only.
        Assert.True(events.Vacuum(TimeSpan.Zero).Files > 10);
        Assert.Equal(events.Snapshot.Files.Count, Directory.EnumerateFiles(events.Log.TableRoot, "*.parquet", SearchOption.AllDirectories).Count(f => !f.Contains("_delta_log")));
    }

    [Fact]
    public void a_checkpoint_every_ten_commits_equals_the_replay_of_the_json_and_the_state_reads_from_it()
    {
        // 1. 25 commits to silver/events (version 0 creates the table).
        var enriched = Records.Where(r => r.Topic == SinkTopics.Default.Enriched).ToList();
        using (var lake = Open())
            foreach (var chunk in enriched.Chunk(enriched.Count / 25 + 1)) lake.Write(Batch(chunk));
        using var reader = Open();
        var events = Table(reader, "silver/events");
        Assert.True(events.Snapshot.Version >= 20, $"version {events.Snapshot.Version}");
        Assert.Equal(20, events.Log.ReadLastCheckpoint()!.Version);
        Assert.True(File.Exists(Path.Combine(events.Log.LogDirectory, DeltaLog.CheckpointName(10))));
        AssertProtocolKept(reader);
        var expected = LakeReader.Fingerprint(_duck, events);
        var offsets = reader.ReadOffsets(Group);

        // 2. The commits the checkpoint covers are deleted, as log cleanup may: the state still reads whole.
        for (var v = 0; v <= 20; v++) File.Delete(events.Log.CommitPath(v));
        using var fromCheckpoint = Open();
        var table = Table(fromCheckpoint, "silver/events");
        Assert.Equal(events.Snapshot.Version, table.Snapshot.Version);
        Assert.Equal(expected, LakeReader.Fingerprint(_duck, table));
        Assert.Equal(offsets, fromCheckpoint.ReadOffsets(Group));
    }

    [Fact]
    public void of_two_writers_racing_for_a_version_one_commits_and_the_other_retries_without_duplicating()
    {
        var enriched = Records.Where(r => r.Topic == SinkTopics.Default.Enriched).ToList();
        var mine = enriched.Where(r => r.Partition == 0).ToList();
        var theirs = enriched.Where(r => r.Partition == 1).ToList();
        using var other = Open();
        var raced = false;
        using var lake = Open(beforeCommit: () =>
        {
            // Between staging and committing, another member of the group commits the version this write meant to take.
            if (raced) return;
            raced = true;
            other.Write(Batch(theirs));
        });

        var ex = Assert.Throws<SluiceException>(() => lake.Write(Batch(mine)));
        Assert.True(ex.IsTransient);
        Assert.Contains("committed by another writer first", ex.Message);
        lake.Write(Batch(mine));

        var expected = SinkTestData.ExpectedRows(mine.Concat(theirs))[OutputKind.Enriched];
        Assert.Equal(expected, LakeReader.Count(_duck, Table(lake, "silver/events")));
        Assert.Equal(Batch(mine.Concat(theirs)).NextOffsets.OrderBy(p => p.Key.ToString()), lake.ReadOffsets(Group).OrderBy(p => p.Key.ToString()));
        AssertProtocolKept(lake);
    }

    [Fact]
    public void a_log_version_is_created_once_whoever_asks()
    {
        var log = new DeltaLog(Path.Combine(_root, "t"));
        log.Commit(0, [new DeltaAction { Protocol = new ProtocolAction() }]);
        var ex = Assert.Throws<DeltaConflictException>(() => log.Commit(0, [new DeltaAction { Protocol = new ProtocolAction { MinWriterVersion = 7 } }]));
        Assert.Equal(0, ex.Version);
        Assert.Equal(2, log.Read().Protocol!.MinWriterVersion);
        Assert.Empty(Directory.EnumerateFiles(log.LogDirectory, "*.tmp"));
    }

    [Fact]
    public void a_lake_path_that_is_a_file_is_refused_naming_the_key()
    {
        var file = Path.Combine(_root, "not-a-folder");
        File.WriteAllText(file, "x");
        using var lake = new LakeSink(Path.Combine(file, "lake"), SinkTopics.Default, Input);
        var ex = Assert.Throws<ConfigurationException>(() => lake.Open());
        Assert.Contains("lake.path", ex.Message);
    }
}

/// <summary>The protocol checker itself: a log that breaks the protocol is reported, so a clean report means something.</summary>
public sealed class DeltaLogCheckerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-lake-checker-").FullName;
    private readonly DuckDB.NET.Data.DuckDBConnection _duck = LakeReader.Connect();

    public void Dispose()
    {
        _duck.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private ILakeTable Events()
    {
        var lake = new LakeSink(_root, SinkTopics.Default, "clickstream.events");
        lake.Open();
        lake.Write(new SinkBatch("g", SinkTestData.Outputs(600, seed: 3).Where(r => r.Topic == SinkTopics.Default.Enriched).ToList()));
        return lake.Tables.Single(t => t.Name == "silver/events");
    }

    [Fact]
    public void a_missing_data_file_is_reported()
    {
        var events = Events();
        File.Delete(Path.Combine(events.Log.TableRoot, events.Snapshot.Files.Keys.First()));
        Assert.Contains(DeltaLogChecker.Problems(events, _duck), p => p.Contains("added but missing"));
    }

    [Fact]
    public void a_gap_in_the_versions_is_reported()
    {
        var events = Events();
        File.Move(events.Log.CommitPath(1), events.Log.CommitPath(3));
        Assert.Contains(DeltaLogChecker.Problems(events, _duck), p => p.Contains("versions jump from 0 to 3"));
    }

    [Fact]
    public void stats_that_miscount_the_rows_are_reported()
    {
        var events = Events();
        var path = events.Log.CommitPath(1);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\\\"numRecords\\\":", "\\\"numRecords\\\":1", StringComparison.Ordinal));
        var reread = new LakeSink(_root, SinkTopics.Default, "clickstream.events");
        reread.Open();
        Assert.Contains(DeltaLogChecker.Problems(reread.Tables.Single(t => t.Name == "silver/events"), _duck), p => p.Contains("stats say"));
    }
}
