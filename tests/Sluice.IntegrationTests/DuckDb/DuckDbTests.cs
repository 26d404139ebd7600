using DuckDB.NET.Data;

namespace Sluice.IntegrationTests.DuckDb;

/// <summary>
/// DuckDB.NET against real database files in a temporary folder the class deletes: what the warehouse sink and the
/// lake rely on (bulk appends, parameters, transactions that hold rows and offsets together, Parquet through COPY).
/// </summary>
public sealed class DuckDbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-duckdb-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    private DuckDBConnection Open(string name, bool readOnly = false)
    {
        var connection = new DuckDBConnection($"Data Source={PathOf(name)}{(readOnly ? ";ACCESS_MODE=READ_ONLY" : "")}");
        connection.Open();
        return connection;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    private static T Scalar<T>(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void the_bundled_library_is_duckdb_1_5()
    {
        using var connection = Open("version.duckdb");
        Assert.StartsWith("v1.5.", Scalar<string>(connection, "SELECT version()"), StringComparison.Ordinal);
    }

    [Fact]
    public void appender_bulk_insert_of_100k_rows_is_seen_by_an_aggregate_query()
    {
        using var connection = Open("bulk.duckdb");
        Execute(connection, "CREATE TABLE clicks (id BIGINT, user_id INTEGER, price DOUBLE, page VARCHAR, ts TIMESTAMP, bot BOOLEAN)");
        var start = new DateTime(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc);
        const int rows = 100_000;
        long expectedIds = 0;
        using (var appender = connection.CreateAppender("clicks"))
        {
            for (var i = 0; i < rows; i++)
            {
                var row = appender.CreateRow().AppendValue((long)i).AppendValue(i % 1000).AppendValue(i * 0.5);
                (i % 10 == 0 ? row.AppendNullValue() : row.AppendValue($"/product/{i % 97}"))
                    .AppendValue(start.AddSeconds(i)).AppendValue(i % 3 == 0).EndRow();
                expectedIds += i;
            }
        }

        using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT count(*), sum(id)::BIGINT, sum(price), count(page), max(ts), count(*) FILTER (WHERE bot), count(DISTINCT user_id) FROM clicks";
        using var result = command.ExecuteReader();
        Assert.True(result.Read());
        Assert.Equal(rows, result.GetInt64(0));
        Assert.Equal(expectedIds, Convert.ToInt64(result.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expectedIds * 0.5, result.GetDouble(2));
        Assert.Equal(rows - rows / 10, result.GetInt64(3));
        Assert.Equal(start.AddSeconds(rows - 1), result.GetDateTime(4));
        Assert.Equal((rows + 2) / 3, result.GetInt64(5));
        Assert.Equal(1000, result.GetInt64(6));
        Assert.False(result.Read());
    }

    [Fact]
    public void parameters_bind_every_type_the_sinks_write_including_null()
    {
        using var connection = Open("params.duckdb");
        Execute(connection, "CREATE TABLE t (i INTEGER, l BIGINT, d DOUBLE, s VARCHAR, b BOOLEAN, ts TIMESTAMP, dt DATE, n VARCHAR)");
        var at = new DateTime(2026, 11, 21, 9, 48, 7, 123, DateTimeKind.Utc).AddTicks(4560);
        var text = new string('x', 300) + " ünïcødé ✓";
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
            foreach (var value in new object?[] { -42, long.MaxValue, 3.25, text, true, at, new DateOnly(1969, 12, 31), null })
                insert.Parameters.Add(new DuckDBParameter { Value = value ?? DBNull.Value });
            Assert.Equal(1, insert.ExecuteNonQuery());
        }

        using var select = connection.CreateCommand();
        select.CommandText = "SELECT * FROM t WHERE l = $1";
        select.Parameters.Add(new DuckDBParameter(long.MaxValue));
        using var row = select.ExecuteReader();
        Assert.True(row.Read());
        Assert.Equal(-42, row.GetInt32(0));
        Assert.Equal(long.MaxValue, row.GetInt64(1));
        Assert.Equal(3.25, row.GetDouble(2));
        Assert.Equal(text, row.GetString(3));
        Assert.True(row.GetBoolean(4));
        // TIMESTAMP keeps microseconds: the 0.456 ms survive.
        Assert.Equal(at, row.GetDateTime(5));
        Assert.Equal(new DateOnly(1969, 12, 31), row.GetFieldValue<DateOnly>(6));
        Assert.True(row.IsDBNull(7));
        Assert.False(row.Read());
    }

    [Fact]
    public void appended_rows_commit_or_roll_back_with_the_offsets_in_one_transaction()
    {
        // The exactly-once sinks store offsets in the same transaction as the rows: both or neither.
        using var connection = Open("tx.duckdb");
        Execute(connection, "CREATE TABLE rows (x INTEGER); CREATE TABLE offsets (p INTEGER, o BIGINT)");

        foreach (var commit in new[] { false, true })
        {
            using var transaction = connection.BeginTransaction();
            using (var appender = connection.CreateAppender("rows"))
                for (var i = 0; i < 5000; i++) appender.CreateRow().AppendValue(i).EndRow();
            Execute(connection, "INSERT INTO offsets VALUES (0, 5000)");
            if (commit) transaction.Commit();
            else transaction.Rollback();
            Assert.Equal(commit ? 5000 : 0, Scalar<long>(connection, "SELECT count(*) FROM rows"));
            Assert.Equal(commit ? 1 : 0, Scalar<long>(connection, "SELECT count(*) FROM offsets"));
        }
    }

    [Fact]
    public void a_constraint_violation_surfaces_from_statements_and_appenders_and_keeps_the_table_intact()
    {
        using var connection = Open("constraints.duckdb");
        Execute(connection, "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL); INSERT INTO users VALUES (1, 'ada')");

        var duplicate = Assert.Throws<DuckDBException>(() => Execute(connection, "INSERT INTO users VALUES (1, 'bob')"));
        Assert.Contains("Constraint Error", duplicate.Message, StringComparison.Ordinal);

        var appended = Assert.Throws<DuckDBException>(() =>
        {
            using var appender = connection.CreateAppender("users");
            appender.CreateRow().AppendValue(1).AppendValue("carol").EndRow();
        });
        Assert.Contains("PRIMARY KEY", appended.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, Scalar<long>(connection, "SELECT count(*) FROM users"));
    }

    [Fact]
    public void a_syntax_error_names_the_offending_text()
    {
        using var connection = Open("syntax.duckdb");
        var error = Assert.Throws<DuckDBException>(() => Execute(connection, "SELEC 1"));
        Assert.Contains("syntax error", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("SELEC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void reopening_the_file_read_only_sees_persisted_data_and_refuses_writes()
    {
        using (var connection = Open("persist.duckdb"))
            Assert.Equal(2, Execute(connection, "CREATE TABLE kv (k VARCHAR, v BIGINT); INSERT INTO kv VALUES ('a', 1), ('b', 2)"));

        using var reader = Open("persist.duckdb", readOnly: true);
        Assert.Equal(3, Scalar<long>(reader, "SELECT sum(v)::BIGINT FROM kv"));
        var refused = Assert.Throws<DuckDBException>(() => Execute(reader, "INSERT INTO kv VALUES ('c', 3)"));
        Assert.Contains("read-only", refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void copy_to_date_partitioned_parquet_and_read_parquet_round_trip()
    {
        var lake = PathOf("lake");
        using var connection = Open("lake.duckdb");
        Execute(connection, "CREATE TABLE events AS SELECT i AS id, 'user-' || (i % 50) AS user_id, i * 1.5 AS amount, "
            + "DATE '2026-11-20' + (i % 3)::INTEGER AS event_date FROM range(5000) r(i)");
        Execute(connection, $"COPY events TO '{lake}' (FORMAT PARQUET, COMPRESSION ZSTD, PARTITION_BY (event_date))");
        Assert.Equal(3, Directory.GetDirectories(lake, "event_date=*").Length);

        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), sum(id)::BIGINT, count(DISTINCT user_id), sum(amount), count(DISTINCT event_date) "
            + $"FROM read_parquet('{lake}/*/*.parquet', hive_partitioning = true)";
        using var result = command.ExecuteReader();
        Assert.True(result.Read());
        Assert.Equal(5000, result.GetInt64(0));
        Assert.Equal(4999L * 5000 / 2, Convert.ToInt64(result.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(50, result.GetInt64(2));
        Assert.Equal(4999m * 5000 / 2 * 1.5m, result.GetDecimal(3));
        Assert.Equal(3, result.GetInt64(4));
    }

    [Fact]
    public void a_path_in_a_missing_folder_is_an_error_naming_the_file()
    {
        var path = Path.Combine(_dir, "no", "such", "folder", "x.duckdb");
        using var connection = new DuckDBConnection($"Data Source={path}");
        var error = Assert.ThrowsAny<Exception>(connection.Open);
        Assert.Contains("x.duckdb", error.Message, StringComparison.Ordinal);
    }
}
