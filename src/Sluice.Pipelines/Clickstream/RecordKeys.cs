using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Sluice.Pipelines.Clickstream;

/// <summary>Writes the Kafka keys of the aggregated and sessions outputs as UTF-8, the same bytes as their <c>ToString()</c>.</summary>
public static class RecordKeys
{
    /// <summary>"{aggregate}|{window start}|{dimension}={value}|{partition}|{metric}".</summary>
    public static void Write(AggregateRowKey key, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var row = key.Row;
        Text(row.Aggregate, output);
        Separator((byte)'|', output);
        Number(row.WindowStart, output);
        Separator((byte)'|', output);
        Text(row.Dimension, output);
        Separator((byte)'=', output);
        Text(row.DimensionValue, output);
        Separator((byte)'|', output);
        Number(row.Partition, output);
        Separator((byte)'|', output);
        Text(row.Metric, output);
    }

    /// <summary>"{user or session}|{start}".</summary>
    public static void Write(SessionKey key, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Text(key.Key, output);
        Separator((byte)'|', output);
        Number(key.Start, output);
    }

    private static void Text(string text, IBufferWriter<byte> output) =>
        output.Advance(Encoding.UTF8.GetBytes(text, output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));

    private static void Separator(byte separator, IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = separator;
        output.Advance(1);
    }

    private static void Number(long value, IBufferWriter<byte> output)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var written);
        output.Advance(written);
    }
}
