using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using Sluice.Sinks.Lake;

namespace Sluice.IntegrationTests.Lake;

/// <summary>Checks a table's <c>_delta_log</c> against the Delta protocol where DuckDB's delta extension cannot be installed (offline): the reference for the lake's tests.</summary>
internal static partial class DeltaLogChecker
{
    [GeneratedRegex(@"^\d{20}\.json$")]
    private static partial Regex CommitFile();

    /// <summary>Every problem found; empty for a table that keeps the protocol.</summary>
    public static List<string> Problems(ILakeTable table, DuckDBConnection duck)
    {
        var problems = new List<string>();
        var log = table.Log;
        var versions = Directory.EnumerateFiles(log.LogDirectory).Select(Path.GetFileName).Where(n => CommitFile().IsMatch(n!))
            .Select(n => long.Parse(n![..20], CultureInfo.InvariantCulture)).Order().ToList();
        var checkpointed = log.ReadLastCheckpoint()?.Version ?? -1;
        // Commits before a checkpoint may have been cleaned up; the ones kept and all after it are contiguous.
        var first = versions.Count > 0 ? versions[0] : 0;
        if (first > 0 && first > checkpointed + 1) problems.Add($"commits start at {first} with no checkpoint at or after {first - 1}");
        for (var i = 1; i < versions.Count; i++)
            if (versions[i] != versions[i - 1] + 1) problems.Add($"versions jump from {versions[i - 1]} to {versions[i]}");

        var live = new Dictionary<string, AddAction>(StringComparer.Ordinal);
        if (first == 0)
        {
            foreach (var v in versions)
            {
                var actions = log.ReadCommit(v).ToList();
                CheckCommit(v, actions, live, problems);
            }
            if (!Same(live, table.Snapshot.Files)) problems.Add("the replay of the JSON commits differs from the table's snapshot");
        }

        // Every checkpoint equals the replay of the JSON commits up to its version.
        foreach (var cp in Directory.EnumerateFiles(log.LogDirectory, "*.checkpoint.parquet"))
        {
            var version = long.Parse(Path.GetFileName(cp)[..20], CultureInfo.InvariantCulture);
            var fromCheckpoint = new DeltaSnapshot();
            foreach (var a in log.ReadCheckpoint(version)) fromCheckpoint.Apply(a);
            if (first == 0)
            {
                var replay = log.ReplayJson(version);
                if (!Same(replay.Files, fromCheckpoint.Files)) problems.Add($"checkpoint {version}: live files differ from the replay of commits 0..{version}");
                if (!replay.Transactions.OrderBy(t => t.Key).SequenceEqual(fromCheckpoint.Transactions.OrderBy(t => t.Key)))
                    problems.Add($"checkpoint {version}: txns differ from the replay");
                if (replay.Metadata?.SchemaString != fromCheckpoint.Metadata?.SchemaString || replay.Metadata?.Id != fromCheckpoint.Metadata?.Id)
                    problems.Add($"checkpoint {version}: metaData differs from the replay");
                if (fromCheckpoint.Protocol is null) problems.Add($"checkpoint {version}: no protocol action");
            }
        }
        if (log.ReadLastCheckpoint() is { } last && !File.Exists(Path.Combine(log.LogDirectory, DeltaLog.CheckpointName(last.Version))))
            problems.Add($"_last_checkpoint names version {last.Version}, whose checkpoint file is missing");

        // The live set: every add's file exists with its size and holds numRecords rows; nothing else is live.
        long expectedRows = 0;
        foreach (var add in table.Snapshot.Files.Values)
        {
            var file = Path.Combine(log.TableRoot, Uri.UnescapeDataString(add.Path));
            if (!File.Exists(file)) { problems.Add($"{add.Path}: added but missing"); continue; }
            if (new FileInfo(file).Length != add.Size) problems.Add($"{add.Path}: size {add.Size} in the log, {new FileInfo(file).Length} on disk");
            var numRecords = JsonNode.Parse(add.Stats!)!["numRecords"]!.GetValue<long>();
            var rows = LakeReader.Scalar<long>(duck, $"SELECT count(*) FROM read_parquet('{file}')");
            if (rows != numRecords) problems.Add($"{add.Path}: stats say {numRecords} rows, the file holds {rows}");
            expectedRows += numRecords;
            problems.AddRange(StatsProblems(add, file, duck));
            var folder = add.Path.Split('/')[0];
            if (folder != $"event_date={add.PartitionValues.GetValueOrDefault("event_date")}") problems.Add($"{add.Path}: partitionValues {JsonSerializer.Serialize(add.PartitionValues)} do not match its folder");
        }
        if (!table.Snapshot.Files.Values.All(a => File.Exists(Path.Combine(log.TableRoot, Uri.UnescapeDataString(a.Path))))) return problems;
        if (LakeReader.Count(duck, table) != expectedRows) problems.Add($"the live files hold {LakeReader.Count(duck, table)} rows, their stats {expectedRows}");
        foreach (var removed in table.Snapshot.Tombstones.Keys)
            if (table.Snapshot.Files.ContainsKey(removed)) problems.Add($"{removed}: removed and still live");
        return problems;
    }

    private static void CheckCommit(long version, List<DeltaAction> actions, Dictionary<string, AddAction> live, List<string> problems)
    {
        foreach (var a in actions)
        {
            var set = new object?[] { a.Add, a.Remove, a.Txn, a.MetaData, a.Protocol, a.CommitInfo }.Count(x => x is not null);
            if (set != 1) problems.Add($"version {version}: a line holds {set} actions");
        }
        if (version == 0 && (!actions.Any(a => a.Protocol is not null) || !actions.Any(a => a.MetaData is not null)))
            problems.Add("version 0 lacks protocol or metaData");
        if (actions.Count(a => a.MetaData is not null) > 1) problems.Add($"version {version}: more than one metaData");
        var paths = actions.Where(a => a.Add is not null).Select(a => a.Add!.Path).ToList();
        if (paths.Count != paths.Distinct().Count()) problems.Add($"version {version}: a path added twice");
        long removedRows = 0, rearrangedRows = 0;
        foreach (var r in actions.Select(a => a.Remove).OfType<RemoveAction>())
        {
            if (!live.Remove(r.Path, out var old)) problems.Add($"version {version}: removes {r.Path}, which is not live");
            else removedRows += Rows(old);
            if (r.DeletionTimestamp is null) problems.Add($"version {version}: remove of {r.Path} has no deletionTimestamp");
        }
        foreach (var add in actions.Select(a => a.Add).OfType<AddAction>())
        {
            if (add.Stats is null || JsonNode.Parse(add.Stats)?["numRecords"] is null) problems.Add($"version {version}: {add.Path} has no numRecords");
            if (!add.DataChange) rearrangedRows += Rows(add);
            live[add.Path] = add;
        }
        // dataChange false: the added rows are the removed rows, rearranged.
        if (rearrangedRows != removedRows) problems.Add($"version {version}: removes {removedRows} rows and adds {rearrangedRows} with dataChange false");
        var txnIds = actions.Where(a => a.Txn is not null).Select(a => a.Txn!.AppId).ToList();
        if (txnIds.Count != txnIds.Distinct().Count()) problems.Add($"version {version}: an appId twice");
    }

    // nullCount of every column, and minValues/maxValues of the numeric ones, against what DuckDB reads from the file.
    private static IEnumerable<string> StatsProblems(AddAction add, string file, DuckDBConnection duck)
    {
        var stats = JsonNode.Parse(add.Stats!)!;
        foreach (var (column, count) in stats["nullCount"]!.AsObject())
        {
            var nulls = LakeReader.Scalar<long>(duck, $"SELECT count(*) - count(\"{column}\") FROM read_parquet('{file}')");
            if (nulls != count!.GetValue<long>()) yield return $"{add.Path}: nullCount of {column} is {count}, the file has {nulls}";
        }
        foreach (var which in new[] { "min", "max" })
            foreach (var (column, bound) in stats[which + "Values"]!.AsObject())
            {
                if (bound!.GetValueKind() != JsonValueKind.Number) continue;
                var actual = LakeReader.Scalar<double>(duck, $"SELECT {which}(\"{column}\")::DOUBLE FROM read_parquet('{file}')");
                if (actual != bound.GetValue<double>()) yield return $"{add.Path}: {which}Values of {column} is {bound}, the file's is {actual}";
            }
    }

    private static long Rows(AddAction add) => JsonNode.Parse(add.Stats!)!["numRecords"]!.GetValue<long>();

    private static bool Same(Dictionary<string, AddAction> a, Dictionary<string, AddAction> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var o) && o.Size == p.Value.Size && o.Stats == p.Value.Stats);
}
