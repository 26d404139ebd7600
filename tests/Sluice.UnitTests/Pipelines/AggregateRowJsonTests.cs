using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Pipelines.Clickstream;

namespace Sluice.UnitTests.Pipelines;

/// <summary>An aggregate row's hand-written JSON against the same fields written by <see cref="Utf8JsonWriter"/>: byte for byte.</summary>
public class AggregateRowJsonTests
{
    private static readonly double[] Special =
    [
        0, -0.0, 1, -1, 0.1, 0.2, 1.0 / 3, 2.0 / 3, 100, 1999, 1e15, 1e16, 1e17, 123456789012345680, 1e21, 1e22, 1e-5, 1e-7,
        5e-324, double.Epsilon, double.MaxValue, double.MinValue, 1.7976931348623157E+308, 4.9406564584124654E-324,
        2.2250738585072014E-308, 0.30000000000000004, 9007199254740993, long.MaxValue, int.MinValue,
    ];

    [Fact]
    public void rows_with_hostile_strings_and_any_finite_double_are_written_exactly_as_utf8jsonwriter_writes_them()
    {
        var random = new Random(9);
        var hostile = JsonOutputFixture.Hostile;
        var doubles = new List<double>(Special);
        while (doubles.Count < 20_000)
        {
            // Raw bit patterns cover every exponent; ratios and integers are what the aggregates produce.
            var d = random.Next(3) switch
            {
                0 => BitConverter.Int64BitsToDouble(random.NextInt64()),
                1 => (double)random.Next(0, 10_000) / random.Next(1, 10_000),
                _ => random.NextInt64(-1L << 53, 1L << 53),
            };
            if (double.IsFinite(d)) doubles.Add(d);
        }
        foreach (var value in doubles)
        {
            var row = new AggregateRow(hostile[random.Next(hostile.Length)], random.NextInt64(), random.NextInt64(), random.Next(int.MinValue, int.MaxValue),
                hostile[random.Next(hostile.Length)], hostile[random.Next(hostile.Length)], hostile[random.Next(hostile.Length)], value);
            var expected = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(expected, JsonOutputFixture.Options)) Reference(w, row);
            var actual = new JsonOutputFixture.StingyBufferWriter();
            ClickstreamJson.Write(row, actual);
            Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(actual.Written));
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void a_value_json_cannot_hold_is_refused_as_the_json_writer_refuses_it(double value)
    {
        var row = new AggregateRow("events_1m", 0, 60_000, 0, "all", "all", "events", value);
        Assert.Throws<ArgumentException>(() => ClickstreamJson.Write(row, new ArrayBufferWriter<byte>()));
        using var w = new Utf8JsonWriter(new ArrayBufferWriter<byte>());
        Assert.Throws<ArgumentException>(() => w.WriteNumberValue(value));
    }

    [Fact]
    public void a_row_inside_a_json_writer_is_the_same_object()
    {
        var row = new AggregateRow("commerce_5m", 300_000, 600_000, 1, "all", "all", "conversion_rate_sessions", 0.25);
        using var doc = JsonDocument.Parse(ClickstreamJson.Bytes(row, ClickstreamJson.Write));
        Assert.Equal(8, doc.RootElement.EnumerateObject().Count());
        Assert.Equal(0.25, doc.RootElement.GetProperty("value").GetDouble());
        Assert.Equal("conversion_rate_sessions", doc.RootElement.GetProperty("metric").GetString());
    }

    // The independent implementation: every field through Utf8JsonWriter, in the documented order.
    private static void Reference(Utf8JsonWriter w, AggregateRow r)
    {
        w.WriteStartObject();
        w.WriteString("aggregate", r.Aggregate);
        w.WriteNumber("window_start", r.WindowStart);
        w.WriteNumber("window_end", r.WindowEnd);
        w.WriteNumber("partition", r.Partition);
        w.WriteString("dimension", r.Dimension);
        w.WriteString("dimension_value", r.DimensionValue);
        w.WriteString("metric", r.Metric);
        w.WriteNumber("value", r.Value);
        w.WriteEndObject();
    }
}
