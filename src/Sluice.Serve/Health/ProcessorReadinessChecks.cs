using System.Globalization;
using Sluice.Pipelines.Hosting;
using Sluice.Sinks;
using Sluice.Streaming.Kafka;

namespace Sluice.Serve.Health;

/// <summary>The checks of a processor host: partitions assigned, broker reachable (and no member failed), sinks reachable, lag under the limit.</summary>
public static class ProcessorReadinessChecks
{
    public static IReadOnlyList<IReadinessCheck> For(ProcessorGroup group, ProcessorReadiness readiness, long maxLag)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(readiness);
        return
        [
            new ReadinessCheck("partitions", () =>
            {
                var (members, partitions) = group.Ownership;
                return partitions > 0
                    ? ReadinessResult.Pass(string.Create(CultureInfo.InvariantCulture, $"{partitions} partition(s) owned by {members} member(s)"))
                    : ReadinessResult.Fail("no partition assigned yet");
            }),
            new ReadinessCheck("broker", () => readiness.Reason is { } reason ? ReadinessResult.Fail(reason) : ReadinessResult.Pass("brokers answer; every member runs")),
            new ReadinessCheck("sinks", Sinks),
            new ReadinessCheck("lag", () => KafkaInstruments.TotalLag switch
            {
                null => ReadinessResult.Pass("not measured yet"),
                var lag when lag <= maxLag => ReadinessResult.Pass(string.Create(CultureInfo.InvariantCulture, $"{lag} record(s) behind (limit {maxLag})")),
                var lag => ReadinessResult.Fail(string.Create(CultureInfo.InvariantCulture, $"{lag} record(s) behind, over observe.readyMaxLag {maxLag}")),
            }),
        ];
    }

    /// <summary>Every sink running in this process writes (its circuit is not open); passes when none runs here.</summary>
    public static ReadinessResult Sinks()
    {
        var running = SinkInstruments.Running;
        if (running.Count == 0) return ReadinessResult.Pass("no sink runs in this process");
        var open = running.Where(r => r.CircuitState == 1).Select(r => r.Name).ToList();
        return open.Count == 0
            ? ReadinessResult.Pass($"{running.Count} sink(s) writing: {string.Join(", ", running.Select(r => r.Name))}")
            : ReadinessResult.Fail($"circuit open (store not answering): {string.Join(", ", open)}");
    }
}
