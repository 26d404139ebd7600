using System.Data.Common;
using DuckDB.NET.Data;
using Sluice.Core.Errors;
using Sluice.Sinks.DuckDb;

namespace Sluice.Serve.Api;

/// <summary>The API's queries on the DuckDB warehouse file (<c>warehouse.path</c>).</summary>
/// <remarks>
/// <para>DuckDB.NET keeps one database instance per data source (the full path) in a process, and every connection to that
/// path uses it, whatever its own settings: the first connection's access mode is the instance's. So in the process
/// that runs the DuckDB sink (<see cref="InProcessWithSink"/>, the demo) the reader opens the path exactly as the sink
/// does and reads through the sink's instance (a read-only connection opened first would make the sink's instance
/// read-only). It opens nothing until the sink has created the file, so it never creates one itself.</para>
/// <para>In a process without the sink (<c>process</c>) it opens the file read-only, per query; DuckDB refuses that while
/// another process writes the file, and the answer says which process holds it. A read-only open also holds a lock for
/// as long as the query runs, in which a writer cannot open the file.</para>
/// </remarks>
public sealed class DuckDbWarehouseReader : SqlWarehouseReader
{
    private readonly string _path;

    /// <param name="path">The warehouse file.</param>
    /// <param name="inProcessWithSink">True when this process runs the DuckDB sink on the same file.</param>
    public DuckDbWarehouseReader(string path, bool inProcessWithSink)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = Path.GetFullPath(path);
        InProcessWithSink = inProcessWithSink;
    }

    /// <summary>True when the reader shares the DuckDB sink's database instance in this process.</summary>
    public bool InProcessWithSink { get; }

    public override string Kind => "duckdb";

    public override string Location => _path;

    protected override string EpochMs(string column) => DuckDbSink.EpochMs(column);

    protected override DbConnection Open()
    {
        if (!File.Exists(_path))
            throw new WarehouseUnavailableException(InProcessWithSink
                ? $"no warehouse in this process: the DuckDB sink has not created {_path} (warehouse.path) yet; it does when it starts, ask again then"
                : $"no warehouse in this process: the DuckDB file {_path} (warehouse.path) does not exist; run `sluice sink --to duckdb` to create it, " +
                  "or set postgres.connectionString");
        if (!InProcessWithSink)
        {
            try
            {
                return DuckDbWarehouse.OpenReadOnly(_path);
            }
            catch (SluiceException ex)
            {
                throw new WarehouseUnavailableException($"no warehouse in this process: {ex.Message}", ex);
            }
        }
        var connection = new DuckDBConnection(new DuckDBConnectionStringBuilder { DataSource = _path }.ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch (DuckDBException ex)
        {
            connection.Dispose();
            throw new WarehouseUnavailableException($"no warehouse in this process: the DuckDB file {_path} cannot be opened ({OneLine(ex.Message)})", ex);
        }
    }
}
