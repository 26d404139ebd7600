using Sluice.Kafka;

namespace Sluice.Pipelines.Hosting;

/// <summary>Whether a processor host can do its work now: what a readiness probe (<c>/readyz</c>) reports.</summary>
/// <remarks>Not ready while no broker answers (<see cref="BrokerAvailability"/>) or once a member has failed.</remarks>
public sealed class ProcessorReadiness(BrokerAvailability? brokers, ProcessorFailures failures)
{
    /// <summary>True when the brokers answer and every member is running.</summary>
    public bool IsReady => Reason is null;

    /// <summary>Why it is not ready, or null.</summary>
    public string? Reason =>
        failures.First is { } failed ? $"a member failed: {failed.Message}"
        : brokers is { IsAvailable: false } ? "no Kafka broker answers"
        : null;
}
