using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Hosting;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using Sluice.TestKit;
using Sluice.UnitTests.Configuration;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

// Loads configuration, which reads SLUICE__ environment variables that other configuration tests set.
[Collection(nameof(ConfigurationCollection))]
public sealed class ProcessorOptionsTests
{
    private static readonly string RepoConfig = Path.Combine(RepoRoot.Path, "config", "sluice.yaml");

    [Fact]
    public void the_processor_section_defaults_are_the_topology_s_own()
    {
        var fromConfig = ClickstreamProcessor.TopologyOptions(SluiceConfiguration.Load(RepoConfig));
        var defaults = new ClickstreamOptions();
        foreach (var property in typeof(ClickstreamOptions).GetProperties())
        {
            if (property.Name == nameof(ClickstreamOptions.ConfigSection)) continue;
            if (property.Name == nameof(ClickstreamOptions.Quality))
            {
                // A section of its own, compared by value.
                Assert.Equal(System.Text.Json.JsonSerializer.Serialize(defaults.Quality), System.Text.Json.JsonSerializer.Serialize(fromConfig.Quality));
                continue;
            }
            Assert.True(Equals(property.GetValue(defaults), property.GetValue(fromConfig)),
                $"{property.Name}: the topology's default is {property.GetValue(defaults)}, config/sluice.yaml gives {property.GetValue(fromConfig)}");
        }
    }

    [Fact]
    public void every_threshold_set_under_processor_reaches_the_topology()
    {
        var domainFile = Path.Combine(Path.GetTempPath(), $"sluice-domain-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(domainFile, EcommerceDomain.With("code: price_above_maximum", "  - { code: price_above_maximum, field: price_cents, max: 500 }"));
        using var cleanup = new TempFile(domainFile);
        var options = ClickstreamProcessor.TopologyOptions(SluiceConfiguration.Load(RepoConfig,
        [
            $"processor.domain={domainFile}", "processor.idleTimeout=00:00:10",
            "processor.allowedLateness=00:00:20", "processor.dedupHorizon=00:10:00", "processor.dedupMaxEntries=1000",
            "processor.sessionGap=00:20:00", "processor.maxOpenSessions=2000", "processor.maxWindowEntries=3000",
            "processor.topProducts=3", "processor.topCategories=2",
        ]));
        Assert.Equal(
            (domainFile, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(10), 1000, TimeSpan.FromMinutes(20),
                2000, 3000, 3, 2),
            (options.Domain.Source, options.IdleTimeout, options.AllowedLateness, options.DedupHorizon, options.DedupMaxEntries,
                options.SessionGap, options.MaxOpenSessions, options.MaxWindowEntries, options.TopProducts, options.TopCategories));

        // And the topology acts on them: 600 cents is now above the maximum.
        var topology = new ClickstreamTopology(options);
        using var d = new TopologyTestDriver(topology, topology.WatermarkStrategy);
        d.Pipe(Event(EventType.Purchase, price: 600, quantity: 1));
        d.Pipe(Event(EventType.Purchase, price: 400, quantity: 1));
        Assert.Equal([ReasonCodes.PriceAboveMaximum], d.Output<DeadLetterRecord>(options.DeadLetterTopic).Select(l => l.ReasonCode));
        Assert.Single(d.Output<EnrichedEvent>(options.EnrichedTopic));
    }

    [Fact]
    public void an_invalid_threshold_names_its_key_in_the_processor_section()
    {
        var options = ClickstreamProcessor.TopologyOptions(SluiceConfiguration.Load(RepoConfig, ["processor.sessionGap=00:00:00"]));
        var ex = Assert.Throws<ConfigurationException>(() => new ClickstreamTopology(options));
        Assert.Equal("processor.sessionGap", ex.Key);
    }
}

internal sealed class TempFile(string path) : IDisposable
{
    public void Dispose() => File.Delete(path);
}
