using Sluice.Core.Errors;
using Sluice.DuckDb;

namespace Sluice.IntegrationTests.DuckDb;

/// <summary>The DuckDB binding against real database files in a temporary folder the class deletes.</summary>
public sealed class DuckDbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-duckdb-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void library_version_is_the_provisioned_one()
    {
        Assert.StartsWith("v1.5.6", DuckDbDatabase.LibraryVersion, StringComparison.Ordinal);
    }

    [Fact]
    public void appender_bulk_insert_of_100k_rows_is_seen_by_an_aggregate_query()
    {
        using var connection = DuckDbConnection.Open(PathOf("bulk.duckdb"));
        connection.Execute("CREATE TABLE clicks (id BIGINT, user_id INTEGER, price DOUBLE, page VARCHAR, ts TIMESTAMP, bot BOOLEAN)");
        var start = new DateTime(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc);
        const int rows = 100_000;
        long expectedIds = 0;
        using (var appender = connection.CreateAppender("clicks"))
        {
            for (var i = 0; i < rows; i++)
            {
                appender.Append((long)i).Append(i % 1000).Append(i * 0.5)
                    .Append(i % 10 == 0 ? null : $"/product/{i % 97}")
                    .Append(start.AddSeconds(i)).Append(i % 3 == 0);
                appender.EndRow();
                expectedIds += i;
            }
            appender.Close();
        }

        using var result = connection.Query(
            "SELECT count(*), sum(id), sum(price), count(page), max(ts), count(*) FILTER (WHERE bot), count(DISTINCT user_id) FROM clicks");
        Assert.True(result.Read());
        Assert.Equal(rows, result.GetInt64(0));
        Assert.Equal(expectedIds, result.GetInt64(1));
        Assert.Equal(expectedIds * 0.5, result.GetDouble(2));
        Assert.Equal(rows - rows / 10, result.GetInt64(3));
        Assert.Equal(start.AddSeconds(rows - 1), result.GetDateTime(4));
        Assert.Equal((rows + 2) / 3, result.GetInt64(5));
        Assert.Equal(1000, result.GetInt32(6));
        Assert.False(result.Read());
    }

    [Fact]
    public void appender_writes_every_type_including_null()
    {
        using var connection = DuckDbConnection.Open(PathOf("append-types.duckdb"));
        connection.Execute("CREATE TABLE t (i INTEGER, l BIGINT, d DOUBLE, s VARCHAR, u VARCHAR, b BOOLEAN, ts TIMESTAMP, dt DATE)");
        var at = new DateTime(2026, 11, 21, 9, 48, 7, DateTimeKind.Utc).AddTicks(1_234_560);
        var longText = string.Concat(Enumerable.Repeat("événement ", 100));
        using (var appender = connection.CreateAppender("t"))
        {
            appender.Append(7).Append(-7L).Append(0.125).Append(longText).Append("utf-8 bytes ✓"u8).Append(true).Append(at)
                .Append(new DateOnly(2026, 11, 21)).EndRow();
            for (var c = 0; c < 8; c++) appender.AppendNull();
            appender.EndRow();
            appender.Close();
        }

        using var result = connection.Query("SELECT * FROM t ORDER BY i NULLS LAST");
        Assert.True(result.Read());
        Assert.Equal(7, result.GetInt32(0));
        Assert.Equal(-7, result.GetInt64(1));
        Assert.Equal(0.125, result.GetDouble(2));
        Assert.Equal(longText, result.GetString(3));
        Assert.Equal("utf-8 bytes ✓", result.GetString(4));
        Assert.True(result.GetBoolean(5));
        Assert.Equal(at, result.GetDateTime(6));
        Assert.Equal(new DateOnly(2026, 11, 21), result.GetDate(7));
        Assert.True(result.Read());
        for (var c = 0; c < 8; c++) Assert.True(result.IsNull(c));
        Assert.False(result.Read());
    }

    [Fact]
    public void prepared_statement_binds_every_type_including_null()
    {
        using var connection = DuckDbConnection.Open(PathOf("prepared.duckdb"));
        connection.Execute("CREATE TABLE t (i INTEGER, l BIGINT, d DOUBLE, s VARCHAR, b BOOLEAN, ts TIMESTAMP, dt DATE, n VARCHAR)");
        var at = new DateTime(2026, 11, 21, 9, 48, 7, 123, DateTimeKind.Utc).AddTicks(4560);
        var longText = new string('x', 300) + " ünïcødé ✓";
        using (var insert = connection.Prepare("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        {
            Assert.Equal(8, insert.ParameterCount);
            insert.Bind(1, -42).Bind(2, long.MaxValue).Bind(3, 3.25).Bind(4, "short ü").Bind(5, true)
                .Bind(6, at).Bind(7, new DateOnly(1969, 12, 31)).BindNull(8);
            Assert.Equal(1, insert.Execute());

            // Rebinding reuses the statement; a null string binds NULL.
            insert.Bind(1, int.MinValue).Bind(2, long.MinValue).Bind(3, double.NegativeInfinity).Bind(4, longText).Bind(5, false)
                .Bind(6, DateTime.UnixEpoch.AddTicks(-15)).Bind(7, new DateOnly(2026, 2, 28)).Bind(8, (string?)null);
            Assert.Equal(1, insert.Execute());
        }

        using var select = connection.Prepare("SELECT * FROM t WHERE l = $1");
        using (var first = select.Bind(1, long.MaxValue).Query())
        {
            Assert.True(first.Read());
            Assert.Equal(-42, first.GetInt32(0));
            Assert.Equal(long.MaxValue, first.GetInt64(1));
            Assert.Equal(3.25, first.GetDouble(2));
            Assert.Equal("short ü", first.GetString(3));
            Assert.True(first.GetBoolean(4));
            // TIMESTAMP keeps microseconds: the 0.456 ms survive, sub-microsecond ticks do not exist here.
            Assert.Equal(at, first.GetDateTime(5));
            Assert.Equal(DateTimeKind.Utc, first.GetDateTime(5).Kind);
            Assert.Equal(new DateOnly(1969, 12, 31), first.GetDate(6));
            Assert.True(first.IsNull(7));
            Assert.Null(first.GetValue(7));
            Assert.False(first.Read());
        }
        using (var second = select.Bind(1, long.MinValue).Query())
        {
            Assert.True(second.Read());
            Assert.Equal(int.MinValue, second.GetInt32(0));
            Assert.Equal(double.NegativeInfinity, second.GetDouble(2));
            Assert.Equal(longText, second.GetString(3));
            Assert.False(second.GetBoolean(4));
            // 1.5 µs before the epoch rounds down to -2 µs, not toward zero.
            Assert.Equal(DateTime.UnixEpoch.AddTicks(-20), second.GetDateTime(5));
            Assert.Equal(new DateOnly(2026, 2, 28), second.GetDate(6));
            Assert.True(second.IsNull(7));
        }
    }

    [Fact]
    public void result_reads_each_column_type_and_nulls()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        using var result = connection.Query("""
            SELECT true AS b, -5::TINYINT AS ti, -300::SMALLINT AS si, 70000::INTEGER AS i, 5000000000::BIGINT AS bi,
                   200::UTINYINT AS uti, 60000::USMALLINT AS usi, 4000000000::UINTEGER AS ui, 9000000000::UBIGINT AS ubi,
                   1.5::FLOAT AS f, 2.25::DOUBLE AS d, 'twelve bytes'::VARCHAR AS inline, 'more than twelve bytes'::VARCHAR AS pointer,
                   DATE '2026-11-21' AS dt, TIMESTAMP '2026-11-21 09:48:07.123456' AS ts,
                   '2026-11-21 09:48:07.123'::TIMESTAMP_MS AS tsms, '2026-11-21 09:48:07'::TIMESTAMP_S AS tss,
                   '2026-11-21 09:48:07.1234567'::TIMESTAMP_NS AS tsns, TIME '09:48:07' AS tm,
                   '\xAA\xBB'::BLOB AS bl, 170141183460469231731687303715884105727::HUGEINT AS hi,
                   NULL::INTEGER AS ni, NULL::VARCHAR AS ns, NULL::TIMESTAMP AS nts,
                   -12.34::DECIMAL(4,2) AS dec16, 123456.789::DECIMAL(9,3) AS dec32, -1234567890.12345::DECIMAL(18,5) AS dec64,
                   12345678901234567890.123456::DECIMAL(38,6) AS dec128
            """);
        DuckDbType[] expected =
        [
            DuckDbType.Boolean, DuckDbType.TinyInt, DuckDbType.SmallInt, DuckDbType.Integer, DuckDbType.BigInt,
            DuckDbType.UTinyInt, DuckDbType.USmallInt, DuckDbType.UInteger, DuckDbType.UBigInt,
            DuckDbType.Float, DuckDbType.Double, DuckDbType.Varchar, DuckDbType.Varchar,
            DuckDbType.Date, DuckDbType.Timestamp, DuckDbType.TimestampMs, DuckDbType.TimestampS, DuckDbType.TimestampNs,
            DuckDbType.Time, DuckDbType.Blob, DuckDbType.HugeInt, DuckDbType.Integer, DuckDbType.Varchar, DuckDbType.Timestamp,
            DuckDbType.Decimal, DuckDbType.Decimal, DuckDbType.Decimal, DuckDbType.Decimal,
        ];
        Assert.Equal(expected.Length, result.FieldCount);
        for (var c = 0; c < expected.Length; c++) Assert.Equal(expected[c], result.GetColumnType(c));
        Assert.Equal("pointer", result.GetName(12));
        Assert.Equal(12, result.GetOrdinal("POINTER"));

        Assert.True(result.Read());
        Assert.True(result.GetBoolean(0));
        Assert.Equal(-5, result.GetInt32(1));
        Assert.Equal(-300, result.GetInt32(2));
        Assert.Equal(70000, result.GetInt32(3));
        Assert.Equal(5_000_000_000, result.GetInt64(4));
        Assert.Equal(200, result.GetInt32(5));
        Assert.Equal(60000, result.GetInt32(6));
        Assert.Equal(4_000_000_000, result.GetInt64(7));
        Assert.Equal(9_000_000_000, result.GetInt64(8));
        Assert.Equal(1.5, result.GetDouble(9));
        Assert.Equal(2.25, result.GetDouble(10));
        Assert.Equal("twelve bytes", result.GetString(11));
        Assert.Equal("more than twelve bytes", result.GetString(12));
        Assert.Equal(new DateOnly(2026, 11, 21), result.GetDate(13));
        Assert.Equal(new DateTime(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc), result.GetDateTime(13));
        var seconds = new DateTime(2026, 11, 21, 9, 48, 7, DateTimeKind.Utc);
        Assert.Equal(seconds.AddTicks(1_234_560), result.GetDateTime(14));
        Assert.Equal(seconds.AddMilliseconds(123), result.GetDateTime(15));
        Assert.Equal(seconds, result.GetDateTime(16));
        Assert.Equal(seconds.AddTicks(1_234_567), result.GetDateTime(17));
        Assert.Equal(new TimeOnly(9, 48, 7), result.GetValue(18));
        Assert.Equal(new byte[] { 0xAA, 0xBB }, result.GetValue(19));
        Assert.Equal(Int128.MaxValue, result.GetValue(20));
        Assert.Equal(4_000_000_000u, result.GetValue(7));
        Assert.Equal("more than twelve bytes", result.GetValue(12));
        for (var c = 21; c <= 23; c++)
        {
            Assert.True(result.IsNull(c));
            Assert.Null(result.GetValue(c));
        }
        Assert.False(result.IsNull(0));
        Assert.Equal(-12.34m, result.GetDecimal(24));
        Assert.Equal(123456.789m, result.GetValue(25));
        Assert.Equal(-1234567890.12345m, result.GetDecimal(26));
        Assert.Equal(12345678901234567890.123456m, result.GetDecimal(27));
        Assert.Equal(-12.34, result.GetDouble(24), 10);

        Assert.Throws<InvalidCastException>(() => result.GetString(3));
        Assert.Throws<InvalidCastException>(() => result.GetInt32(4));
        Assert.Throws<InvalidCastException>(() => result.GetInt64(20));
        var nullRead = Assert.Throws<InvalidCastException>(() => result.GetInt32(21));
        Assert.Contains("NULL", nullRead.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => result.IsNull(28));
        Assert.False(result.Read());
        Assert.Throws<InvalidOperationException>(() => result.GetInt32(3));
    }

    [Fact]
    public void rows_spanning_many_chunks_are_all_read_with_their_nulls()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        using var result = connection.Query(
            "SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row ' || i END AS label FROM range(10000) r(i) ORDER BY i");
        long rows = 0, nulls = 0;
        while (result.Read())
        {
            Assert.Equal(rows, result.GetInt64(0));
            if (result.IsNull(1)) nulls++;
            else Assert.Equal($"row {rows}", result.GetString(1));
            rows++;
        }
        Assert.Equal(10000, rows);
        Assert.Equal((10000 + 6) / 7, nulls);
        Assert.False(result.Read());
    }

    [Fact]
    public void a_syntax_error_surfaces_duckdbs_message()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        var error = Assert.Throws<DuckDbException>(() => connection.Execute("SELEC 1"));
        Assert.Contains("syntax error", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("SELEC", error.NativeMessage, StringComparison.Ordinal);
        Assert.Equal(DuckDbErrorType.Parser, error.ErrorType);
        Assert.Equal("SELEC 1", error.Sql);
        Assert.DoesNotContain('\n', error.Message);
        Assert.IsAssignableFrom<SluiceException>(error);

        var prepare = Assert.Throws<DuckDbException>(() => connection.Prepare("SELECT * FROM no_such_table"));
        Assert.Contains("no_such_table", prepare.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_constraint_violation_surfaces_from_sql_statements_and_appenders()
    {
        using var connection = DuckDbConnection.Open(PathOf("constraints.duckdb"));
        connection.Execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)");
        connection.Execute("INSERT INTO users VALUES (1, 'ada')");

        var duplicate = Assert.Throws<DuckDbException>(() => connection.Execute("INSERT INTO users VALUES (1, 'bob')"));
        Assert.Equal(DuckDbErrorType.Constraint, duplicate.ErrorType);
        Assert.Contains("Constraint Error", duplicate.Message, StringComparison.Ordinal);
        Assert.False(duplicate.IsTransient);

        using var insert = connection.Prepare("INSERT INTO users VALUES ($1, $2)");
        var notNull = Assert.Throws<DuckDbException>(() => insert.Bind(1, 2).BindNull(2).Execute());
        Assert.Contains("NOT NULL", notNull.Message, StringComparison.Ordinal);

        using var appender = connection.CreateAppender("users");
        appender.Append(1).Append("carol").EndRow();
        var appended = Assert.Throws<DuckDbException>(appender.Close);
        Assert.Contains("users", appended.Message, StringComparison.Ordinal);
        Assert.Equal(DuckDbErrorType.Constraint, appended.ErrorType);

        using var count = connection.Query("SELECT count(*) FROM users");
        Assert.True(count.Read());
        Assert.Equal(1, count.GetInt64(0));
    }

    [Fact]
    public void appended_rows_commit_or_roll_back_with_the_connections_transaction()
    {
        // The exactly-once sinks store offsets in the same transaction as the rows: both or neither.
        using var connection = DuckDbConnection.Open(PathOf("tx.duckdb"));
        connection.Execute("CREATE TABLE rows (x INTEGER); CREATE TABLE offsets (p INTEGER, o BIGINT)");

        connection.Execute("BEGIN TRANSACTION");
        using (var appender = connection.CreateAppender("rows"))
        {
            for (var i = 0; i < 5000; i++) appender.Append(i).EndRow();
            appender.Close();
        }
        connection.Execute("INSERT INTO offsets VALUES (0, 5000)");
        connection.Execute("ROLLBACK");
        Assert.Equal(0, Count(connection, "rows"));
        Assert.Equal(0, Count(connection, "offsets"));

        connection.Execute("BEGIN TRANSACTION");
        using (var appender = connection.CreateAppender("rows"))
        {
            for (var i = 0; i < 5000; i++) appender.Append(i).EndRow();
            appender.Close();
        }
        connection.Execute("INSERT INTO offsets VALUES (0, 5000)");
        connection.Execute("COMMIT");
        Assert.Equal(5000, Count(connection, "rows"));
        Assert.Equal(1, Count(connection, "offsets"));
    }

    [Fact]
    public void a_write_conflict_between_transactions_is_transient()
    {
        using var database = DuckDbDatabase.Open(PathOf("conflict.duckdb"));
        using var first = database.Connect();
        using var second = database.Connect();
        first.Execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, n BIGINT); INSERT INTO counters VALUES (1, 0)");

        first.Execute("BEGIN TRANSACTION; UPDATE counters SET n = n + 1 WHERE id = 1");
        second.Execute("BEGIN TRANSACTION");
        var conflict = Assert.Throws<DuckDbException>(() => second.Execute("UPDATE counters SET n = n + 10 WHERE id = 1"));
        Assert.Equal(DuckDbErrorType.Transaction, conflict.ErrorType);
        Assert.True(conflict.IsTransient);
        second.Execute("ROLLBACK");
        first.Execute("COMMIT");

        // Retried after the other writer committed, the same statement succeeds.
        Assert.Equal(1, second.Execute("UPDATE counters SET n = n + 10 WHERE id = 1"));
        Assert.Equal(11, Scalar(second, "SELECT n FROM counters"));
    }

    private static long Scalar(DuckDbConnection connection, string sql)
    {
        using var result = connection.Query(sql);
        Assert.True(result.Read());
        return result.GetInt64(0);
    }

    private static long Count(DuckDbConnection connection, string table) => Scalar(connection, $"SELECT count(*) FROM {table}");

    [Fact]
    public void appender_misuse_surfaces_clear_errors()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        var missing = Assert.Throws<DuckDbException>(() => connection.CreateAppender("nowhere"));
        Assert.Contains("nowhere", missing.Message, StringComparison.Ordinal);

        connection.Execute("CREATE SCHEMA lake; CREATE TABLE lake.pair (a INTEGER, b VARCHAR)");
        using var appender = connection.CreateAppender("pair", schema: "lake");
        appender.Append(1);
        Assert.Throws<DuckDbException>(appender.EndRow);
    }

    [Fact]
    public void reopening_the_file_sees_persisted_data()
    {
        var path = PathOf("persist.duckdb");
        using (var database = DuckDbDatabase.Open(path))
        using (var connection = database.Connect())
        {
            connection.Execute("CREATE TABLE kv (k VARCHAR, v BIGINT)");
            Assert.Equal(2, connection.Execute("INSERT INTO kv VALUES ('a', 1), ('b', 2)"));
        }

        using (var connection = DuckDbConnection.Open(path, new DuckDbOptions { ReadOnly = true }))
        using (var result = connection.Query("SELECT k, v FROM kv ORDER BY k"))
        {
            Assert.True(result.Read());
            Assert.Equal("a", result.GetString(0));
            Assert.Equal(1, result.GetInt64(1));
            Assert.True(result.Read());
            Assert.Equal("b", result.GetString(0));
            Assert.Equal(2, result.GetInt64(1));
            Assert.False(result.Read());

            var readOnly = Assert.Throws<DuckDbException>(() => connection.Execute("INSERT INTO kv VALUES ('c', 3)"));
            Assert.Contains("read-only", readOnly.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void opening_one_file_twice_in_a_process_shares_one_instance()
    {
        var path = PathOf("shared.duckdb");
        using var sink = DuckDbConnection.Open(path);
        using var dashboard = DuckDbConnection.Open(Path.Combine(_dir, ".", "shared.duckdb"));
        sink.Execute("CREATE TABLE t (x INTEGER)");
        dashboard.Execute("INSERT INTO t VALUES (1), (2)");

        // Two independent instances would each keep their own catalog and overwrite each other's file.
        using var result = sink.Query("SELECT count(*) FROM t");
        Assert.True(result.Read());
        Assert.Equal(2, result.GetInt64(0));

        var conflict = Assert.Throws<DuckDbException>(() => DuckDbDatabase.Open(path, new DuckDbOptions { ReadOnly = true }));
        Assert.Contains("configuration", conflict.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void in_memory_databases_are_independent()
    {
        using var first = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        using var second = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        first.Execute("CREATE TABLE only_here (x INTEGER)");
        var error = Assert.Throws<DuckDbException>(() => second.Execute("SELECT * FROM only_here"));
        Assert.Equal(DuckDbErrorType.Catalog, error.ErrorType);
    }

    [Fact]
    public void copy_to_parquet_and_read_parquet_round_trip()
    {
        var parquet = PathOf("events.parquet");
        using var connection = DuckDbConnection.Open(PathOf("lake.duckdb"));
        connection.Execute("CREATE TABLE events AS SELECT i AS id, 'user-' || (i % 50) AS user_id, i * 1.5 AS amount FROM range(5000) r(i)");
        connection.Execute($"COPY events TO '{parquet}' (FORMAT PARQUET, COMPRESSION ZSTD)");
        Assert.True(new FileInfo(parquet).Length > 0);

        using var result = connection.Query($"SELECT count(*), sum(id), count(DISTINCT user_id), sum(amount) FROM read_parquet('{parquet}')");
        Assert.True(result.Read());
        Assert.Equal(5000, result.GetInt64(0));
        Assert.Equal(4999L * 5000 / 2, result.GetInt64(1));
        Assert.Equal(50, result.GetInt64(2));
        // i * 1.5 is a DECIMAL: exact through GetDecimal, approximate through GetDouble.
        Assert.Equal(DuckDbType.Decimal, result.GetColumnType(3));
        Assert.Equal(4999m * 5000 / 2 * 1.5m, result.GetDecimal(3));
        Assert.Equal(4999.0 * 5000 / 2 * 1.5, result.GetDouble(3));
    }

    [Fact]
    public void options_reach_duckdb_and_invalid_ones_name_the_key()
    {
        var options = new DuckDbOptions { Threads = 1, MemoryLimit = "256MB" };
        options.Settings["default_order"] = "DESC";
        using (var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory, options))
        using (var result = connection.Query("SELECT current_setting('threads'), current_setting('default_order')"))
        {
            Assert.True(result.Read());
            Assert.Equal(1, result.GetInt64(0));
            Assert.Equal("desc", result.GetString(1), ignoreCase: true);
        }

        var threads = Assert.Throws<ConfigurationException>(() => DuckDbDatabase.Open(DuckDbDatabase.InMemory, new DuckDbOptions { Threads = 0 }));
        Assert.Equal("duckdb.threads", threads.Key);
        var unknown = new DuckDbOptions();
        unknown.Settings["no_such_setting"] = "1";
        var error = Assert.ThrowsAny<SluiceException>(() => DuckDbDatabase.Open(DuckDbDatabase.InMemory, unknown));
        Assert.Contains("no_such_setting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task interrupt_from_another_thread_stops_a_running_query()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory, new DuckDbOptions { Threads = 1 });
        // Far longer than any test run: only an interrupt ends it.
        var query = Task.Run(() => connection.Execute("SELECT count(*) FROM range(1000000000) a, range(1000000000) b"));

        // An interrupt before the query starts is a no-op, so keep asking until it has stopped.
        while (!query.IsCompleted)
        {
            connection.Interrupt();
            await Task.WhenAny(query, Task.Delay(20));
        }
        var error = await Assert.ThrowsAsync<DuckDbException>(() => query);
        Assert.Equal(DuckDbErrorType.Interrupt, error.ErrorType);

        // The connection is usable afterwards, and interrupting an idle or disposed one is harmless.
        Assert.Equal(1, Scalar(connection, "SELECT 1"));
        connection.Interrupt();
        connection.Dispose();
        connection.Interrupt();
    }

    [Fact]
    public void disposing_twice_is_safe()
    {
        var database = DuckDbDatabase.Open(PathOf("twice.duckdb"));
        var connection = database.Connect();
        connection.Execute("CREATE TABLE t (x INTEGER)");
        var statement = connection.Prepare("SELECT x FROM t");
        var result = statement.Query();
        var appender = connection.CreateAppender("t");
        appender.Append(1).EndRow();
        appender.Close();
        appender.Close();

        foreach (var disposable in new IDisposable[] { result, statement, appender, connection, database })
        {
            disposable.Dispose();
            disposable.Dispose();
        }
        Assert.Throws<ObjectDisposedException>(() => result.Read());
        Assert.Throws<ObjectDisposedException>(() => statement.Execute());
        Assert.Throws<ObjectDisposedException>(() => appender.Append(2));
        Assert.Throws<ObjectDisposedException>(() => database.Connect());
    }

    [Fact]
    public void using_a_disposed_connection_throws_object_disposed()
    {
        var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        connection.Dispose();
        Assert.Throws<ObjectDisposedException>(() => connection.Execute("SELECT 1"));
        Assert.Throws<ObjectDisposedException>(() => connection.Query("SELECT 1"));
        Assert.Throws<ObjectDisposedException>(() => connection.Prepare("SELECT 1"));
        Assert.Throws<ObjectDisposedException>(() => connection.CreateAppender("t"));
    }

    [Fact]
    public void objects_made_from_a_disposed_parent_keep_working_until_they_are_disposed()
    {
        var database = DuckDbDatabase.Open(PathOf("order.duckdb"));
        var connection = database.Connect();
        connection.Execute("CREATE TABLE t AS SELECT * FROM range(3000) r(x)");
        var statement = connection.Prepare("SELECT sum(x) FROM t WHERE x < $1");
        var result = connection.Query("SELECT x FROM t ORDER BY x");

        // Parents first: the native database and connection must stay alive for their children.
        database.Dispose();
        connection.Dispose();

        long rows = 0;
        while (result.Read()) Assert.Equal(rows++, result.GetInt64(0));
        Assert.Equal(3000, rows);
        using (var sum = statement.Bind(1, 10L).Query())
        {
            Assert.True(sum.Read());
            Assert.Equal(45, sum.GetInt64(0));
        }
        result.Dispose();
        statement.Dispose();
    }

    [Fact]
    public void binding_outside_the_parameter_range_names_the_range()
    {
        using var connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        using var statement = connection.Prepare("SELECT $1::INTEGER + $2::INTEGER");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => statement.Bind(3, 1));
        Assert.Contains("1 to 2", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => statement.Bind(0, 1));
    }

    [Fact]
    public void opening_a_path_in_a_missing_folder_surfaces_duckdbs_reason()
    {
        var error = Assert.Throws<DuckDbException>(() => DuckDbDatabase.Open(Path.Combine(_dir, "no", "such", "folder", "x.duckdb")));
        Assert.Contains("x.duckdb", error.Message, StringComparison.Ordinal);
    }
}
