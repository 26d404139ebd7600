using DuckDB.NET.Data;
using Sluice.Sinks;
using Sluice.Sinks.DuckDb;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Sinks;

/// <summary><c>sluice sql</c> against a warehouse file the DuckDB sink wrote and over Parquet files: its three formats and its errors.</summary>
public sealed class SqlCliTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _dir = new("sluice-sql-");
    private readonly string _warehouse;
    private readonly IReadOnlyList<SinkRecord> _records = SinkTestData.Outputs(1_500, seed: 5);

    public SqlCliTests()
    {
        _warehouse = _dir.File("sluice.duckdb");
        using var sink = new DuckDbSink(_warehouse, SinkTopics.Default);
        sink.Open();
        sink.Write(new SinkBatch("sql-test", _records.ToList()));
    }

    public void Dispose() => _dir.Dispose();

    private Task<ProcessResult> Sql(params string[] args) => SluiceProcess.RunAsync(["sql", .. args, "--warehouse", _warehouse], Timeout);

    [Fact]
    public async Task a_table_csv_and_json_say_the_same_counts()
    {
        var expected = SinkTestData.ExpectedRows(_records);
        const string Query = "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM window_aggregates) AS partials";

        var table = await Sql(Query);
        Assert.True(table.ExitCode == 0, table.StdErr);
        Assert.Matches($@"│\s+{expected[OutputKind.Enriched]} │\s+{expected[OutputKind.Aggregated]} │", table.StdOut);
        Assert.Contains("1 row", table.StdOut);

        var csv = await Sql(Query, "--format", "csv");
        Assert.Equal($"events,partials\n{expected[OutputKind.Enriched]},{expected[OutputKind.Aggregated]}\n", csv.StdOut.ReplaceLineEndings("\n"));

        var json = await Sql(Query, "--format", "json");
        var row = System.Text.Json.JsonDocument.Parse(json.StdOut).RootElement.EnumerateArray().Single();
        Assert.Equal(expected[OutputKind.Enriched], row.GetProperty("events").GetInt64());
        Assert.Equal(expected[OutputKind.Aggregated], row.GetProperty("partials").GetInt64());
    }

    [Fact]
    public async Task csv_quotes_what_needs_quoting_and_leaves_null_empty()
    {
        var r = await Sql("SELECT 'a,b' AS comma, 'say \"hi\"' AS quote, '' AS empty, NULL AS missing, TIMESTAMPTZ '2026-11-21 09:48:07.5+00' AS at", "--format", "csv");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal("comma,quote,empty,missing,at\n\"a,b\",\"say \"\"hi\"\"\",\"\",,2026-11-21 09:48:07.5+00\n", r.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task parquet_files_are_queried_with_read_parquet()
    {
        var lake = _dir.File("lake");
        using (var connection = new DuckDBConnection($"Data Source={_dir.File("scratch.duckdb")}"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"COPY (SELECT i AS id, DATE '2026-11-20' + (i % 3)::INTEGER AS event_date FROM range(300) r(i)) TO '{lake}' (FORMAT PARQUET, PARTITION_BY (event_date))";
            cmd.ExecuteNonQuery();
        }
        var r = await Sql($"SELECT event_date, count(*) AS n FROM read_parquet('{lake}/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1", "--format", "csv");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal("event_date,n\n2026-11-20,100\n2026-11-21,100\n2026-11-22,100\n", r.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task an_sql_error_is_one_line_and_exit_1_and_the_file_is_never_written()
    {
        var r = await Sql("SELECT nope FROM events");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("sluice: SQL: Binder Error:", line);
        Assert.Contains("nope", line);

        var write = await Sql("DELETE FROM events");
        Assert.Equal(1, write.ExitCode);
        Assert.Contains("read-only", write.StdErr);
        var count = await Sql("SELECT count(*) AS n FROM events", "--format", "csv");
        Assert.Equal($"n\n{SinkTestData.ExpectedRows(_records)[OutputKind.Enriched]}\n", count.StdOut.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task a_missing_warehouse_file_named_by_option_is_an_error_naming_it()
    {
        var r = await SluiceProcess.RunAsync(["sql", "SELECT 1", "--warehouse", _dir.File("none.duckdb")], Timeout);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--warehouse: ", r.StdErr);
        Assert.Contains("none.duckdb does not exist", r.StdErr);
    }
}
