using System.Globalization;
using System.Text;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Streaming.Testing;
using Sluice.TestKit;

namespace Sluice.UnitTests.Pipelines.Domains;

/// <summary>The repository's IoT domain file, readings as a device writes them, and a driver over its topology.</summary>
internal static class IotDomain
{
    /// <summary>2025-12-31T22:00:00Z: a whole quarter hour, so every window of the file starts here.</summary>
    public const long T0 = 1_767_218_400_000;

    public const long Second = 1_000, Minute = 60_000;

    public const string Input = "iot.readings";

    public static string FilePath { get; } = Path.Combine(RepoRoot.Path, "config", "domains", "iot.yaml");

    public static DomainDefinition Definition { get; } = DomainDefinition.Load(FilePath);

    /// <summary>Parses <paramref name="yaml"/> as a domain file named test.yaml.</summary>
    public static DomainDefinition Parse(string yaml) => DomainDefinition.Parse(new StringReader(yaml), "test.yaml", "iot");

    /// <summary>A reading as JSON; null leaves a field out.</summary>
    public static byte[] Reading(string id, string device, long at, double value = 21.5, string metric = "temperature", string site = "s1",
        double? battery = null, string? unit = null)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{{\"reading_id\":\"{id}\",\"device_id\":\"{device}\",\"site_id\":\"{site}\",\"metric\":\"{metric}\",");
        sb.Append(CultureInfo.InvariantCulture, $"\"value\":{value.ToString("R", CultureInfo.InvariantCulture)},");
        if (unit is not null) sb.Append(CultureInfo.InvariantCulture, $"\"unit\":\"{unit}\",");
        if (battery is { } b) sb.Append(CultureInfo.InvariantCulture, $"\"battery\":{b.ToString("R", CultureInfo.InvariantCulture)},");
        sb.Append(CultureInfo.InvariantCulture, $"\"timestamp\":{at}}}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A driver over the IoT topology, its processing clock at <paramref name="now"/> (default: two hours after <see cref="T0"/>).</summary>
    public static TopologyTestDriver Driver(long? now = null, DomainDefinition? domain = null)
    {
        var topology = new DomainTopology(domain ?? Definition);
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeMilliseconds(now ?? T0 + 120 * Minute));
        return new TopologyTestDriver(topology, topology.WatermarkStrategy, clock);
    }

    /// <summary>The aggregate rows written so far, by (aggregate, window start, dimension value, metric); each must be written once.</summary>
    public static Dictionary<(string Aggregate, long Start, string Group, string Metric), AggregateRow> Rows(TopologyTestDriver driver)
    {
        var rows = new Dictionary<(string, long, string, string), AggregateRow>();
        foreach (var row in driver.Output<AggregateRow>("iot.aggregated"))
            Assert.True(rows.TryAdd((row.Aggregate, row.WindowStart, row.DimensionValue, row.Metric), row), $"written twice: {row}");
        return rows;
    }
}
