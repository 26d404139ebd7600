using Confluent.Kafka;
using Sluice.Generate.Writers;
using Sluice.Sinks;

namespace Sluice.App.Demo;

/// <summary>Measuring points a run can be given (by <c>bench e2e</c>): around the producer, at the output reader, around each sink.</summary>
/// <remarks>Each is called on the thread of the stage it observes, so it must be cheap and thread-safe; null leaves the stage as it is.</remarks>
public sealed record PipelineProbes
{
    /// <summary>Wraps the generator's Kafka writer (Avro framing included): it sees every record just before it is produced.</summary>
    public Func<ITrafficWriter, ITrafficWriter>? Producer { get; init; }

    /// <summary>Called by the output reader for every output record it reads.</summary>
    public Action<ConsumeResult<string, byte[]>>? OutputRead { get; init; }

    /// <summary>Wraps each sink the run starts, by name: the wrapper sees every batch the runner writes.</summary>
    public Func<string, ISink, ISink>? Sink { get; init; }
}
