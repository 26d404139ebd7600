using System.Globalization;
using System.Text.Json.Nodes;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Tables;

/// <summary>Column-by-column comparison of two rows of one table: a row read back from a store against the one that should be there.</summary>
/// <remarks>
/// JSON columns compare as documents (PostgreSQL's jsonb reorders keys and respaces), bytes by content, doubles exactly
/// (the sinks store what the processor computed). An ignored entry is a column name, or <c>column.field</c> for a field
/// of a JSON column's top-level object.
/// </remarks>
public static class RowComparison
{
    /// <summary>The columns in which <paramref name="actual"/> differs from <paramref name="expected"/>, each as "column: X expected, Y found".</summary>
    public static List<string> Differences<T>(OutputTable<T> table, T expected, T actual, IReadOnlyCollection<string> ignored) where T : OutputRow, new()
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ignored);
        var want = Values(table, expected);
        var got = Values(table, actual);
        var found = new List<string>();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (ignored.Contains(column.Name)) continue;
            var same = column.Type == ColumnType.Json
                ? JsonNode.DeepEquals(Json((string)want[i]!, column.Name, ignored), Json((string)got[i]!, column.Name, ignored))
                : Equal(want[i], got[i]);
            if (!same) found.Add($"{column.Name}: {Show(want[i])} expected, {Show(got[i])} found");
        }
        return found;
    }

    /// <summary>The row's values in table order, as the column writers receive them (timestamps as epoch milliseconds).</summary>
    public static object?[] Values<T>(OutputTable<T> table, T row) where T : OutputRow, new()
    {
        ArgumentNullException.ThrowIfNull(table);
        var capture = new Capture(table.Columns.Count);
        table.Write(row, capture);
        return capture.Values.ToArray();
    }

    private static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (double x, double y) => x.Equals(y),
        _ => Equals(a, b),
    };

    private static JsonNode? Json(string text, string column, IReadOnlyCollection<string> ignored)
    {
        var node = JsonNode.Parse(text);
        if (node is JsonObject o)
            foreach (var path in ignored.Where(p => p.StartsWith(column + ".", StringComparison.Ordinal)))
                o.Remove(path[(column.Length + 1)..]);
        return node;
    }

    private static string Show(object? value)
    {
        var text = value switch
        {
            null => "null",
            byte[] b => $"{b.Length} bytes",
            string s => $"'{s}'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        return text.Length <= 60 ? text : text[..57] + "...";
    }

    private sealed class Capture(int columns) : IColumnWriter
    {
        public List<object?> Values { get; } = new(columns);

        public void Text(string? value) => Values.Add(value);
        public void Integer(int? value) => Values.Add(value);
        public void BigInt(long? value) => Values.Add(value);
        public void Double(double? value) => Values.Add(value);
        public void Boolean(bool? value) => Values.Add(value);
        public void Date(DateOnly? value) => Values.Add(value);
        public void Timestamp(long? epochMs) => Values.Add(epochMs);
        public void Bytes(byte[]? value) => Values.Add(value);
        public void Json(string value) => Values.Add(value);
    }
}
