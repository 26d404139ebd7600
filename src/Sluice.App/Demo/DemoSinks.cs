using Microsoft.Extensions.Logging;
using Sluice.App.Hosting;
using Sluice.Core.Configuration;

namespace Sluice.App.Demo;

/// <summary>The stores <c>demo</c> runs beside the pipeline, each as a <see cref="SinkService"/>.</summary>
/// <remarks>
/// Stores come from <see cref="SinkCatalog"/>, the one place a store is added. By default the demo lands its outputs
/// in the DuckDB warehouse (<c>warehouse.path</c>) and the lake (<c>lake.path</c>), and in PostgreSQL when
/// <c>postgres.connectionString</c> is set; <c>--sinks</c> names others, or <c>none</c>. The demo starts them after the
/// members, waits at the end until each has stored every record it reads, and reports what it wrote.
/// </remarks>
public static class DemoSinks
{
    /// <summary>The stores a demo runs when <c>--sinks</c> is not given.</summary>
    public static IReadOnlyList<string> Default(SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Postgres.ConnectionString.Length > 0 ? ["duckdb", "lake", "postgres"] : ["duckdb", "lake"];
    }

    /// <summary>The stores <paramref name="names"/> configured from <paramref name="options"/>, in the order they start.</summary>
    public static IReadOnlyList<SinkDefinition> Configured(SluiceOptions options, IReadOnlyList<string> names, ILogger logger) =>
        [.. names.Select(name => SinkCatalog.Define(name, options, logger))];
}
