namespace Sluice.Sinks.Tables;

/// <summary>A column of an output table: its name, what it holds, and how a row's value goes out to a store and comes back.</summary>
public sealed record OutputColumn<T>(string Name, ColumnType Type, Action<T, IColumnWriter> Write, Action<T, IColumnReader> Read);

/// <summary>What a duplicate id does to the stored row.</summary>
public enum OnConflict
{
    /// <summary>The id means identical content (an event, a dead letter): the stored row stays.</summary>
    Nothing,

    /// <summary>A later record of the id may carry a newer value (a window re-emitted, a session extended): it replaces the row.</summary>
    Update,
}

/// <summary>Untyped view of an <see cref="OutputTable{T}"/>: what SQL generation and schema checks need.</summary>
public interface IOutputTable
{
    string Name { get; }
    OutputKind Kind { get; }
    OnConflict OnConflict { get; }
    IReadOnlyList<string> Key { get; }
    IReadOnlyList<(string Name, ColumnType Type)> ColumnTypes { get; }

    /// <summary>See <see cref="RowComparison.Differences{T}"/>; both rows must be of this table's row type.</summary>
    List<string> Differences(Rows.OutputRow expected, Rows.OutputRow actual, IReadOnlyCollection<string> ignored);
}

/// <summary>One output's table as every SQL store holds it: columns in order, the stable-id key, and what a repeated id does.</summary>
/// <remarks>
/// The sinks share this definition for writing (staging, merging) and for reading back (<c>verify --store</c>); each
/// store's migrations spell the same table out in its own SQL, and a test checks that the migrated tables have exactly
/// these columns.
/// </remarks>
public sealed class OutputTable<T> : IOutputTable where T : Rows.OutputRow, new()
{
    /// <param name="refreshed">With <see cref="OnConflict.Nothing"/>: columns a later copy of a stored id still replaces (the
    /// joined profile of an event, which a processor replay may have joined with newer knowledge); the rest stays.</param>
    public OutputTable(string name, OutputKind kind, OnConflict onConflict, string[] key, OutputColumn<T>[] columns, string[]? refreshed = null)
    {
        Refreshed = refreshed ?? [];
        foreach (var r in Refreshed)
            if (!columns.Any(c => c.Name == r)) throw new ArgumentException($"refreshed column {r} is not a column of {name}", nameof(refreshed));
        Name = name;
        Kind = kind;
        OnConflict = onConflict;
        Key = key;
        Columns = columns;
        foreach (var k in key)
            if (!columns.Any(c => c.Name == k)) throw new ArgumentException($"key column {k} is not a column of {name}", nameof(key));
    }

    public string Name { get; }
    public OutputKind Kind { get; }
    public OnConflict OnConflict { get; }
    public IReadOnlyList<string> Key { get; }
    public IReadOnlyList<OutputColumn<T>> Columns { get; }

    /// <summary>Columns a repeated id replaces although the table keeps its first copy (<see cref="OnConflict.Nothing"/>).</summary>
    public IReadOnlyList<string> Refreshed { get; }
    public IReadOnlyList<(string Name, ColumnType Type)> ColumnTypes => Columns.Select(c => (c.Name, c.Type)).ToList();

    public List<string> Differences(Rows.OutputRow expected, Rows.OutputRow actual, IReadOnlyCollection<string> ignored) =>
        RowComparison.Differences(this, (T)expected, (T)actual, ignored);

    /// <summary>The column names, comma-separated, in table order.</summary>
    public string ColumnList => string.Join(", ", Columns.Select(c => c.Name));

    /// <summary>
    /// INSERT … SELECT from <paramref name="stage"/> (this table's columns and an integer <c>_seq</c>, the batch position)
    /// into the table, skipping or updating a stored key; an update that would change nothing is skipped, so replaying
    /// a batch writes no new row versions. PostgreSQL and DuckDB both read this SQL.
    /// </summary>
    /// <param name="unique">The staged rows' keys are known to be distinct. When they may not be, the statement keeps one
    /// row per key, the latest in the batch (DISTINCT ON … ORDER BY key, _seq DESC), so that ON CONFLICT never meets a key
    /// twice in one statement; that sort is a quarter of DuckDB's merge time, so batches without repeats skip it.</param>
    public string MergeFrom(string stage, bool unique = false)
    {
        var keys = string.Join(", ", Key);
        var update = OnConflict == OnConflict.Nothing ? [.. Refreshed] : Columns.Where(c => !Key.Contains(c.Name)).Select(c => c.Name).ToList();
        var conflict = update.Count == 0
            ? "DO NOTHING"
            : $"DO UPDATE SET {string.Join(", ", update.Select(c => $"{c} = EXCLUDED.{c}"))} " +
              $"WHERE ({string.Join(", ", update.Select(c => $"t.{c}"))}) IS DISTINCT FROM ({string.Join(", ", update.Select(c => $"EXCLUDED.{c}"))})";
        var select = unique
            ? $"SELECT {ColumnList} FROM {stage}"
            : $"SELECT DISTINCT ON ({keys}) {ColumnList} FROM {stage} ORDER BY {keys}, _seq DESC";
        return $"INSERT INTO {Name} AS t ({ColumnList}) {select} ON CONFLICT ({keys}) {conflict}";
    }

    /// <summary>True when no two of <paramref name="rows"/> share a stable id (and so a key).</summary>
    public static bool Unique(IReadOnlyList<T> rows)
    {
        var ids = new HashSet<string>(rows.Count, StringComparer.Ordinal);
        foreach (var r in rows)
            if (!ids.Add(r.Id)) return false;
        return true;
    }

    /// <summary>Writes every column of <paramref name="row"/> to <paramref name="writer"/>, in table order.</summary>
    public void Write(T row, IColumnWriter writer)
    {
        foreach (var c in Columns) c.Write(row, writer);
    }

    /// <summary>A row read back from a result set whose columns are <see cref="ColumnList"/>, in order.</summary>
    public T Read(IColumnReader reader)
    {
        var row = new T();
        foreach (var c in Columns) c.Read(row, reader);
        return row;
    }
}
