using Sluice.Generate;
using Sluice.Generate.Writers;

namespace Sluice.UnitTests.Generate;

public class StreamTrafficWriterTests
{
    [Fact]
    public void writes_one_line_per_record_and_leaves_the_stream_open_when_asked()
    {
        var stream = new MemoryStream();
        var generator = new ClickstreamGenerator(new GeneratorSettings { Users = 200, Products = 50, MaxEvents = 500, Cdc = false });
        using (var writer = new StreamTrafficWriter(stream, leaveOpen: true))
        {
            GeneratorRunner.Run(generator, writer);
        }
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(500, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.True(stream.CanWrite);
    }

    [Fact]
    public void null_sink_counts_records_and_bytes()
    {
        var writer = new NullTrafficWriter();
        var summary = GeneratorRunner.Run(new ClickstreamGenerator(new GeneratorSettings { Users = 200, MaxEvents = 1_000, Cdc = false }), writer);
        Assert.Equal(1_000, writer.Records);
        Assert.Equal(summary.Records, writer.Records);
        Assert.True(writer.Bytes > 1_000 * 300);
    }
}

public class GeneratorRunnerTests
{
    [Fact]
    public void cancellation_stops_between_records_and_reports_it()
    {
        using var cts = new CancellationTokenSource();
        var writer = new NullTrafficWriter();
        var settings = new GeneratorSettings { Users = 200, MaxEvents = 0, Duration = TimeSpan.FromDays(365), Cdc = false };
        var summary = GeneratorRunner.Run(new ClickstreamGenerator(settings), writer, progress: p =>
        {
            if (p.Records >= 50_000) cts.Cancel();
        }, cancellationToken: cts.Token);
        Assert.True(summary.Cancelled);
        Assert.Equal(writer.Records, summary.Records);
        Assert.InRange(summary.Records, 50_000, 70_000);
    }

    [Fact]
    public void progress_reports_the_final_position()
    {
        RunProgress last = default;
        var generator = new ClickstreamGenerator(new GeneratorSettings { Users = 200, MaxEvents = 1_234 });
        var summary = GeneratorRunner.Run(generator, new NullTrafficWriter(), progress: p => last = p);
        Assert.Equal(summary.Records, last.Records);
        Assert.Equal(1_234, last.ClickRecords);
        Assert.Equal(generator.Clock, last.EventClock);
    }
}
