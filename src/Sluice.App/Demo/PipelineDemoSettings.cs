using Sluice.Generate.Writers;

namespace Sluice.App.Demo;

/// <summary>How long the demo runs and how hard it pushes.</summary>
public sealed record PipelineDemoSettings
{
    /// <summary>Click records to produce; null for no limit.</summary>
    public long? Events { get; init; }
    /// <summary>Wall-clock time to produce for; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Click records per second; 0 as fast as possible.</summary>
    public int Rate { get; init; }
    /// <summary>Processor group members to run in this process.</summary>
    public int Processors { get; init; } = 1;
    /// <summary>How click events travel: v3 Avro in the Confluent wire format through a schema registry (the default), or JSON.</summary>
    public PayloadFormat Format { get; init; } = PayloadFormat.Avro;
    /// <summary>Stores to land the outputs in (<see cref="Hosting.SinkCatalog.Names"/>); none unless given (<c>demo</c>'s default is <see cref="DemoSinks.Default"/>).</summary>
    public IReadOnlyList<string> Sinks { get; init; } = [];
    /// <summary>Measuring points around the stages (<c>bench e2e</c>); null for none.</summary>
    public PipelineProbes? Probes { get; init; }
}
