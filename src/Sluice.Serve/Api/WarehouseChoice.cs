using Sluice.Core.Configuration;

namespace Sluice.Serve.Api;

/// <summary>Which warehouse a command's API reads, and, when none, why and how to have one.</summary>
/// <param name="Reader">Null when the process has no warehouse; dispose it with the command when it is disposable.</param>
public sealed record WarehouseChoice(IWarehouseReader? Reader, string NoWarehouse)
{
    /// <summary><c>demo</c>: the DuckDB file its duckdb store writes, in this process; else PostgreSQL when <c>postgres.connectionString</c> is set.</summary>
    public static WarehouseChoice ForDemo(SluiceOptions options, IReadOnlyCollection<string> stores) =>
        BesideStores(options, stores, "no warehouse in this process: the demo runs no duckdb store and postgres.connectionString is empty; " +
                                      "run it with --sinks duckdb (a default) or set postgres.connectionString");

    /// <summary><c>sink</c>: the DuckDB file it writes when it runs the duckdb store, in this process; else PostgreSQL when configured.</summary>
    public static WarehouseChoice ForSink(SluiceOptions options, IReadOnlyCollection<string> stores) =>
        BesideStores(options, stores, "no warehouse in this process: this sink writes neither duckdb nor postgres; read the API of a process or sink that does");

    // A process that runs the duckdb store reads through the store's own instance (DuckDB.NET shares one per file in a process).
    private static WarehouseChoice BesideStores(SluiceOptions options, IReadOnlyCollection<string> stores, string none)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stores);
        if (stores.Contains("duckdb", StringComparer.OrdinalIgnoreCase))
            return new(new DuckDbWarehouseReader(options.Warehouse.Path, inProcessWithSink: true), "");
        if (options.Postgres.ConnectionString.Length > 0) return new(new PostgresWarehouseReader(options.Postgres.ConnectionString), "");
        return new(null, none);
    }

    /// <summary><c>process</c>: PostgreSQL when <c>postgres.connectionString</c> is set; else the DuckDB file <c>warehouse.path</c>, read-only, when it exists.</summary>
    public static WarehouseChoice ForProcess(SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Postgres.ConnectionString.Length > 0) return new(new PostgresWarehouseReader(options.Postgres.ConnectionString), "");
        var path = options.Warehouse.Path;
        if (path.Length > 0 && File.Exists(path)) return new(new DuckDbWarehouseReader(path, inProcessWithSink: false), "");
        return new(null, $"no warehouse in this process: postgres.connectionString is empty and the DuckDB file {Path.GetFullPath(path)} " +
                         "(warehouse.path) does not exist; set postgres.connectionString, or create the file with `sluice sink --to duckdb` and restart");
    }
}
