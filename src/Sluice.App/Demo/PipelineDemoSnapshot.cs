using Sluice.App.Hosting;

namespace Sluice.App.Demo;

/// <summary>The demo's state: producer progress, processing, and what the output topics hold.</summary>
/// <param name="Sinks">Records each store has landed (by store name); empty when the demo runs no sink.</param>
public sealed record PipelineDemoSnapshot(
    long Produced, long Processed, TimeSpan Elapsed, OutputCounts Outputs,
    IReadOnlyList<string> Members, bool ProducerDone, bool Finished, GroundTruth? Truth, long LostInput = 0,
    IReadOnlyDictionary<string, long>? Sinks = null);
