using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace Sluice.Cli.Inspection;

/// <summary>A query's result on stdout: a readable table, CSV (RFC 4180, a header row) or a JSON array of objects.</summary>
/// <remarks>
/// Values are written the same way in all three: instants of TIMESTAMPTZ columns in UTC with "+00", dates as
/// yyyy-MM-dd, numbers in invariant culture at full precision, bytes as base64 (as \x hex in the table), lists and
/// structs as JSON. CSV and JSON stream row by row; the table holds at most <see cref="TableRows"/> rows and says how
/// many it left out.
/// </remarks>
internal static class QueryOutput
{
    public const int TableRows = 1_000;

    /// <summary>Writes every row of <paramref name="reader"/> as <paramref name="format"/>; returns the number of rows.</summary>
    public static long Write(DbDataReader reader, string format, TextWriter output) => format switch
    {
        "csv" => Csv(reader, output),
        "json" => Json(reader, output),
        _ => Table(reader),
    };

    private static long Table(DbDataReader reader)
    {
        var table = new Table().Border(TableBorder.Rounded);
        for (var i = 0; i < reader.FieldCount; i++)
            table.AddColumn(new TableColumn(Markup.Escape(reader.GetName(i))) { Alignment = IsNumber(reader.GetFieldType(i)) ? Justify.Right : Justify.Left });
        long rows = 0;
        while (reader.Read())
        {
            if (rows++ >= TableRows) continue;
            table.AddRow(Enumerable.Range(0, reader.FieldCount).Select(i => Markup.Escape(Text(reader, i, hexBytes: true) ?? "NULL")).ToArray());
        }
        table.Caption(rows > TableRows
            ? $"{rows:N0} rows, the first {TableRows:N0} shown; add LIMIT, or use --format csv for all"
            : rows == 1 ? "1 row" : $"{rows:N0} rows");
        AnsiConsole.Write(table);
        return rows;
    }

    private static long Csv(DbDataReader reader, TextWriter output)
    {
        output.WriteLine(string.Join(',', Enumerable.Range(0, reader.FieldCount).Select(i => CsvField(reader.GetName(i)))));
        long rows = 0;
        var fields = new string[reader.FieldCount];
        while (reader.Read())
        {
            // An empty field is NULL; an empty string is written quoted ("").
            for (var i = 0; i < fields.Length; i++) fields[i] = Text(reader, i, hexBytes: false) is { } v ? CsvField(v, quoteEmpty: true) : "";
            output.WriteLine(string.Join(',', fields));
            rows++;
        }
        output.Flush();
        return rows;
    }

    private static string CsvField(string value, bool quoteEmpty = false) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (quoteEmpty && value.Length == 0) ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;

    private static long Json(DbDataReader reader, TextWriter output)
    {
        using var stream = new MemoryStream();
        long rows = 0;
        output.Write('[');
        while (reader.Read())
        {
            stream.SetLength(0);
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    json.WritePropertyName(reader.GetName(i));
                    WriteJson(json, reader.IsDBNull(i) ? null : reader.GetValue(i), reader.GetDataTypeName(i));
                }
                json.WriteEndObject();
            }
            output.Write(rows++ == 0 ? "\n" : ",\n");
            output.Write(Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length));
        }
        output.WriteLine(rows == 0 ? "]" : "\n]");
        output.Flush();
        return rows;
    }

    private static void WriteJson(Utf8JsonWriter json, object? value, string type)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool b: json.WriteBooleanValue(b); break;
            case sbyte or byte or short or ushort or int or uint or long: json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: json.WriteNumberValue(u); break;
            case float or double:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(d)) json.WriteNumberValue(d);
                else json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case decimal m: json.WriteNumberValue(m); break;
            case BigInteger big: json.WriteRawValue(big.ToString(CultureInfo.InvariantCulture)); break;
            case IDictionary map:
                json.WriteStartObject();
                foreach (DictionaryEntry e in map)
                {
                    json.WritePropertyName(Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "");
                    WriteJson(json, e.Value, "");
                }
                json.WriteEndObject();
                break;
            case IEnumerable list when value is not string and not byte[] and not Stream:
                json.WriteStartArray();
                foreach (var item in list) WriteJson(json, item, "");
                json.WriteEndArray();
                break;
            default: json.WriteStringValue(Scalar(value, type, hexBytes: false)); break;
        }
    }

    /// <summary>A value as text, or null for NULL.</summary>
    private static string? Text(DbDataReader reader, int i, bool hexBytes)
    {
        if (reader.IsDBNull(i)) return null;
        var value = reader.GetValue(i);
        if (value is IDictionary or (IEnumerable and not string and not byte[] and not Stream))
        {
            using var stream = new MemoryStream();
            using (var json = new Utf8JsonWriter(stream)) WriteJson(json, value, "");
            return Encoding.UTF8.GetString(stream.ToArray());
        }
        return Scalar(value, reader.GetDataTypeName(i), hexBytes);
    }

    private static string Scalar(object value, string type, bool hexBytes) => value switch
    {
        // DuckDB hands out TIMESTAMPTZ as the UTC instant: say so.
        DateTime t when type.Contains("tz", StringComparison.OrdinalIgnoreCase) || type.Contains("time zone", StringComparison.OrdinalIgnoreCase) =>
            t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + "+00",
        DateTime t => t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFzzz", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        double x => x.ToString("R", CultureInfo.InvariantCulture),
        float x => x.ToString("R", CultureInfo.InvariantCulture),
        byte[] b => hexBytes ? "\\x" + Convert.ToHexString(b) : Convert.ToBase64String(b),
        Stream s => Scalar(ReadAll(s), type, hexBytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private static bool IsNumber(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(double) ||
        type == typeof(float) || type == typeof(decimal) || type == typeof(BigInteger) || type == typeof(uint) || type == typeof(ulong);
}
