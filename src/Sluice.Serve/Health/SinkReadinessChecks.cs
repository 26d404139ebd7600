using System.Globalization;
using Sluice.Sinks;

namespace Sluice.Serve.Health;

/// <summary>The checks of a <c>sluice sink</c> process: its runners hold at least one partition, and every circuit is closed.</summary>
public static class SinkReadinessChecks
{
    public static IReadOnlyList<IReadinessCheck> For(IReadOnlyList<SinkRunner> runners)
    {
        ArgumentNullException.ThrowIfNull(runners);
        return
        [
            new ReadinessCheck("partitions", () =>
            {
                var partitions = runners.Sum(r => r.AssignedPartitions);
                return partitions > 0
                    ? ReadinessResult.Pass(string.Create(CultureInfo.InvariantCulture, $"{partitions} partition(s) assigned to {runners.Count} sink(s)"))
                    : ReadinessResult.Fail("no partition assigned yet");
            }),
            new ReadinessCheck("sinks", () =>
            {
                var notClosed = runners.Where(r => r.CircuitState != 0).Select(r => $"{r.Name} ({(r.CircuitState == 1 ? "open" : "half-open")})").ToList();
                return notClosed.Count == 0
                    ? ReadinessResult.Pass($"circuits closed: {string.Join(", ", runners.Select(r => r.Name))}")
                    : ReadinessResult.Fail($"circuit not closed (store not answering): {string.Join(", ", notClosed)}");
            }),
        ];
    }
}
