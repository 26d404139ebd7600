using Sluice.App.Ingest;
using Sluice.Core.Errors;
using Sluice.TestKit;

namespace Sluice.UnitTests.Ingest;

public sealed class IngestManifestTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IngestManifest.Entry Entry(string name, string sha) =>
        new() { Name = name, Size = 10, Sha256 = sha, Rows = 7, Events = 6, DeadLetters = 1, Outcome = IngestOutcome.Processed, StartedAt = DateTimeOffset.UnixEpoch, FinishedAt = DateTimeOffset.UnixEpoch.AddSeconds(1) };

    [Fact]
    public void a_saved_manifest_reads_back_and_finds_files_by_size_and_checksum_not_by_name()
    {
        var manifest = IngestManifest.Load(_dir.Path);
        manifest.Add(Entry("a.jsonl", "aa"));
        manifest.Save();

        var read = IngestManifest.Load(_dir.Path);

        var entry = Assert.Single(read.Entries);
        Assert.Equal(("a.jsonl", 10L, "aa", 7L, 6L, 1L, IngestOutcome.Processed), (entry.Name, entry.Size, entry.Sha256, entry.Rows, entry.Events, entry.DeadLetters, entry.Outcome));
        Assert.Same(entry, read.Find(10, "aa"));
        Assert.Null(read.Find(11, "aa"));
        Assert.Null(read.Find(10, "ab"));
        Assert.False(File.Exists(read.Path + ".tmp"));
    }

    [Fact]
    public void a_save_torn_by_a_crash_leaves_the_previous_manifest_whole()
    {
        var manifest = IngestManifest.Load(_dir.Path);
        manifest.Add(Entry("a.jsonl", "aa"));
        manifest.Save();
        // A crash during the next save: its temporary file half written, the rename never done.
        File.WriteAllText(manifest.Path + ".tmp", "{\"version\":1,\"files\":[{\"name\":\"b.js");

        var read = IngestManifest.Load(_dir.Path);

        Assert.Equal("a.jsonl", Assert.Single(read.Entries).Name);
        read.Add(Entry("b.jsonl", "bb"));
        read.Save();
        Assert.Equal(2, IngestManifest.Load(_dir.Path).Entries.Count);
    }

    [Fact]
    public void an_unreadable_manifest_stops_the_source_instead_of_reading_every_file_again()
    {
        File.WriteAllText(Path.Combine(_dir.Path, IngestManifest.FileName), "not json");

        var ex = Assert.Throws<SluiceException>(() => IngestManifest.Load(_dir.Path));

        Assert.Contains(IngestManifest.FileName, ex.Message, StringComparison.Ordinal);
        Assert.Contains("produced again", ex.Message, StringComparison.Ordinal);
    }
}
