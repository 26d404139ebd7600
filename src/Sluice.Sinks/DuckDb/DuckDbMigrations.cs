using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;

namespace Sluice.Sinks.DuckDb;

/// <summary>Brings a warehouse file to the schema this binary writes, recording each step in <c>sluice_migrations</c>.</summary>
/// <remarks>
/// Each migration runs in its own transaction with its row in <c>sluice_migrations</c>, so a crash leaves the file at a
/// version, never between two. No lock is needed beyond DuckDB's own: one process writes a file at a time. A file at
/// a version this binary does not know was migrated by a newer Sluice: writing to it could lose data.
/// </remarks>
internal static class DuckDbMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "tables", DuckDbSchema.Tables),
        new(2, "views", DuckDbSchema.Views),
        new(3, "session conversion", DuckDbSchema.SessionConversion),
        new(4, "text event ids", DuckDbSchema.TextEventIds),
        new(5, "quality", DuckDbSchema.Quality),
        new(6, "users", DuckDbSchema.Users),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>Applies the missing migrations; returns how many it applied.</summary>
    public static int Apply(DuckDBConnection connection, string path, ILogger logger)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS sluice_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, " +
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
        var current = CurrentVersion(connection);
        if (current > Latest)
            ThrowHelper.Throw($"the DuckDB file {path} is at schema version {current}, newer than the {Latest} this sluice knows; " +
                $"run the newer sluice that migrated it, or set {DuckDbWarehouse.PathKey} to another file");
        var applied = 0;
        foreach (var m in All.Where(m => m.Version > current))
        {
            using var tx = connection.BeginTransaction();
            Execute(connection, m.Sql);
            using (var record = connection.CreateCommand())
            {
                record.CommandText = "INSERT INTO sluice_migrations (version, name) VALUES ($1, $2)";
                record.Parameters.Add(new DuckDBParameter(m.Version));
                record.Parameters.Add(new DuckDBParameter(m.Name));
                record.ExecuteNonQuery();
            }
            tx.Commit();
            applied++;
            logger.LogInformation("duckdb: applied migration {Version} ({Name}) to {Path}", m.Version, m.Name, path);
        }
        return applied;
    }

    public static int CurrentVersion(DuckDBConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT coalesce(max(version), 0) FROM sluice_migrations";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
