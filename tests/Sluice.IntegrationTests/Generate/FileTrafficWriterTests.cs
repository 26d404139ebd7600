using System.Text;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Manifests;
using Sluice.Generate.Writers;

namespace Sluice.IntegrationTests.Generate;

public sealed class FileTrafficWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-filewriter-" + Guid.NewGuid().ToString("N"));

    private static readonly GeneratorSettings Settings = new() { Users = 500, Products = 100, MaxEvents = 2_500, CdcRate = 0.01 };

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private RunSummary Produce(FileFormat format, int maxRecords, ManifestBuilder? manifest = null)
    {
        using var writer = new FileTrafficWriter(_dir, format, maxRecords);
        return GeneratorRunner.Run(new ClickstreamGenerator(Settings), writer, manifest: manifest);
    }

    [Fact]
    public void jsonl_files_rotate_and_only_complete_files_remain()
    {
        var manifest = new ManifestBuilder();
        var summary = Produce(FileFormat.Jsonl, 1_000, manifest);

        var events = Directory.GetFiles(_dir, "clickstream-*.jsonl").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, events.Length);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.Equal(["clickstream-000001.jsonl", "clickstream-000002.jsonl", "clickstream-000003.jsonl"], events.Select(Path.GetFileName));
        var lines = events.SelectMany(File.ReadLines).ToList();
        Assert.Equal(2_500, lines.Count);
        var decoded = lines.Count(l => ClickEventJson.TryRead(Encoding.UTF8.GetBytes(l), out _, out _));
        // Everything decodes except the structural malformations, which must not.
        var structural = manifest.FaultCount(FaultKind.MissingFields) + manifest.FaultCount(FaultKind.UnknownEventType)
            + manifest.FaultCount(FaultKind.WrongTypes) + manifest.FaultCount(FaultKind.NotJson) + manifest.FaultCount(FaultKind.Oversized);
        Assert.Equal(2_500 - structural, decoded);

        var cdcLines = Directory.GetFiles(_dir, "users-cdc-*.jsonl").SelectMany(File.ReadLines).Count();
        Assert.Equal(summary.CdcRecords, cdcLines);
    }

    [Fact]
    public void a_second_run_continues_the_numbering_instead_of_overwriting()
    {
        Produce(FileFormat.Jsonl, 1_000);
        Produce(FileFormat.Jsonl, 1_000);
        var names = Directory.GetFiles(_dir, "clickstream-*.jsonl").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(6, names.Length);
        Assert.Equal("clickstream-000006.jsonl", names[^1]);
    }

    [Fact]
    public void csv_has_a_header_and_one_row_of_21_columns_per_event()
    {
        Produce(FileFormat.Csv, 10_000);
        var file = Assert.Single(Directory.GetFiles(_dir, "clickstream-*.csv"));
        var lines = File.ReadAllLines(file);
        Assert.StartsWith("event_id,event_type,timestamp,user_id,session_id,", lines[0], StringComparison.Ordinal);
        Assert.Equal(2_501, lines.Length);
        // Rows without quoted fields can be split naively; they must all have every column.
        var simple = lines.Skip(1).Where(l => !l.Contains('"', StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(simple);
        Assert.All(simple, l => Assert.Equal(21, l.Split(',').Length));
    }

    [Fact]
    public void unwritable_directory_gives_a_clear_error()
    {
        File.WriteAllText(_dir, "a file, not a directory");
        try
        {
            var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => new FileTrafficWriter(Path.Combine(_dir, "sub")));
            Assert.Contains("staging directory", ex.Message);
        }
        finally
        {
            File.Delete(_dir);
        }
    }
}
