using System.Text;
using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainRecordRuleTests
{
    private static readonly DomainSchema Schema = DomainSchema.Compile(Definition);
    private static readonly DomainRecordDecoder Decoder = new(Schema);

    private static string? Check(byte[] json, out string detail, RuleSet<DomainRecord>? rules = null)
    {
        Assert.True(Decoder.TryDecode(json, out var record, out var error), error.Detail);
        return (rules ?? Schema.Rules).Validate(record!, T0 + 60 * Minute, 0, out detail);
    }

    private static string? Check(byte[] json) => Check(json, out _);

    [Fact]
    public void a_double_range_applies_only_to_the_metric_its_when_names()
    {
        Assert.Equal("temperature_out_of_range", Check(Reading("r", "d", T0, 125.5), out var detail));
        Assert.Equal("value 125.5 is above the maximum 125 when metric is temperature", detail);
        Assert.Equal("temperature_out_of_range", Check(Reading("r", "d", T0, -40.01), out detail));
        Assert.Equal("value -40.01 is below the minimum -40 when metric is temperature", detail);
        Assert.Null(Check(Reading("r", "d", T0, 125.0)));
        Assert.Null(Check(Reading("r", "d", T0, -40.0)));
        // 125.5 is a fine humidity reading for no one, and a fine pressure reading for no one either, each for its own rule.
        Assert.Equal("humidity_out_of_range", Check(Reading("r", "d", T0, 125.5, metric: "humidity")));
        Assert.Equal("pressure_out_of_range", Check(Reading("r", "d", T0, 125.5, metric: "pressure")));
        Assert.Null(Check(Reading("r", "d", T0, 1013.25, metric: "pressure")));
        Assert.Null(Check(Reading("r", "d", T0, 850, metric: "co2")));
    }

    [Fact]
    public void battery_is_bounded_when_present_and_unit_must_be_a_known_one()
    {
        Assert.Equal("battery_out_of_range", Check(Reading("r", "d", T0, battery: 100.5)));
        Assert.Equal("battery_out_of_range", Check(Reading("r", "d", T0, battery: -0.1)));
        Assert.Null(Check(Reading("r", "d", T0, battery: 0)));
        Assert.Null(Check(Reading("r", "d", T0)));
        Assert.Equal("unknown_unit", Check(Reading("r", "d", T0, unit: "F")));
        Assert.Null(Check(Reading("r", "d", T0, unit: "C")));
    }

    [Fact]
    public void time_is_bounded_as_in_the_e_commerce_domain_and_a_blank_device_is_refused()
    {
        Assert.Equal(ReasonCodes.TimestampNotPositive, Check(Reading("r", "d", 0)));
        Assert.Equal(ReasonCodes.TimestampInFuture, Check(Reading("r", "d", T0 + 66 * Minute)));
        Assert.Null(Check(Reading("r", "d", T0 + 65 * Minute)));
        Assert.Equal("blank_device_id", Check(Reading("r", " ", T0)));
    }

    [Fact]
    public void a_range_on_a_double_may_compare_with_another_field_and_a_fraction_is_refused_on_a_whole_number()
    {
        var domain = Parse(BaseFile + "rules:\n  - { code: value_over_battery, field: value, max: { field: battery } }\n");
        var rules = DomainSchema.Compile(domain).Rules;
        Assert.Equal("value_over_battery", Check(Reading("r", "d", T0, 50.5, battery: 50), out var detail, rules));
        Assert.Equal("value 50.5 is above the maximum battery (50)", detail);
        Assert.Null(Check(Reading("r", "d", T0, 50.5), out _, rules));

        var whole = Parse(BaseFile + "rules:\n  - { code: x, field: timestamp, min: 0.5 }\n");
        var ex = Assert.Throws<ConfigurationException>(() => DomainSchema.Compile(whole));
        Assert.Equal("rules[0].min", ex.Key);
        Assert.Contains("0.5 is not a whole number, and timestamp is timestamp", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The IoT fields and event, without rules.</summary>
    internal const string BaseFile = """
        fields:
          reading_id: { type: string,    required: true }
          device_id:  { type: string,    required: true, role: dimension }
          site_id:    { type: string,    required: true, role: dimension }
          metric:     { type: enum,      required: true, role: dimension, values: [temperature, humidity, pressure, co2] }
          value:      { type: double,    required: true, role: metric }
          unit:       { type: string }
          battery:    { type: double,    role: metric }
          timestamp:  { type: timestamp, required: true }
        event: { key: device_id, time: timestamp, id: reading_id }

        """;
}
