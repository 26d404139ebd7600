using Sluice.Core.Errors;
using Sluice.Generate.Pacing;

namespace Sluice.UnitTests.Generate;

public class PacerTests
{
    [Fact]
    public void rate_waits_until_the_records_are_due()
    {
        var pacer = Pacer.Parse("max", 100);
        Assert.Equal(TimeSpan.FromMilliseconds(500), pacer.DelayBefore(100, 0, TimeSpan.FromMilliseconds(500)));
        Assert.Equal(TimeSpan.Zero, pacer.DelayBefore(100, 0, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void speed_maps_event_time_to_wall_time()
    {
        var pacer = Pacer.Parse("60x", 0);
        Assert.Equal(TimeSpan.Zero, pacer.DelayBefore(0, 1_000_000, TimeSpan.Zero));
        // One simulated minute later at 60x is one wall second after the first record.
        Assert.Equal(TimeSpan.FromMilliseconds(750), pacer.DelayBefore(10, 1_060_000, TimeSpan.FromMilliseconds(250)));
    }

    [Fact]
    public void max_never_waits()
    {
        Assert.True(Pacer.Parse(null, 0).IsUnpaced);
        Assert.Equal(TimeSpan.Zero, Pacer.Max.DelayBefore(1_000_000, 0, TimeSpan.Zero));
        Assert.False(Pacer.Parse("realtime", 0).IsUnpaced);
    }

    [Theory]
    [InlineData("fast", 0, "--speed")]
    [InlineData("-2", 0, "--speed")]
    [InlineData("max", -5, "--rate")]
    public void bad_values_name_the_option(string speed, double rate, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Pacer.Parse(speed, rate));
        Assert.Equal(key, ex.Key);
    }
}
