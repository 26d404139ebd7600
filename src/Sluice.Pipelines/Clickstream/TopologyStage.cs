namespace Sluice.Pipelines.Clickstream;

/// <summary>One stage of a topology as a person reads it: what it is, what it acts on, where those records go, and how.</summary>
/// <param name="Output">The topic the stage writes; empty when it only passes records on (or drops them, as dedupe does).</param>
public sealed record TopologyStage(string Stage, string Acts, string Output, string Detail);
