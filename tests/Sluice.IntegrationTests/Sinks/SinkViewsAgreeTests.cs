using System.Data.Common;
using System.Globalization;
using DuckDB.NET.Data;
using Npgsql;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Postgres;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary>The views people query say the same in PostgreSQL and in the DuckDB warehouse, written from the same records.</summary>
/// <remarks>Each store spells its views in its own SQL; this is what keeps the two spellings one meaning.</remarks>
public sealed class SinkViewsAgreeTests : IAsyncLifetime
{
    private static readonly string[] Views =
        ["window_totals", "hourly_summary", "category_performance", "funnel", "top_products", "session_stats", "dead_letters_by_reason", "quality_totals"];

    private readonly TempDirectory _dir = new("sluice-views-");
    private TemporaryDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = await PostgresTestServer.CreateDatabaseAsync();
        var batch = new SinkBatch("views", SinkTestData.Outputs(3_000, seed: 23));
        using (var pg = new PostgresSink(_db.ConnectionString, SinkTopics.Default))
        {
            pg.Open();
            pg.Write(batch);
        }
        using var duck = new DuckDbSink(_dir.File("w.duckdb"), SinkTopics.Default);
        duck.Open();
        duck.Write(batch);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public void every_view_has_the_same_columns_and_rows_in_both_stores()
    {
        using var pg = new NpgsqlConnection(_db.ConnectionString);
        pg.Open();
        using var duck = DuckDbWarehouse.OpenReadOnly(_dir.File("w.duckdb"));
        foreach (var view in Views)
        {
            var (pgColumns, pgRows) = Read(pg, view);
            var (duckColumns, duckRows) = Read(duck, view);
            Assert.Equal(pgColumns, duckColumns);
            Assert.True(pgRows.Count > 0, $"{view} is empty: the test data should fill every view");
            Assert.Equal(pgRows.Count, duckRows.Count);
            for (var i = 0; i < pgRows.Count; i++) Assert.True(pgRows[i] == duckRows[i], $"{view} row {i}: PostgreSQL {pgRows[i]}, DuckDB {duckRows[i]}");
        }
    }

    // Rows as text in a store-neutral form (instants as epoch milliseconds, numbers to 9 significant digits), sorted.
    private static (List<string> Columns, List<string> Rows) Read(DbConnection connection, string view)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT * FROM {view}";
        using var reader = cmd.ExecuteReader();
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Text(reader.GetValue(i)))));
        rows.Sort(StringComparer.Ordinal);
        return (columns, rows);
    }

    private static string Text(object value) => value switch
    {
        DateTime t => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        string s => s,
        bool b => b ? "true" : "false",
        _ => Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("G9", CultureInfo.InvariantCulture),
    };
}
