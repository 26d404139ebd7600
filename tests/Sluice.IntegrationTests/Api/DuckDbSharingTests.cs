using DuckDB.NET.Data;
using Sluice.IntegrationTests.Sinks;
using Sluice.Serve.Api;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.TestKit;
using Xunit;

namespace Sluice.IntegrationTests.Api;

/// <summary>
/// How DuckDB.NET shares a database file within one process, which decides how the demo's API reads the warehouse its
/// own DuckDB sink writes: one instance per full path, whatever access mode later connections ask for.
/// </summary>
public sealed class DuckDbSharingTests : IDisposable
{
    private readonly TempDirectory _dir = new("sluice-share-");
    private readonly List<SinkRecord> _records = SinkTestData.Outputs(1_500, seed: 5);

    public void Dispose() => _dir.Dispose();

    private List<SinkRecord> Events => [.. _records.Where(r => r.Topic == SinkTopics.Default.Enriched)];

    [Fact]
    public void a_reader_in_the_sinks_process_sees_each_batch_as_the_sink_commits_it()
    {
        var path = _dir.File("w.duckdb");
        using var sink = new DuckDbSink(path, SinkTopics.Default);
        sink.Open();
        var reader = new DuckDbWarehouseReader(path, inProcessWithSink: true);
        var events = Events;
        sink.Write(new SinkBatch("first", events.Take(events.Count / 2).ToList()));
        var first = reader.Categories().Sum(c => c.Views + c.CartAdds + c.Purchases);
        sink.Write(new SinkBatch("second", events.Skip(events.Count / 2).ToList()));
        var second = reader.Categories().Sum(c => c.Views + c.CartAdds + c.Purchases);
        Assert.True(first > 0, "the first batch should be visible");
        Assert.True(second > first, $"the second batch should be visible: {first} then {second}");
        // The sink still writes after the reader's connections came and went.
        sink.Write(new SinkBatch("again", events.Take(10).ToList()));
    }

    [Fact]
    public void a_read_only_connection_in_the_sinks_process_is_handed_the_sinks_read_write_instance()
    {
        var path = _dir.File("w.duckdb");
        using var sink = new DuckDbSink(path, SinkTopics.Default);
        sink.Open();
        sink.Write(new SinkBatch("b", Events));
        // In another process this open would fail on DuckDB's lock; in this one DuckDB.NET returns the cached instance,
        // and its access mode is the sink's: the "read-only" connection can write.
        using var readOnly = DuckDbWarehouse.OpenReadOnly(path);
        using var cmd = readOnly.CreateCommand();
        cmd.CommandText = "CREATE TABLE written_through_a_read_only_connection (x INTEGER)";
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void a_read_only_connection_opened_before_the_sink_makes_the_sinks_instance_read_only()
    {
        var path = _dir.File("w.duckdb");
        using (var sink = new DuckDbSink(path, SinkTopics.Default))
        {
            sink.Open();
            sink.Write(new SinkBatch("b", Events.Take(10).ToList()));
        }
        // Why the demo's reader opens the path exactly as the sink does, never read-only.
        using var readOnly = DuckDbWarehouse.OpenReadOnly(path);
        using var late = new DuckDbSink(path, SinkTopics.Default);
        var ex = Record.Exception(() =>
        {
            late.Open();
            late.Write(new SinkBatch("c", Events.Skip(10).Take(10).ToList()));
        });
        Assert.NotNull(ex);
        Assert.Contains("read-only", ex.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void the_process_reader_opens_a_file_no_one_writes_read_only_and_answers()
    {
        var path = _dir.File("w.duckdb");
        using (var sink = new DuckDbSink(path, SinkTopics.Default))
        {
            sink.Open();
            sink.Write(new SinkBatch("b", _records));
        }
        var reader = new DuckDbWarehouseReader(path, inProcessWithSink: false);
        Assert.True(reader.Funnel().Sessions > 0);
        // Nothing stays open: the next connection opens the file afresh, read-write, and can write.
        using var writer = new DuckDBConnection($"DataSource={Path.GetFullPath(path)}");
        writer.Open();
        using var cmd = writer.CreateCommand();
        cmd.CommandText = "CREATE TABLE written_after_the_reader (x INTEGER)";
        cmd.ExecuteNonQuery();
    }
}
