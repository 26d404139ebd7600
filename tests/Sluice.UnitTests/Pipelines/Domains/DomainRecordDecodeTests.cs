using System.Text;
using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

public class DomainRecordDecodeTests
{
    private static readonly DomainSchema Schema = DomainSchema.Compile(Definition);
    private static readonly DomainRecordDecoder Decoder = new(Schema);

    private static DomainRecord Decode(string json)
    {
        Assert.True(Decoder.TryDecode(Encoding.UTF8.GetBytes(json), out var record, out var error), $"{error.ReasonCode}: {error.Detail}");
        return record!;
    }

    private static (string Code, string Detail) Refuse(string json)
    {
        Assert.False(Decoder.TryDecode(Encoding.UTF8.GetBytes(json), out var record, out var error));
        Assert.Null(record);
        return (error.ReasonCode, error.Detail);
    }

    private static double? Real(DomainRecord r, string field) => r.Real(Schema.SlotOf(Schema.IndexOf(field)));

    private static string? Text(DomainRecord r, string field) => r.Text(Schema.SlotOf(Schema.IndexOf(field)));

    [Fact]
    public void a_valid_reading_decodes_into_its_slots_with_its_key_and_time()
    {
        var r = Decode("""{"reading_id":"r1","device_id":"d7","site_id":"s1","metric":"humidity","value":55.25,"unit":"%","battery":87.5,"timestamp":1767218400123}""");

        Assert.Equal("d7", r.Key);
        Assert.Equal(1767218400123, r.Timestamp);
        Assert.Equal("r1", Text(r, "reading_id"));
        Assert.Equal(55.25, Real(r, "value"));
        Assert.Equal(87.5, Real(r, "battery"));
        Assert.Equal("%", Text(r, "unit"));
        // An enum value is the file's own string, shared by every record.
        Assert.Same(Schema.Fields[Schema.IndexOf("metric")].Values[1], Text(r, "metric"));
    }

    [Fact]
    public void an_optional_field_left_out_or_null_is_absent_and_a_whole_number_is_a_double()
    {
        var r = Decode("""{"timestamp":1767218400000,"value":20,"battery":null,"metric":"co2","site_id":"s","device_id":"d","reading_id":"r"}""");
        Assert.Null(Real(r, "battery"));
        Assert.Null(Text(r, "unit"));
        Assert.Equal(20.0, Real(r, "value"));
    }

    [Fact]
    public void unknown_fields_are_ignored_whatever_their_shape()
    {
        var r = Decode("""{"firmware":{"version":[1,2,{"x":null}]},"reading_id":"r1","device_id":"d1","rssi":-71,"site_id":"s1","metric":"co2","value":412,"timestamp":1767218400000,"tags":["a"]}""");
        Assert.Equal("d1", r.Key);
        Assert.Equal(412, Real(r, "value"));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"reading_id":"r1","device_id":""")]
    [InlineData("""{"reading_id":"r1"} {}""")]
    [InlineData("")]
    public void a_payload_that_is_not_one_json_object_is_invalid_json(string payload) =>
        Assert.Equal(ReasonCodes.InvalidJson, Refuse(payload).Code);

    [Fact]
    public void missing_required_fields_are_listed_sorted_and_null_counts_as_missing()
    {
        var (code, detail) = Refuse("""{"value":1.5,"device_id":null,"unit":"C"}""");
        Assert.Equal(ReasonCodes.MissingRequiredFields, code);
        Assert.Equal("device_id,metric,reading_id,site_id,timestamp", detail);
    }

    [Theory]
    [InlineData("""{"value":"hot"}""", "value must be a number")]
    [InlineData("""{"timestamp":1.5}""", "timestamp must be an integer (epoch milliseconds)")]
    [InlineData("""{"device_id":17}""", "device_id must be a string")]
    [InlineData("""{"metric":3}""", "metric must be a string")]
    [InlineData("""{"battery":true}""", "battery must be a number")]
    public void a_value_of_the_wrong_json_type_is_invalid_field_type_naming_the_field(string json, string detail)
    {
        var (code, actual) = Refuse(json);
        Assert.Equal(ReasonCodes.InvalidFieldType, code);
        Assert.Equal(detail, actual);
    }

    [Fact]
    public void an_enum_value_the_file_does_not_list_is_invalid_enum_value_after_missing_fields()
    {
        var (code, detail) = Refuse("""{"reading_id":"r1","device_id":"d1","site_id":"s1","metric":"wind","value":3,"timestamp":1767218400000}""");
        Assert.Equal(DomainRecordDecoder.InvalidEnumValue, code);
        Assert.Equal("metric 'wind' is not one of temperature, humidity, pressure, co2", detail);
        // A reading that also lacks a required field is reported for that first, as the e-commerce decoder does.
        Assert.Equal(ReasonCodes.MissingRequiredFields, Refuse("""{"metric":"wind"}""").Code);
    }

    [Fact]
    public void text_longer_than_the_limit_is_field_too_long()
    {
        var unit = new string('x', 4097);
        var (code, detail) = Refuse($$"""{"reading_id":"r1","unit":"{{unit}}"}""");
        Assert.Equal(ReasonCodes.FieldTooLong, code);
        Assert.Equal("unit is longer than 4096 characters", detail);
    }

    [Fact]
    public void a_number_too_large_for_a_double_is_invalid_field_type()
    {
        var (code, _) = Refuse("""{"value":1e400}""");
        Assert.Equal(ReasonCodes.InvalidFieldType, code);
    }

    [Fact]
    public void the_valid_output_writes_every_field_by_name_in_file_order_with_null_for_the_absent()
    {
        var r = Decode("""{"timestamp":1767218400000,"value":-3.25,"metric":"temperature","site_id":"s\"1","device_id":"d1","reading_id":"r1"}""");
        Assert.Equal("""{"reading_id":"r1","device_id":"d1","site_id":"s\"1","metric":"temperature","value":-3.25,"unit":null,"battery":null,"timestamp":1767218400000}""",
            Encoding.UTF8.GetString(DomainJson.Bytes(r)));
    }
}
