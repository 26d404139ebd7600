using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Core.Errors;

namespace Sluice.Sinks.Postgres;

/// <summary>Brings a database to the schema this binary writes, recording each step in <c>sluice_migrations</c>.</summary>
/// <remarks>
/// Each migration runs in its own transaction with its row in <c>sluice_migrations</c>, so a crash leaves the schema at
/// a version, never between two. A session advisory lock keeps two sinks starting at once from applying the same step.
/// A database at a version this binary does not know was migrated by a newer Sluice: writing to it could lose data.
/// </remarks>
internal static class PostgresMigrations
{
    // Any constant both sides agree on: "sluice" in ASCII.
    private const long LockKey = 0x736c75696365;

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "tables", PostgresSchema.Tables),
        new(2, "views", PostgresSchema.Views),
        new(3, "session conversion", PostgresSchema.SessionConversion),
        new(4, "text event ids", PostgresSchema.TextEventIds),
        new(5, "quality", PostgresSchema.Quality),
        new(6, "users", PostgresSchema.Users),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>Applies the missing migrations; returns how many it applied.</summary>
    public static int Apply(NpgsqlConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        Execute(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            Execute(connection, "CREATE TABLE IF NOT EXISTS sluice_migrations (version int PRIMARY KEY, name text NOT NULL, " +
                "applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken);
            var current = CurrentVersion(connection, cancellationToken);
            if (current > Latest)
                ThrowHelper.Throw($"the PostgreSQL database is at schema version {current}, newer than the {Latest} this sluice knows; " +
                    "run the newer sluice that migrated it, or point postgres.connectionString at another database");
            var applied = 0;
            foreach (var m in All.Where(m => m.Version > current))
            {
                using var tx = connection.BeginTransaction();
                Execute(connection, m.Sql, cancellationToken, tx);
                using (var record = new NpgsqlCommand("INSERT INTO sluice_migrations (version, name) VALUES ($1, $2)", connection, tx))
                {
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = m.Version });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Name });
                    record.ExecuteNonQuery();
                }
                tx.Commit();
                applied++;
                logger.LogInformation("postgres: applied migration {Version} ({Name})", m.Version, m.Name);
            }
            return applied;
        }
        finally
        {
            Execute(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    public static int CurrentVersion(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM sluice_migrations", connection);
        return (int)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? tx = null)
    {
        using var cmd = new NpgsqlCommand(sql, connection, tx);
        using var registration = cancellationToken.Register(cmd.Cancel);
        cmd.ExecuteNonQuery();
    }
}
