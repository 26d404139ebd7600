using System.Data.Common;

namespace Sluice.Verification;

/// <summary>What a bronze table holds against the input: one row per input record, by position (topic, partition, offset).</summary>
/// <param name="Examples">Up to the requested number per kind, each "missing|extra|duplicate topic/partition@offset".</param>
public sealed record BronzeReport(long Expected, long Actual, long Missing, long Extra, long Duplicates, IReadOnlyList<string> Examples)
{
    public bool IsEqual => Missing == 0 && Extra == 0 && Duplicates == 0 && Expected == Actual;
}

/// <summary>Compares a bronze table (every input record as received) with the input read from the topic.</summary>
/// <remarks>Bronze keeps every record, valid or not, once: so its positions are exactly the input's, no more, no fewer, none twice.</remarks>
public static class BronzeComparison
{
    /// <param name="sql">A query returning (topic, partition, offset) per stored row.</param>
    public static BronzeReport Compare(VerificationInput input, DbConnection store, string sql, int examples = 5)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(store);
        var want = new HashSet<(string, int, long)>();
        foreach (var partition in input.Partitions)
            foreach (var r in partition)
                want.Add((r.Topic, r.Partition, r.Offset));

        var seen = new HashSet<(string, int, long)>();
        long actual = 0, extra = 0, duplicates = 0;
        var found = new List<string>();
        int shownExtra = 0, shownDuplicates = 0, shownMissing = 0;
        using (var command = store.CreateCommand())
        {
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                actual++;
                var position = (reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2));
                if (!seen.Add(position))
                {
                    duplicates++;
                    if (shownDuplicates++ < examples) found.Add($"duplicate {Show(position)}: stored more than once");
                }
                else if (!want.Contains(position))
                {
                    extra++;
                    if (shownExtra++ < examples) found.Add($"extra {Show(position)}: not an input record");
                }
            }
        }
        long missing = 0;
        foreach (var position in want.Where(p => !seen.Contains(p)).OrderBy(p => p.Item2).ThenBy(p => p.Item3))
        {
            missing++;
            if (shownMissing++ < examples) found.Add($"missing {Show(position)}: an input record not in bronze");
        }
        return new BronzeReport(want.Count, actual, missing, extra, duplicates, found);
    }

    private static string Show((string Topic, int Partition, long Offset) p) => $"{p.Topic}/{p.Partition}@{p.Offset}";
}
