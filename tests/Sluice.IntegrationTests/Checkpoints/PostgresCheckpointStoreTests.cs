using Npgsql;
using Sluice.Streaming.Checkpoints;
using Sluice.TestKit;

namespace Sluice.IntegrationTests.Checkpoints;

/// <summary>The checkpoint store contract on PostgreSQL, each test in a database of its own.</summary>
public sealed class PostgresCheckpointStoreTests : CheckpointStoreContract, IAsyncLifetime
{
    private TemporaryDatabase? _db;

    private string ConnectionString => _db!.ConnectionString;

    public async Task InitializeAsync() => _db = await PostgresTestServer.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
    }

    protected override ICheckpointStore OpenStore()
    {
        var store = new PostgresCheckpointStore(ConnectionString);
        store.Open();
        return store;
    }

    protected override void CorruptLatest(CheckpointKey key) =>
        Execute($"UPDATE {PostgresCheckpointStore.Table} SET state = state || '\\x01'::bytea WHERE sequence = (SELECT max(sequence) FROM {PostgresCheckpointStore.Table} WHERE task = {key.Task.Partition}) AND task = {key.Task.Partition}");

    protected override void MakeLatestNewer(CheckpointKey key) =>
        Execute($"UPDATE {PostgresCheckpointStore.Table} SET format_version = {CheckpointFormat.Version + 1} WHERE task = {key.Task.Partition}");

    protected override string NameOfLatest(CheckpointKey key, long sequence) => $"{key.Task}, sequence {sequence}";

    [Fact]
    public void opening_twice_migrates_once_and_keeps_the_rows()
    {
        using (var store = OpenStore()) store.Save(new CheckpointKey("g", "t", new Streaming.Processing.TaskId(0)), [], [1]);
        using var again = OpenStore();
        Assert.Equal([1L], again.Sequences(new CheckpointKey("g", "t", new Streaming.Processing.TaskId(0))));
    }

    [Fact]
    public void an_unreachable_database_is_a_one_line_error_naming_the_store()
    {
        using var store = new PostgresCheckpointStore("Host=127.0.0.1;Port=1;Database=nowhere;Username=x;Timeout=2");
        var ex = Assert.Throws<Core.Errors.SluiceException>(store.Open);
        Assert.Contains("postgres table sluice_checkpoints in database nowhere on 127.0.0.1:1", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        Assert.True(command.ExecuteNonQuery() > 0, sql);
    }
}
