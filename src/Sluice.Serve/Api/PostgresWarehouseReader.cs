using System.Data.Common;
using Npgsql;
using Sluice.Sinks.Postgres;

namespace Sluice.Serve.Api;

/// <summary>The API's queries on the PostgreSQL warehouse (<c>postgres.connectionString</c>), through a pooled data source.</summary>
public sealed class PostgresWarehouseReader : SqlWarehouseReader, IDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _location;

    public PostgresWarehouseReader(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "sluice-api" };
        // A request waits seconds, not the driver's defaults, for a store that does not answer.
        settings.Timeout = Math.Min(settings.Timeout, 5);
        settings.CommandTimeout = Math.Min(settings.CommandTimeout, 15);
        _location = $"{settings.Host}:{settings.Port}/{settings.Database ?? settings.Username}";
        _source = NpgsqlDataSource.Create(settings);
    }

    public override string Kind => "postgres";

    public override string Location => _location;

    protected override string EpochMs(string column) => PostgresSink.EpochMs(column);

    protected override DbConnection Open()
    {
        try
        {
            return _source.OpenConnection();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            throw new WarehouseUnavailableException(
                $"no warehouse in this process: PostgreSQL at {_location} (postgres.connectionString) cannot be reached ({OneLine(ex.Message)}); start it or fix the setting", ex);
        }
    }

    public void Dispose() => _source.Dispose();
}
