using Sluice.Core.Configuration;

namespace Sluice.Streaming.Checkpoints;

/// <summary>The checkpoint store the configuration asks for (<c>processor.checkpoint.store</c>).</summary>
public static class CheckpointStores
{
    /// <summary>A directory store at <c>processor.checkpoint.directory</c>, or the PostgreSQL store at <c>postgres.connectionString</c>; not yet opened.</summary>
    public static ICheckpointStore FromOptions(SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checkpoint = options.Processor.Checkpoint;
        return checkpoint.Store.Equals("postgres", StringComparison.OrdinalIgnoreCase)
            ? new PostgresCheckpointStore(options.Postgres.ConnectionString)
            : new DirectoryCheckpointStore(checkpoint.Directory);
    }
}
