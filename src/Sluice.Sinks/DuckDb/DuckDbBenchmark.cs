using System.Diagnostics;
using Sluice.Sinks.Rows;

namespace Sluice.Sinks.DuckDb;

/// <summary>One timed pass of <see cref="DuckDbBenchmark"/>.</summary>
/// <param name="Method">sink (appender into the stage, merge, offsets, commit) or raw (the appender straight into a table without a key).</param>
public sealed record DuckDbBenchmarkPass(string Method, int Round, long Rows, double Seconds)
{
    public double RowsPerSecond => Rows / Seconds;
}

/// <summary>The DuckDB sink's durable, idempotent write path against the bare appender on the same rows, alternated in one run.</summary>
/// <remarks>
/// The sink passes write enriched events through <see cref="DuckDbSink.Write"/> as the runner does: JSON parsed, the
/// appender into the staging table, merge into <c>events</c> by primary key, offsets upserted, commit. The raw passes
/// append already parsed rows of the same columns into a table with no key, one commit per batch: the ceiling. Passes
/// alternate (sink, raw, sink, raw…) so that a noisy machine's drift falls on both; only the writes are timed. Each
/// writes its own file in <paramref name="directory"/>, deleted after the run.
/// </remarks>
public static class DuckDbBenchmark
{
    public static IReadOnlyList<DuckDbBenchmarkPass> Run(string directory, Func<SinkBatch> nextBatch, long rowsPerPass, int rounds,
        Action<DuckDbBenchmarkPass>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(nextBatch);
        var run = Path.Combine(directory, $"sluice-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(run);
        try
        {
            using var sink = new DuckDbSink(Path.Combine(run, "sink.duckdb"), SinkTopics.Default);
            sink.Open();
            using var raw = DuckDbWarehouse.OpenForWriting(Path.Combine(run, "raw.duckdb"));
            using (var create = raw.CreateCommand())
            {
                create.CommandText = $"CREATE TABLE bench_raw ({DuckDbTables.Events.ColumnDefinitions})";
                create.ExecuteNonQuery();
            }
            var passes = new List<DuckDbBenchmarkPass>();
            for (var round = 1; round <= rounds; round++)
            {
                passes.Add(Pass("sink", round, rowsPerPass, nextBatch, b => sink.Write(b), b => b.Count, progress));
                passes.Add(Pass("raw", round, rowsPerPass, () => ParsedBatch.Parse(nextBatch(), SinkTopics.Default).Events, rows =>
                {
                    using var tx = raw.BeginTransaction();
                    DuckDbTables.Events.AppendInto(raw, "bench_raw", rows);
                    tx.Commit();
                }, r => r.Count, progress));
            }
            return passes;
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static DuckDbBenchmarkPass Pass<TBatch>(string method, int round, long rows, Func<TBatch> next, Action<TBatch> write, Func<TBatch, int> count,
        Action<DuckDbBenchmarkPass>? progress)
    {
        long written = 0;
        var timed = new Stopwatch();
        while (written < rows)
        {
            var batch = next();
            timed.Start();
            write(batch);
            timed.Stop();
            written += count(batch);
        }
        var pass = new DuckDbBenchmarkPass(method, round, written, timed.Elapsed.TotalSeconds);
        progress?.Invoke(pass);
        return pass;
    }
}
