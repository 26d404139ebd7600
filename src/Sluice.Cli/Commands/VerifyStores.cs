using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Npgsql;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Sinks.ClickHouse;
using Sluice.Sinks.DuckDb;
using Sluice.Sinks.Lake;
using Sluice.Sinks.Postgres;
using Sluice.Verification;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice verify --store postgres|duckdb|lake|clickhouse</c>: the sinks' tables against the batch recomputation, as the topics are.</summary>
/// <remarks>The stores are opened (read-only for DuckDB) before anything else is read, so a wrong setting is reported first.</remarks>
internal sealed class VerifyStores : IDisposable
{
    private static readonly string[] Known = ["postgres", "duckdb", "lake", "clickhouse"];

    // Each store: how its tables compare with the recomputation, and what to close after.
    private readonly List<(string Name, string Where, Func<ExpectedOutputs, int, IReadOnlyList<OutputReport>> Compare, IDisposable Resource)> _stores = [];
    private LakeReadback? _lake;

    /// <summary>Adds --store, --warehouse and --lake to <c>verify</c>.</summary>
    public static (Option<string[]> Store, Option<string?> Warehouse, Option<string?> Lake) AddOptions(Command command)
    {
        var store = new Option<string[]>("--store")
        {
            Description = "Also compare a sink's store with the recomputation, table by table: postgres (postgres.connectionString), duckdb (warehouse.path), lake (lake.path) or clickhouse (sinks.clickhouse.url); repeatable",
            AllowMultipleArgumentsPerToken = true,
        };
        var warehouse = new Option<string?>("--warehouse") { Description = "The DuckDB file for --store duckdb (default warehouse.path)" };
        command.Options.Add(store);
        var lake = new Option<string?>("--lake") { Description = "The lake folder for --store lake (default lake.path)" };
        command.Options.Add(warehouse);
        command.Options.Add(lake);
        return (store, warehouse, lake);
    }

    /// <summary>Opens every store --store names; none when it is not given.</summary>
    public static VerifyStores Open(ParseResult parse, SluiceOptions options, Option<string[]> store, Option<string?> warehouse, Option<string?> lake)
    {
        var names = (parse.GetValue(store) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(v => v.ToLowerInvariant()).Distinct().ToList();
        foreach (var n in names.Where(n => !Known.Contains(n)))
            throw new UsageException($"--store {n}: unknown store; use postgres, duckdb, lake or clickhouse");
        var stores = new VerifyStores();
        try
        {
            foreach (var name in names)
            {
                if (name == "duckdb")
                {
                    var key = parse.GetResult(warehouse) is { Implicit: false } ? "--warehouse" : DuckDbWarehouse.PathKey;
                    var path = parse.GetValue(warehouse) ?? options.Warehouse.Path;
                    stores.AddSql(name, path, DuckDbWarehouse.OpenReadOnly(path, key), DuckDbSink.EpochMs);
                }
                else if (name == "lake")
                {
                    var key = parse.GetResult(lake) is { Implicit: false } ? "--lake" : "lake.path";
                    var path = parse.GetValue(lake) ?? options.Lake.Path;
                    stores._lake = OpenLake(path, key);
                    stores.AddSql(name, path, stores._lake.Connection, DuckDbSink.EpochMs);
                }
                else if (name == "clickhouse")
                {
                    var sink = (ClickHouseSink)Sluice.App.Hosting.SinkCatalog.Define("clickhouse", options, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).Create();
                    stores._stores.Add((name, sink.Server, (expected, examples) => StoreComparison.Compare(expected, kind => sink.ReadStored(kind), examples), sink));
                }
                else
                {
                    stores.AddSql(name, "", OpenPostgres(options), PostgresSink.EpochMs);
                }
            }
        }
        catch
        {
            stores.Dispose();
            throw;
        }
        return stores;
    }

    /// <summary>Compares every store with the recomputation of <paramref name="input"/> and prints a table each; true when all are equal.</summary>
    /// <remarks>For the lake, bronze/events is also compared with <paramref name="input"/> by position.</remarks>
    public bool CompareAndWrite(VerificationInput input, Func<ExpectedOutputs> recompute, int examples)
    {
        if (_stores.Count == 0) return true;
        var expected = recompute();
        var equal = true;
        foreach (var (name, where, compare, _) in _stores)
        {
            IReadOnlyList<OutputReport> reports;
            try
            {
                reports = compare(expected, examples);
            }
            catch (DbException ex)
            {
                throw new SluiceException($"verify --store {name}: reading the tables failed ({ex.Message.ReplaceLineEndings(" ").TrimEnd('.')}); " +
                    "the sink creates them when it starts: run `sluice sink --to " + name + "` first", ex);
            }
            Write(name, where, reports);
            equal &= reports.All(r => r.IsEqual);
            if (name == "lake" && _lake is not null) equal &= WriteLake(_lake, input, examples);
        }
        return equal;
    }

    public void Dispose()
    {
        // The lake's connection is its readback's.
        foreach (var s in _stores) s.Resource.Dispose();
    }

    private void AddSql(string name, string where, DbConnection connection, Func<string, string> epochMs) =>
        _stores.Add((name, where, (expected, examples) => StoreComparison.Compare(expected, connection, epochMs, examples), connection));

    private static LakeReadback OpenLake(string path, string key)
    {
        if (!Directory.Exists(path))
            throw new ConfigurationException(key, $"'{path}' is no folder; name the folder `sluice sink --to lake` wrote (lake.path or --lake)");
        try
        {
            return LakeReadback.Open(path);
        }
        catch (Exception ex) when (ex is DbException or IOException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException(key, $"the lake at '{path}' could not be read for verify --store lake ({ex.Message.ReplaceLineEndings(" ").TrimEnd('.')})");
        }
    }

    /// <summary>The lake's files the log names but the disk lacks, and bronze/events against the input; true when both are clean.</summary>
    private static bool WriteLake(LakeReadback lake, VerificationInput input, int examples)
    {
        foreach (var file in lake.MissingFiles)
            AnsiConsole.MarkupLine($"[red]lake: live file {Markup.Escape(file)} is in the Delta log but not on disk: its rows count as missing[/]");
        var bronze = BronzeComparison.Compare(input, lake.Connection, $"SELECT topic, \"partition\", \"offset\" FROM {LakeReadback.BronzeView}", examples);
        var table = new Table().Border(TableBorder.Rounded).Title("lake: bronze/events against the input records");
        table.AddColumn(new TableColumn("table").NoWrap());
        foreach (var c in new[] { "input", "actual", "missing", "extra", "dups" }) table.AddColumn(new TableColumn(c).RightAligned());
        table.AddColumn("result");
        table.AddRow("bronze/events", N(bronze.Expected), N(bronze.Actual), Bad(bronze.Missing), Bad(bronze.Extra), Bad(bronze.Duplicates),
            bronze.IsEqual ? "[green]equal[/]" : "[red]DIFFERS[/]");
        table.Caption("by position (topic, partition, offset): one row per input record, valid or not.");
        AnsiConsole.Write(table);
        foreach (var e in bronze.Examples) AnsiConsole.MarkupLine($"  {Markup.Escape(e)}");
        return bronze.IsEqual && lake.MissingFiles.Count == 0;
    }

    private static NpgsqlConnection OpenPostgres(SluiceOptions options)
    {
        if (options.Postgres.ConnectionString.Length == 0)
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "must be set for verify --store postgres: set SLUICE__POSTGRES__CONNECTIONSTRING");
        var connection = new NpgsqlConnection(options.Postgres.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            connection.Dispose();
            var b = new NpgsqlConnectionStringBuilder(options.Postgres.ConnectionString);
            var text = (ex is PostgresException p ? p.MessageText : ex.InnerException?.Message ?? ex.Message).ReplaceLineEndings(" ").TrimEnd('.');
            throw new ConfigurationException("postgres.connectionString", $"PostgreSQL at {b.Host}:{b.Port}/{b.Database ?? b.Username} could not be opened for verify --store postgres ({text})");
        }
    }

    private static void Write(string name, string where, IReadOnlyList<OutputReport> reports)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{name}{(where.Length > 0 ? $" ({where})" : "")}: tables against the batch recomputation"));
        table.AddColumn(new TableColumn("table").NoWrap());
        foreach (var c in new[] { "expected", "pending", "actual", "missing", "extra", "different" }) table.AddColumn(new TableColumn(c).RightAligned());
        table.AddColumn("result");
        foreach (var r in reports)
            table.AddRow(Markup.Escape(r.Topic), N(r.Expected), N(r.Pending), N(r.Actual), Bad(r.Missing), Bad(r.Extra), Bad(r.Different),
                r.IsEqual ? "[green]equal[/]" : "[red]DIFFERS[/]");
        table.Caption("by stable id, column by column; processing-time columns not compared. pending: windows and sessions the input's watermark has not closed.");
        AnsiConsole.Write(table);
        foreach (var r in reports.Where(r => r.Examples.Count > 0))
        {
            AnsiConsole.MarkupLine($"{Markup.Escape(name)} {Markup.Escape(r.Topic)} (by {Markup.Escape(r.Output.IdDescription())}):");
            foreach (var d in r.Examples) AnsiConsole.MarkupLine($"  {d.Kind.ToString().ToLowerInvariant()} {Markup.Escape(d.Id)}: {Markup.Escape(d.Detail)}");
        }
        AnsiConsole.MarkupLine(reports.All(r => r.IsEqual)
            ? $"[green]verify: every table of {Markup.Escape(name)} equals its recomputation[/]"
            : $"[red]verify: {reports.Count(r => !r.IsEqual)} of {reports.Count} tables of {Markup.Escape(name)} differ from their recomputation[/]");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Bad(long value) => value == 0 ? "0" : $"[red]{N(value)}[/]";
}
