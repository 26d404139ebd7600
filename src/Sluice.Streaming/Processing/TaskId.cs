namespace Sluice.Streaming.Processing;

/// <summary>Identifies a task: one per partition number of the source topics, owning that partition's state.</summary>
public readonly record struct TaskId(int Partition)
{
    public override string ToString() => $"task-{Partition}";
}
