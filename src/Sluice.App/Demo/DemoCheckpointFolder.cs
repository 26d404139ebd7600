using Sluice.Streaming.Checkpoints;

namespace Sluice.App.Demo;

/// <summary>A checkpoint directory under the temp folder for one demo run, deleted with it.</summary>
/// <remarks>
/// The members checkpoint as <c>sluice process</c> does, into a folder that lives as long as the run: the demo's broker
/// (embedded, or a cluster whose topics outlive it) is not the one a later run's checkpoints would match.
/// </remarks>
internal sealed class DemoCheckpointFolder : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sluice-demo-checkpoints-{Guid.NewGuid():N}");

    public DemoCheckpointFolder()
    {
        var store = new DirectoryCheckpointStore(_path);
        store.Open();
        Store = store;
    }

    public ICheckpointStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        try
        {
            Directory.Delete(_path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
