using Sluice.Streaming.Processing;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;

namespace Sluice.UnitTests.Streaming.Snapshots;

/// <summary>Builds bare tasks of a topology, as the task manager does, for tests that need no driver.</summary>
internal sealed class TaskBuilder(ITopology topology, WatermarkStrategy? strategy = null)
{
    public ManualClock Clock { get; } = new();

    public CapturingCollector Collector { get; } = new();

    public StreamTask Task(int partition) =>
        new(new TaskId(partition), topology.Build(new TaskId(partition)),
            strategy ?? WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMinutes(2)), Clock, Collector, topology.DeadLetterTopic,
            topologyName: topology.Name);
}
