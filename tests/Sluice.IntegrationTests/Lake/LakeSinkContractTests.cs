using DuckDB.NET.Data;
using Sluice.IntegrationTests.Sinks;
using Sluice.Sinks;
using Sluice.Sinks.Lake;

namespace Sluice.IntegrationTests.Lake;

/// <summary>The sink contract against the lake, a new folder per test; rows are counted by DuckDB over each table's live files, and every table's log is checked against the protocol after each test.</summary>
public sealed class LakeSinkContractTests : SinkContractTests, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sluice-lake-contract-").FullName;
    private readonly DuckDBConnection _duck = LakeReader.Connect();

    protected override ISink CreateSink(Action? beforeCommit = null) => new LakeSink(_root, SinkTopics.Default, "clickstream.events", beforeCommit: beforeCommit);

    private LakeSink Reader()
    {
        var lake = new LakeSink(_root, SinkTopics.Default, "clickstream.events", recentIds: 0);
        lake.Open();
        return lake;
    }

    private static readonly Dictionary<string, OutputKind> Kinds = new()
    {
        ["silver/events"] = OutputKind.Enriched, ["silver/bot_events"] = OutputKind.Bots, ["silver/dead_letters"] = OutputKind.DeadLetters,
        ["silver/late_events"] = OutputKind.Late, ["gold/window_aggregates"] = OutputKind.Aggregated, ["gold/sessions"] = OutputKind.Sessions,
        ["gold/quality"] = OutputKind.Quality, ["silver/dim_users"] = OutputKind.UserVersions, ["silver/profile_corrections"] = OutputKind.Corrections,
    };

    // The lake appends each state of a user version and each correction of an event: the stable ids are counted.
    private static readonly Dictionary<string, string> Ids = new()
    {
        ["silver/dim_users"] = "user_id, source_position", ["silver/profile_corrections"] = "event_id",
    };

    protected override Dictionary<OutputKind, long> CountRows()
    {
        using var lake = Reader();
        return lake.Tables.Where(t => Kinds.ContainsKey(t.Name)).ToDictionary(t => Kinds[t.Name], t => Ids.TryGetValue(t.Name, out var id)
            ? LakeReader.Source(t) is { } source ? LakeReader.Scalar<long>(_duck, $"SELECT count(*) FROM (SELECT DISTINCT {id} FROM {source})") : 0
            : LakeReader.Count(_duck, t));
    }

    protected override string Fingerprint()
    {
        using var lake = Reader();
        return string.Join(";", lake.Tables.Select(t =>
            $"{t.Name}:{LakeReader.Fingerprint(_duck, t)}:{string.Join(",", t.Offsets("contract").OrderBy(o => o.Key.ToString()).Select(o => $"{o.Key}={o.Value}"))}"));
    }

    public void Dispose()
    {
        using (var lake = Reader())
            foreach (var table in lake.Tables) Assert.Empty(DeltaLogChecker.Problems(table, _duck));
        _duck.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
