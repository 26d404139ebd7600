using System.Text;
using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Registry;
using static Sluice.UnitTests.Pipelines.Domains.IotDomain;

namespace Sluice.UnitTests.Pipelines.Domains;

/// <summary>The Avro schema generated from a domain file, its evolution between versions of the file, and records in Avro.</summary>
public class DomainAvroTests
{
    private static readonly DomainSchema Schema = DomainSchema.Compile(Definition);
    private static readonly byte[] Healthy = Reading("r1", "d7", T0 + 123, value: 55.25, metric: "humidity", battery: 87.5, unit: "%");

    private static DomainRecord FromJson(DomainSchema schema, byte[] json)
    {
        Assert.True(new DomainRecordDecoder(schema).TryDecode(json, out var record, out var error), $"{error.ReasonCode}: {error.Detail}");
        return record!;
    }

    // A version of the IoT domain with these fields, its event section and no rules or aggregates.
    private static DomainDefinition WithFields(string fields) =>
        DomainDefinition.Parse(new StringReader("event: { key: device_id, time: timestamp, id: reading_id }\n" + fields), "old.yaml", "iot");

    [Fact]
    public void each_type_maps_to_its_avro_type_and_an_optional_field_is_a_union_with_null_defaulting_to_null()
    {
        var schema = (RecordSchema)DomainAvroSchema.Generate(Definition);

        Assert.Equal("sluice.domains.Iot", schema.FullName);
        Assert.Equal(Definition.Fields.Select(f => f.Name), schema.Fields.Select(f => f.Name));
        Assert.Equal("\"string\"", schema.GetField("reading_id")!.Schema.ToCanonicalJson());
        Assert.Equal("""{"name":"sluice.domains.Metric","type":"enum","symbols":["temperature","humidity","pressure","co2"]}""", schema.GetField("metric")!.Schema.ToCanonicalJson());
        Assert.Equal(AvroLogicalType.TimestampMillis, schema.GetField("timestamp")!.Schema.Logical);
        var battery = schema.GetField("battery")!;
        Assert.Equal("""["null","double"]""", battery.Schema.ToCanonicalJson());
        Assert.True(battery.HasDefault);
        Assert.Null(battery.DefaultValue);
        Assert.False(schema.GetField("value")!.HasDefault);
        Assert.Equal("iot.readings-value", DomainAvroSchema.SubjectFor(Definition.Topics!.Input));
    }

    [Fact]
    public void a_reading_written_in_avro_reads_back_as_the_same_record()
    {
        var avro = new DomainRecordAvro(Schema, new StaticSchemaSource().Add(7, DomainAvroSchema.Generate(Definition)));
        var record = FromJson(Schema, Healthy);
        var frame = avro.Write(record, schemaId: 7);

        Assert.Equal(0, frame[0]);
        Assert.Equal(7, DomainRecordAvro.SchemaIdOf(frame));
        Assert.True(avro.TryRead(frame, out var back, out var error), $"{error.ReasonCode}: {error.Detail}");
        Assert.Equal(record.ToString(), back!.ToString());
        Assert.Equal("d7", back.Key);
        Assert.Equal(T0 + 123, back.Timestamp);
        // The decoder takes JSON and frames alike.
        Assert.True(new DomainRecordDecoder(Schema, avro).TryDecode(frame, out var viaDecoder, out _));
        Assert.Equal(record.ToString(), viaDecoder!.ToString());
        Assert.True(new DomainRecordDecoder(Schema, avro).TryDecode(Healthy, out var json, out _));
        Assert.Equal(record.ToString(), json!.ToString());
    }

    [Fact]
    public void data_written_with_an_earlier_file_is_read_by_the_current_one_renamed_fields_by_alias_new_ones_by_default()
    {
        // The earlier file called the site "site" and had no battery or unit.
        var old = WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site:       { type: string,    required: true }
              metric:     { type: enum,      required: true, values: [temperature, humidity, pressure, co2] }
              value:      { type: double,    required: true, role: metric }
              timestamp:  { type: timestamp, required: true }
            """);
        var current = WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site_id:    { type: string,    required: true, aliases: [site] }
              metric:     { type: enum,      required: true, values: [temperature, humidity, pressure, co2] }
              value:      { type: double,    required: true, role: metric }
              unit:       { type: string,    default: "?" }
              battery:    { type: double }
              timestamp:  { type: timestamp, required: true }
            """);
        Assert.Empty(DomainAvroSchema.Evolution(current, old, CompatibilityLevel.Backward));

        var oldSchema = DomainSchema.Compile(old);
        var written = new DomainRecordAvro(oldSchema).Write(
            FromJson(oldSchema, Encoding.UTF8.GetBytes($$"""{"reading_id":"r9","device_id":"d1","site":"north","metric":"co2","value":412.5,"timestamp":{{T0}}}""")), schemaId: 1);
        var currentSchema = DomainSchema.Compile(current);
        var reader = new DomainRecordAvro(currentSchema, new StaticSchemaSource().Add(1, DomainAvroSchema.Generate(old)));

        Assert.True(reader.TryRead(written, out var record, out var error), $"{error.ReasonCode}: {error.Detail}");
        Assert.Equal("""{"reading_id":"r9","device_id":"d1","site_id":"north","metric":"co2","value":412.5,"unit":"?","battery":null,"timestamp":1767218400000}""", record!.ToString());
    }

    [Fact]
    public void evolution_that_a_registry_would_refuse_is_reported_with_the_field_and_the_earlier_file()
    {
        var required = WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site_id:    { type: string,    required: true }
              metric:     { type: enum,      required: true, values: [temperature, humidity, pressure, co2] }
              value:      { type: double,    required: true, role: metric }
              firmware:   { type: string,    required: true }
              timestamp:  { type: timestamp, required: true }
            """);
        var fewerSymbols = WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site_id:    { type: string,    required: true }
              metric:     { type: enum,      required: true, values: [temperature, humidity] }
              value:      { type: double,    required: true, role: metric }
              timestamp:  { type: timestamp, required: true }
            """);

        var issue = Assert.Single(DomainAvroSchema.Evolution(required, Definition, CompatibilityLevel.Backward));
        Assert.Contains("firmware", issue, StringComparison.Ordinal);
        Assert.Contains(Definition.Source, issue, StringComparison.Ordinal);
        // An optional field added is fine backward, and so is going back to the file without it (forward).
        Assert.Empty(DomainAvroSchema.Evolution(Definition, required, CompatibilityLevel.Backward));
        Assert.NotEmpty(DomainAvroSchema.Evolution(fewerSymbols, Definition, CompatibilityLevel.Backward));
        Assert.Empty(DomainAvroSchema.Evolution(fewerSymbols, Definition, CompatibilityLevel.Forward));
    }

    [Fact]
    public void an_unknown_schema_id_and_a_required_field_left_null_are_dead_letter_reasons_not_crashes()
    {
        var avro = new DomainRecordAvro(Schema, new StaticSchemaSource());
        var frame = new DomainRecordAvro(Schema).Write(FromJson(Schema, Healthy), schemaId: 99);
        Assert.False(avro.TryRead(frame, out _, out var unknown));
        Assert.Equal(AvroReasonCodes.UnknownSchema, unknown.ReasonCode);

        Assert.False(avro.TryRead(frame.AsSpan(0, 12), out _, out var truncated));
        Assert.StartsWith("avro_", truncated.ReasonCode, StringComparison.Ordinal);

        // A writer whose site_id may be null, read by the file that requires it.
        var loose = WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site_id:    { type: string }
              metric:     { type: enum,      required: true, values: [temperature, humidity, pressure, co2] }
              value:      { type: double,    required: true, role: metric }
              timestamp:  { type: timestamp, required: true }
            """);
        var looseSchema = DomainSchema.Compile(loose);
        var noSite = new DomainRecordAvro(looseSchema).Write(
            FromJson(looseSchema, Encoding.UTF8.GetBytes($$"""{"reading_id":"r1","device_id":"d1","metric":"co2","value":1,"timestamp":{{T0}}}""")), schemaId: 3);
        var reader = new DomainRecordAvro(Schema, new StaticSchemaSource().Add(3, DomainAvroSchema.Generate(loose)));
        Assert.False(reader.TryRead(noSite, out var none, out var missing));
        Assert.Null(none);
        Assert.True(missing.ReasonCode is ReasonCodes.MissingRequiredFields || missing.ReasonCode.StartsWith("avro_", StringComparison.Ordinal), missing.ReasonCode);
    }

    [Fact]
    public void a_field_default_of_the_wrong_type_or_a_bad_schema_name_is_an_error_naming_the_key_and_line()
    {
        var badDefault = Assert.Throws<ConfigurationException>(() => WithFields("""
            fields:
              reading_id: { type: string,    required: true }
              device_id:  { type: string,    required: true }
              site_id:    { type: string,    required: true }
              metric:     { type: enum,      required: true, values: [temperature, humidity, pressure, co2], default: wind }
              value:      { type: double,    required: true, role: metric, default: high }
              timestamp:  { type: timestamp, required: true }
            """));
        Assert.Equal("fields.metric.default", badDefault.Key);
        Assert.Contains("not one of the field's values", badDefault.Message, StringComparison.Ordinal);

        var badName = Assert.Throws<ConfigurationException>(() => Parse("schema: { name: 2fast }\nfields:\n  a: { type: string }\n"));
        Assert.Equal("schema.name", badName.Key);
        Assert.Contains("line 1", badName.Message, StringComparison.Ordinal);
    }
}
