using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Sluice.Sinks.Lake;

/// <summary>One column of a lake table's data files: its name, Delta type and a compiled getter.</summary>
internal sealed record DeltaColumn<TRow>(string Name, string DeltaType, bool Nullable, Func<TRow, object?> Get);

/// <summary>The Delta schema of a row class (its properties with <see cref="JsonPropertyNameAttribute"/>, as Parquet.Net writes them), and the per-file statistics.</summary>
internal sealed class DeltaSchema<TRow>
{
    /// <summary>Longest string whose value goes into minValues/maxValues; a column with a longer value in a file gets no bounds there.</summary>
    private const int MaxStatsString = 64;

    public DeltaSchema(string partitionColumn)
    {
        PartitionColumn = partitionColumn;
        Columns = [.. typeof(TRow).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
            .Select(Column)];
        SchemaString = BuildSchemaString();
    }

    public string PartitionColumn { get; }

    public IReadOnlyList<DeltaColumn<TRow>> Columns { get; }

    /// <summary>The metaData's schemaString: the data columns, then the partition column (a date).</summary>
    public string SchemaString { get; }

    private static DeltaColumn<TRow> Column(PropertyInfo p)
    {
        var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name;
        var underlying = System.Nullable.GetUnderlyingType(p.PropertyType);
        var type = underlying ?? p.PropertyType;
        var deltaType = type == typeof(string) ? "string"
            : type == typeof(long) ? "long"
            : type == typeof(int) ? "integer"
            : type == typeof(double) ? "double"
            : type == typeof(bool) ? "boolean"
            : type == typeof(byte[]) ? "binary"
            : type == typeof(DateTime) ? "timestamp"
            : type == typeof(DateOnly) ? "date"
            : throw new NotSupportedException($"{typeof(TRow).Name}.{p.Name}: no Delta type for {p.PropertyType.Name}");
        var nullable = underlying is not null || !p.PropertyType.IsValueType;
        var row = Expression.Parameter(typeof(TRow));
        var get = Expression.Lambda<Func<TRow, object?>>(Expression.Convert(Expression.Property(row, p), typeof(object)), row).Compile();
        return new DeltaColumn<TRow>(name, deltaType, nullable, get);
    }

    private string BuildSchemaString()
    {
        var fields = new JsonArray();
        foreach (var c in Columns)
            fields.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.DeltaType, ["nullable"] = c.Nullable, ["metadata"] = new JsonObject() });
        fields.Add(new JsonObject { ["name"] = PartitionColumn, ["type"] = "date", ["nullable"] = false, ["metadata"] = new JsonObject() });
        return new JsonObject { ["type"] = "struct", ["fields"] = fields }.ToJsonString();
    }

    /// <summary>The add action's stats: numRecords, and per column minValues, maxValues (numbers, timestamps, short strings) and nullCount.</summary>
    public string Stats(IReadOnlyList<TRow> rows)
    {
        var min = new JsonObject();
        var max = new JsonObject();
        var nulls = new JsonObject();
        foreach (var c in Columns)
        {
            long nullCount = 0;
            IComparable? lo = null, hi = null;
            var bounded = c.DeltaType is not ("boolean" or "binary");
            foreach (var row in rows)
            {
                var v = c.Get(row);
                if (v is null) { nullCount++; continue; }
                if (!bounded) continue;
                if (v is string s && s.Length > MaxStatsString) { bounded = false; continue; }
                var cv = (IComparable)v;
                if (lo is null || Compare(cv, lo) < 0) lo = cv;
                if (hi is null || Compare(cv, hi) > 0) hi = cv;
            }
            nulls[c.Name] = nullCount;
            if (bounded && lo is not null)
            {
                min[c.Name] = Json(lo);
                max[c.Name] = Json(hi!);
            }
        }
        var stats = new JsonObject { ["numRecords"] = rows.Count, ["minValues"] = min, ["maxValues"] = max, ["nullCount"] = nulls };
        return stats.ToJsonString(DeltaJson.Options);
    }

    // Strings compare by UTF-8 bytes (ordinal over UTF-16 differs only past the BMP), as Parquet and Spark order them.
    private static int Compare(IComparable a, IComparable b) =>
        a is string x && b is string y ? string.CompareOrdinal(x, y) : a.CompareTo(b);

    private static JsonNode Json(IComparable value) => value switch
    {
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        DateTime t => JsonValue.Create(t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        _ => throw new NotSupportedException(value.GetType().Name),
    };

    /// <summary>The stats of files rewritten into one, from theirs: counts added, bounds the widest; a column one file has no bound for gets none.</summary>
    public static string MergeStats(IReadOnlyList<string> stats)
    {
        var parsed = stats.Select(s => JsonNode.Parse(s)!.AsObject()).ToList();
        long records = parsed.Sum(p => p["numRecords"]!.GetValue<long>());
        var nulls = new JsonObject();
        foreach (var name in parsed.SelectMany(p => p["nullCount"]!.AsObject().Select(kv => kv.Key)).Distinct(StringComparer.Ordinal))
            nulls[name] = parsed.Sum(p => p["nullCount"]![name]?.GetValue<long>() ?? 0);
        return new JsonObject
        {
            ["numRecords"] = records, ["minValues"] = Bound(parsed, "minValues", -1), ["maxValues"] = Bound(parsed, "maxValues", 1), ["nullCount"] = nulls,
        }.ToJsonString(DeltaJson.Options);
    }

    private static JsonObject Bound(List<JsonObject> stats, string which, int sign)
    {
        var result = new JsonObject();
        var names = stats.SelectMany(p => p[which]!.AsObject().Select(kv => kv.Key)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            JsonNode? best = null;
            var complete = true;
            foreach (var s in stats)
            {
                var v = s[which]![name];
                // A file without a bound for the column, but with non-null values in it, leaves the merged file without one.
                if (v is null)
                {
                    if (s["nullCount"]![name]?.GetValue<long>() != s["numRecords"]!.GetValue<long>()) complete = false;
                    continue;
                }
                if (best is null || sign * CompareJson(v, best) > 0) best = v;
            }
            if (complete && best is not null) result[name] = best.DeepClone();
        }
        return result;
    }

    // Numbers by value; strings (text, and timestamps in one fixed ISO format) ordinally.
    private static int CompareJson(JsonNode a, JsonNode b) =>
        a.GetValueKind() == JsonValueKind.String
            ? string.CompareOrdinal(a.GetValue<string>(), b.GetValue<string>())
            : a.GetValue<double>().CompareTo(b.GetValue<double>());

    /// <summary>True when this schema is <paramref name="schemaString"/> with nullable columns added after its data columns
    /// (before the partition column): what a newer row class adds, which older files read as nulls.</summary>
    public bool Extends(string schemaString)
    {
        static List<string> Fields(string s) => [.. JsonNode.Parse(s)!["fields"]!.AsArray().Select(f => f!.ToJsonString())];
        var old = Fields(schemaString);
        var now = Fields(SchemaString);
        if (old.Count == 0 || now.Count <= old.Count || old[^1] != now[^1]) return false;
        if (!old.Take(old.Count - 1).SequenceEqual(now.Take(old.Count - 1))) return false;
        return Columns.Skip(old.Count - 1).All(c => c.Nullable);
    }

    /// <summary>True when <paramref name="schemaString"/> has the same fields, types and order as this one.</summary>
    public bool SameAs(string schemaString)
    {
        static string Normal(string s) => JsonNode.Parse(s)!.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        return Normal(schemaString) == Normal(SchemaString);
    }
}
