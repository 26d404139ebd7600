using System.Buffers;
using System.Text;
using Sluice.Pipelines.Clickstream;
using Sluice.Streaming.Kafka;

namespace Sluice.UnitTests.Pipelines;

public class RecordKeysTests
{
    private static readonly string[] Texts = ["u1", "", "a|b=c", "ünïcødé", "日本語", "emoji 😀", "tab\tand\nnewline", new string('x', 3000)];
    private static readonly long[] Numbers = [0, 1, -1, 1_767_218_400_000, long.MaxValue, long.MinValue];

    [Fact]
    public void session_keys_are_written_as_the_utf8_of_their_text()
    {
        var count = 0;
        foreach (var text in Texts)
            foreach (var start in Numbers)
            {
                var key = new SessionKey(text, start);
                Assert.Equal(Encoding.UTF8.GetBytes($"{text}|{start}"), Bytes(key, RecordKeys.Write));
                count++;
            }
        Assert.Equal(Texts.Length * Numbers.Length, count);
    }

    [Fact]
    public void aggregate_row_keys_are_written_as_the_utf8_of_the_row_key()
    {
        foreach (var text in Texts)
            foreach (var start in Numbers)
            {
                var row = new AggregateRow(AggregateNames.Products1h, start, start, (int)(start & 0xFFFF), "product", text, "revenue_cents", 1.5);
                Assert.Equal(Encoding.UTF8.GetBytes(row.Key), Bytes(new AggregateRowKey(row), RecordKeys.Write));
                Assert.Equal(row.Key, new AggregateRowKey(row).ToString());
            }
    }

    [Fact]
    public void the_topology_serializers_write_both_keys_through_a_buffer_that_gives_no_more_room_than_asked()
    {
        var serializers = ClickstreamJson.RegisterAll(new RecordSerializers());
        var key = new SessionKey("日本語|user", -42);
        var output = new TightBuffer();
        serializers.For<SessionKey>()(key, output);
        Assert.Equal(Encoding.UTF8.GetBytes(key.ToString()), output.Written.ToArray());

        var row = new AggregateRow(AggregateNames.Events1m, 60_000, 120_000, 3, "event_type", "page_view", "events", 7);
        output = new TightBuffer();
        serializers.For<AggregateRowKey>()(new AggregateRowKey(row), output);
        Assert.Equal("events_1m|60000|event_type=page_view|3|events", Encoding.UTF8.GetString(output.Written.ToArray()));
    }

    private static byte[] Bytes<T>(T key, Action<T, IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1);
        write(key, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Hands out exactly the size asked for, so a writer that assumes spare room fails.</summary>
    private sealed class TightBuffer : IBufferWriter<byte>
    {
        private byte[] _data = [];
        private int _written;
        private byte[]? _lent;

        public ReadOnlySpan<byte> Written => _data.AsSpan(0, _written);

        public void Advance(int count)
        {
            Assert.NotNull(_lent);
            Assert.InRange(count, 0, _lent.Length);
            Array.Resize(ref _data, _written + count);
            _lent.AsSpan(0, count).CopyTo(_data.AsSpan(_written));
            _written += count;
            _lent = null;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _lent = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => _lent = new byte[Math.Max(sizeHint, 1)];
    }
}
