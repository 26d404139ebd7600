using System.Diagnostics;
using Npgsql;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.Postgres;

/// <summary>One timed pass of <see cref="PostgresBenchmark"/>.</summary>
/// <param name="Method">sink (<see cref="PostgresSink.Write"/>: parse, COPY into events, offsets, commit) or raw (binary COPY into an unlogged table).</param>
public sealed record PostgresBenchmarkPass(string Method, int Round, long Rows, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
}

/// <summary>The sink's durable, idempotent write path against raw binary COPY of the same rows, alternated in one run.</summary>
/// <remarks>
/// The sink passes write enriched events through <see cref="PostgresSink.Write"/> as the runner does: JSON parsed, binary
/// COPY into the logged <c>events</c> table with its primary key and index (every id is new, so no stage and no merge),
/// offsets upserted, commit. The raw
/// passes COPY already parsed rows of the same columns into an UNLOGGED table with no key: the ceiling. Passes
/// alternate (sink, raw, sink, raw…) so that a noisy machine's drift falls on both. Only the writes are timed; making
/// the batches is not. Everything happens in a database created for the run and dropped after it.
/// </remarks>
public static class PostgresBenchmark
{
    /// <param name="connectionString">Where to create the benchmark's database (the user needs CREATEDB).</param>
    /// <param name="nextBatch">Makes the next batch of enriched-event records; every call new event ids.</param>
    /// <param name="rowsPerPass">Rows each pass writes, in batches from <paramref name="nextBatch"/>.</param>
    public static (IReadOnlyList<PostgresBenchmarkPass> Passes, string Settings) Run(string connectionString, Func<SinkBatch> nextBatch,
        long rowsPerPass, int rounds, Action<PostgresBenchmarkPass>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(nextBatch);
        var database = $"sluice_bench_{Guid.NewGuid():N}";
        Execute(connectionString, $"CREATE DATABASE {database}");
        try
        {
            var benchConnection = new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;
            using var sink = new PostgresSink(benchConnection, SinkTopics.Default);
            sink.Open();
            using var raw = new NpgsqlConnection(benchConnection);
            raw.Open();
            using (var create = new NpgsqlCommand($"CREATE UNLOGGED TABLE bench_raw ({PostgresTables.Events.ColumnDefinitions})", raw)) create.ExecuteNonQuery();
            var settings = Scalar(raw, "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') || ', fsync=' || current_setting('fsync') || ', PostgreSQL ' || current_setting('server_version')");

            var passes = new List<PostgresBenchmarkPass>();
            for (var round = 1; round <= rounds; round++)
            {
                passes.Add(Pass("sink", round, rowsPerPass, nextBatch, b => sink.Write(b), progress));
                passes.Add(Pass("raw", round, rowsPerPass, () => ParsedBatch.Parse(nextBatch(), SinkTopics.Default).Events,
                    rows => PostgresTables.Events.CopyInto(raw, "bench_raw", rows), progress));
            }
            return (passes, settings);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Execute(connectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static PostgresBenchmarkPass Pass<TBatch>(string method, int round, long rows, Func<TBatch> next, Action<TBatch> write,
        Action<PostgresBenchmarkPass>? progress)
    {
        long written = 0;
        var timed = new Stopwatch();
        while (written < rows)
        {
            var batch = next();
            timed.Start();
            write(batch);
            timed.Stop();
            written += batch switch { SinkBatch b => b.Count, List<EventRow> r => r.Count, _ => 0 };
        }
        var pass = new PostgresBenchmarkPass(method, round, written, timed.Elapsed.TotalSeconds);
        progress?.Invoke(pass);
        return pass;
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    private static string Scalar(NpgsqlConnection connection, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        return (string)cmd.ExecuteScalar()!;
    }
}
