using Sluice.Generate;
using Sluice.Generate.Sinks;

namespace Sluice.UnitTests.Generate;

public class StreamSinkTests
{
    [Fact]
    public void writes_one_line_per_record_and_leaves_the_stream_open_when_asked()
    {
        var stream = new MemoryStream();
        var generator = new ClickstreamGenerator(new GeneratorSettings { Users = 200, Products = 50, MaxEvents = 500, Cdc = false });
        using (var sink = new StreamSink(stream, leaveOpen: true))
        {
            GeneratorRunner.Run(generator, sink);
        }
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(500, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.True(stream.CanWrite);
    }

    [Fact]
    public void null_sink_counts_records_and_bytes()
    {
        var sink = new NullSink();
        var summary = GeneratorRunner.Run(new ClickstreamGenerator(new GeneratorSettings { Users = 200, MaxEvents = 1_000, Cdc = false }), sink);
        Assert.Equal(1_000, sink.Records);
        Assert.Equal(summary.Records, sink.Records);
        Assert.True(sink.Bytes > 1_000 * 300);
    }
}
