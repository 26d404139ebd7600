using BenchmarkDotNet.Attributes;
using Sluice.DuckDb;

namespace Sluice.Benchmarks.DuckDb;

/// <summary>Bulk insert through the appender and typed reads of a result, 100k click-like rows each.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class DuckDbBenchmarks
{
    private const int Rows = 100_000;
    private static readonly DateTime Start = new(2026, 11, 21, 0, 0, 0, DateTimeKind.Utc);
    private readonly string[] _pages = Enumerable.Range(0, 97).Select(i => $"/product/{i}").ToArray();
    private DuckDbConnection _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        _connection = DuckDbConnection.Open(DuckDbDatabase.InMemory);
        _connection.Execute("CREATE TABLE source AS SELECT i AS id, (i % 1000)::INTEGER AS user_id, i * 0.5 AS price, "
            + "'/product/' || (i % 97) AS page, TIMESTAMP '2026-11-21' + to_seconds(i) AS ts FROM range(100000) r(i)");
    }

    [GlobalCleanup]
    public void Cleanup() => _connection.Dispose();

    [Benchmark(OperationsPerInvoke = Rows)]
    public void Append_row()
    {
        _connection.Execute("CREATE OR REPLACE TABLE sink (id BIGINT, user_id INTEGER, price DOUBLE, page VARCHAR, ts TIMESTAMP)");
        using var appender = _connection.CreateAppender("sink");
        for (var i = 0; i < Rows; i++)
        {
            appender.Append((long)i).Append(i % 1000).Append(i * 0.5).Append(_pages[i % 97]).Append(Start.AddSeconds(i));
            appender.EndRow();
        }
        appender.Close();
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long Read_row()
    {
        long total = 0;
        using var result = _connection.Query("SELECT id, user_id, price, page, ts FROM source");
        while (result.Read())
        {
            total += result.GetInt64(0) + result.GetInt32(1) + (long)result.GetDouble(2) + result.GetByteSpan(3).Length
                + result.GetDateTime(4).Ticks;
        }
        return total;
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public long Read_row_with_strings()
    {
        long total = 0;
        using var result = _connection.Query("SELECT page FROM source");
        while (result.Read()) total += result.GetString(0).Length;
        return total;
    }
}
