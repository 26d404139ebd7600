using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;

namespace Sluice.Sinks.ClickHouse;

/// <summary>Brings a ClickHouse database to the schema this binary writes, recording each step in <c>sluice_migrations</c>.</summary>
/// <remarks>
/// ClickHouse has neither transactions nor locks: every statement is idempotent (IF NOT EXISTS) and a migration is
/// recorded after its last statement, so one cut short, or run by two sinks starting together, runs again to the same
/// end. The record table is a ReplacingMergeTree by version, so two records of one step are one. A database at a
/// version this binary does not know was migrated by a newer Sluice: writing to it could lose data.
/// </remarks>
internal static class ClickHouseMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "tables", ClickHouseSchema.Tables),
        new(2, "views", ClickHouseSchema.Views),
        new(3, "users", ClickHouseSchema.Users),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>Creates the database if missing and applies the missing migrations; returns how many it applied.</summary>
    public static int Apply(ClickHouseHttp http, string database, ILogger logger, CancellationToken cancellationToken)
    {
        http.Execute($"CREATE DATABASE IF NOT EXISTS {database}", new(Database: null), cancellationToken);
        var settings = new ClickHouseHttp.Settings(database);
        http.Execute(ClickHouseSchema.Migrations, settings, cancellationToken);
        var current = CurrentVersion(http, database, cancellationToken);
        if (current > Latest)
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.database", $"the ClickHouse database {database} is at schema version {current}, newer than the " +
                $"{Latest} this sluice knows; run the newer sluice that migrated it, or name another database");
        var applied = 0;
        foreach (var m in All.Where(m => m.Version > current))
        {
            foreach (var statement in ClickHouseSchema.Statements(m.Sql))
            {
                try
                {
                    http.Execute(statement, settings, cancellationToken);
                }
                // 18.16 has no ADD COLUMN IF NOT EXISTS: a column a cut-short run of this migration added is there already (code 44 or 15).
                catch (ClickHouseException ex) when (ex.Code is 44 or 15 && statement.Contains(" ADD COLUMN ", StringComparison.Ordinal))
                {
                    logger.LogDebug("clickhouse: {Statement}: {Message}; the column is there already", statement, ex.Message);
                }
            }
            http.Insert("INSERT INTO sluice_migrations (version, name) FORMAT RowBinary", Record(m), settings, cancellationToken);
            applied++;
            logger.LogInformation("clickhouse: applied migration {Version} ({Name}) to {Database}", m.Version, m.Name, database);
        }
        return applied;
    }

    public static int CurrentVersion(ClickHouseHttp http, string database, CancellationToken cancellationToken)
    {
        var result = http.Query("SELECT toInt32(max(version)) FROM sluice_migrations FORMAT RowBinary", new(database), cancellationToken);
        var reader = new RowBinaryReader(result);
        return reader.More ? reader.Int32() : 0;
    }

    private static ReadOnlyMemory<byte> Record(Migration m)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new RowBinaryWriter(buffer);
        writer.StartRow([false, false]);
        // version is UInt32: the same four little-endian bytes as a positive Int32.
        writer.Integer(m.Version);
        writer.Text(m.Name);
        return buffer.WrittenMemory;
    }
}
