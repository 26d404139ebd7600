using DuckDB.NET.Data;
using Sluice.TestKit;
using Sluice.Verification;

namespace Sluice.IntegrationTests.Verification;

/// <summary>bronze against the input by position, over a real DuckDB table; and verify --store lake refusing a folder that is not there.</summary>
public sealed class BronzeComparisonTests
{
    private static readonly VerificationInput Input = new("in",
    [
        [Record(0, 0), Record(0, 1), Record(0, 2)],
        [Record(1, 0), Record(1, 1)],
    ], "test input");

    [Fact]
    public void every_input_position_once_is_equal()
    {
        using var db = Store((0, 0), (0, 1), (0, 2), (1, 0), (1, 1));
        var report = BronzeComparison.Compare(Input, db, Query);
        Assert.True(report.IsEqual);
        Assert.Equal((5L, 5L, 0L, 0L, 0L), (report.Expected, report.Actual, report.Missing, report.Extra, report.Duplicates));
        Assert.Empty(report.Examples);
    }

    [Fact]
    public void a_missing_an_extra_and_a_repeated_position_are_counted_and_named()
    {
        using var db = Store((0, 0), (0, 2), (1, 0), (1, 1), (1, 1), (1, 7));
        var report = BronzeComparison.Compare(Input, db, Query);
        Assert.False(report.IsEqual);
        Assert.Equal((5L, 6L, 1L, 1L, 1L), (report.Expected, report.Actual, report.Missing, report.Extra, report.Duplicates));
        Assert.Contains("missing in/0@1: an input record not in bronze", report.Examples);
        Assert.Contains("extra in/1@7: not an input record", report.Examples);
        Assert.Contains("duplicate in/1@1: stored more than once", report.Examples);
    }

    [Fact]
    public async Task verify_store_lake_names_the_key_when_the_folder_is_not_there()
    {
        using var dir = new TempDirectory();
        var r = await SluiceProcess.RunAsync(["verify", "--store", "lake", "--lake", dir.File("nowhere")], TimeSpan.FromMinutes(2));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("configuration key '--lake'", r.StdErr);
        Assert.Contains("is no folder", r.StdErr);
    }

    private const string Query = "SELECT topic, \"partition\", \"offset\" FROM bronze";

    private static TopicRecord Record(int partition, long offset) => new("in", partition, offset, null, [1]);

    private static DuckDBConnection Store(params (int Partition, long Offset)[] rows)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE bronze (topic VARCHAR, \"partition\" INTEGER, \"offset\" BIGINT); " +
            string.Concat(rows.Select(r => $"INSERT INTO bronze VALUES ('in', {r.Partition}, {r.Offset}); "));
        command.ExecuteNonQuery();
        return connection;
    }
}
