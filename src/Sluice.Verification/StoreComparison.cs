using System.Data.Common;
using Sluice.Sinks;
using Sluice.Sinks.Rows;
using Sluice.Sinks.Tables;

namespace Sluice.Verification;

/// <summary>Compares the recomputed outputs with what a sink's store holds: each output against its table, by stable id, column by column.</summary>
/// <remarks>
/// The expected records are parsed into rows as a sink parses what it reads from the topics, and the table's rows are
/// read back through the shared table definitions (<see cref="OutputTables"/>), so both sides are the same row type
/// and compare column by column. A store keeps one row per id, so there are no duplicates to count. Processing-time
/// columns are ignored, as for the topics (<see cref="OutputComparison.IgnoredFields"/>).
/// <para>The user dimension's tables (dim_users, profile_corrections) are not compared, and the events' joined profile
/// columns are ignored: the batch recomputation does not compute the user dimension or the as-of join yet, so it has
/// nothing to hold them against.</para>
/// </remarks>
public static class StoreComparison
{
    /// <summary>One report per output; the report's topic is the table's name.</summary>
    /// <param name="epochMs">The store's SQL for a timestamp column as epoch milliseconds.</param>
    public static IReadOnlyList<OutputReport> Compare(ExpectedOutputs expected, DbConnection store, Func<string, string> epochMs, int examples = 5)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Compare(expected, kind => StoredRows.Read(store, kind, epochMs), examples);
    }

    /// <summary>One report per output, the stored rows read by <paramref name="read"/> (a store that is no SQL connection, such as ClickHouse over HTTP).</summary>
    public static IReadOnlyList<OutputReport> Compare(ExpectedOutputs expected, Func<OutputKind, IReadOnlyList<OutputRow>> read, int examples = 5)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(read);
        return ClickstreamOutputs.All.Select(o => Compare(o, expected[o], read, examples)).ToList();
    }

    /// <summary>The output kind a sink knows <paramref name="output"/> by.</summary>
    public static OutputKind KindOf(ClickstreamOutput output) => output switch
    {
        ClickstreamOutput.Enriched => OutputKind.Enriched,
        ClickstreamOutput.DeadLetters => OutputKind.DeadLetters,
        ClickstreamOutput.Late => OutputKind.Late,
        ClickstreamOutput.Bots => OutputKind.Bots,
        ClickstreamOutput.Aggregated => OutputKind.Aggregated,
        _ => OutputKind.Sessions,
    };

    private static OutputReport Compare(ClickstreamOutput output, IReadOnlyList<OutputRecord> expected, Func<OutputKind, IReadOnlyList<OutputRow>> read, int examples)
    {
        var kind = KindOf(output);
        var table = OutputTables.Of(kind);
        var want = new Dictionary<string, (OutputRow Row, bool Pending)>(StringComparer.Ordinal);
        foreach (var record in expected)
        {
            var row = Parse(kind, record.Value);
            want[row.Id] = (row, record.Pending);
        }
        var stored = read(kind);
        var ignored = IgnoredColumns(output);

        long missing = 0, extra = 0, different = 0;
        var found = new List<OutputDifference>();
        var shown = new int[Enum.GetValues<DifferenceKind>().Length];
        void Note(DifferenceKind k, string id, string detail)
        {
            if (shown[(int)k]++ < examples) found.Add(new OutputDifference(k, id, detail));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in stored.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            seen.Add(row.Id);
            if (!want.TryGetValue(row.Id, out var w))
            {
                extra++;
                Note(DifferenceKind.Extra, row.Id, $"not expected, in {table.Name}");
                continue;
            }
            var differences = table.Differences(w.Row, row, ignored);
            if (differences.Count == 0) continue;
            different++;
            Note(DifferenceKind.Different, row.Id, string.Join("; ", differences.Take(4)) + (differences.Count > 4 ? $"; and {differences.Count - 4} more" : ""));
        }
        foreach (var (id, w) in want.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (seen.Contains(id) || w.Pending) continue;
            missing++;
            Note(DifferenceKind.Missing, id, $"not in {table.Name}");
        }
        return new OutputReport(output, table.Name, want.Values.Count(w => !w.Pending), want.Values.Count(w => w.Pending), stored.Count,
            missing, extra, different, 0, 0, found);
    }

    /// <summary>The columns of <paramref name="output"/>'s table left out of the comparison: the topic comparison's ignored
    /// fields, and the events' joined profile, which the batch recomputation does not compute yet.</summary>
    public static IReadOnlyList<string> IgnoredColumns(ClickstreamOutput output) =>
        output == ClickstreamOutput.Enriched ? [.. OutputComparison.IgnoredFields(output), .. OutputTables.ProfileColumns] : OutputComparison.IgnoredFields(output);

    private static OutputRow Parse(OutputKind kind, byte[] value) => kind switch
    {
        OutputKind.Enriched or OutputKind.Bots => OutputRowParser.Event(value),
        OutputKind.DeadLetters => OutputRowParser.DeadLetter(value),
        OutputKind.Late => OutputRowParser.Late(value),
        OutputKind.Aggregated => OutputRowParser.Aggregate(value),
        _ => OutputRowParser.Session(value),
    };
}
