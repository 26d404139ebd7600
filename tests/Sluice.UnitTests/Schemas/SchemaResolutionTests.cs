using Sluice.Core.Events;
using Sluice.Schemas.Avro;

namespace Sluice.UnitTests.Schemas;

public sealed class SchemaResolutionTests
{
    private const string ColorW = """{"type":"enum","name":"Color","symbols":["RED","GREEN","PINK"]}""";
    private const string ColorR = """{"type":"enum","name":"Color","symbols":["RED","GREEN"]}""";

    [Fact]
    public void a_reader_field_without_default_missing_from_the_writer_is_an_issue()
    {
        var writer = AvroSchema.Parse("""{"type":"record","name":"P","fields":[{"name":"a","type":"int"}]}""");
        var reader = AvroSchema.Parse("""{"type":"record","name":"P","fields":[{"name":"a","type":"int"},{"name":"b","type":"string"}]}""");
        var issue = Assert.Single(AvroDecoder.Create(writer, reader).Issues);
        Assert.Contains("'b' has no default", issue, StringComparison.Ordinal);
    }

    [Fact]
    public void narrowing_long_to_int_is_an_issue()
    {
        Assert.Contains("cannot be read as reader type int", Assert.Single(AvroDecoder.Create(AvroSchema.Parse("\"long\""), AvroSchema.Parse("\"int\"")).Issues), StringComparison.Ordinal);
    }

    [Fact]
    public void records_with_different_names_do_not_resolve()
    {
        var writer = AvroSchema.Parse("""{"type":"record","name":"A","fields":[]}""");
        var reader = AvroSchema.Parse("""{"type":"record","name":"B","fields":[]}""");
        Assert.Contains("does not match", Assert.Single(AvroDecoder.Create(writer, reader).Issues), StringComparison.Ordinal);
    }

    [Fact]
    public void an_enum_symbol_unknown_to_a_reader_without_default_fails_only_when_it_occurs()
    {
        var decoder = AvroDecoder.Create(AvroSchema.Parse(ColorW), AvroSchema.Parse(ColorR));

        Assert.Contains("'PINK'", Assert.Single(decoder.Issues), StringComparison.Ordinal);
        Assert.True(decoder.TryDecode([0x02], out var green, out _));
        Assert.Equal(new AvroEnum("GREEN"), green);
        Assert.False(decoder.TryDecode([0x04], out _, out var error));
        Assert.Equal(AvroReasonCodes.SchemaMismatch, error.ReasonCode);
    }

    [Fact]
    public void a_writer_union_branch_the_reader_lacks_fails_only_when_it_occurs()
    {
        var decoder = AvroDecoder.Create(AvroSchema.Parse("""["null","string","int"]"""), AvroSchema.Parse("""["null","string"]"""));

        Assert.Single(decoder.Issues);
        Assert.True(decoder.TryDecode([0x02, 0x02, 0x61], out var text, out _));
        Assert.Equal("a", text);
        Assert.False(decoder.TryDecode([0x04, 0x02], out _, out var error));
        Assert.Equal(AvroReasonCodes.SchemaMismatch, error.ReasonCode);
    }

    [Fact]
    public void defaults_of_mutable_types_are_not_shared_between_decoded_records()
    {
        var writer = AvroSchema.Parse("""{"type":"record","name":"P","fields":[]}""");
        var reader = AvroSchema.Parse("""{"type":"record","name":"P","fields":[{"name":"tags","type":{"type":"array","items":"string"},"default":["x"]}]}""");
        var decoder = AvroDecoder.Create(writer, reader);
        Assert.True(decoder.TryDecode([], out var first, out _));
        ((List<object?>)((AvroRecord)first!)["tags"]!).Add("mutated");
        Assert.True(decoder.TryDecode([], out var second, out _));
        Assert.Equal(["x"], (List<object?>)((AvroRecord)second!)["tags"]!);
    }

    [Fact]
    public void a_removed_field_is_skipped_whatever_its_type()
    {
        var writer = AvroSchema.Parse("""{"type":"record","name":"P","fields":[{"name":"gone","type":{"type":"map","values":{"type":"array","items":["null","string"]}}},{"name":"kept","type":"int"}]}""");
        var reader = AvroSchema.Parse("""{"type":"record","name":"P","fields":[{"name":"kept","type":"long"}]}""");
        var value = new AvroRecord((RecordSchema)writer)
        {
            ["gone"] = new Dictionary<string, object?> { ["k"] = new List<object?> { null, "v" } },
            ["kept"] = 42,
        };
        Assert.True(AvroDecoder.Create(writer, reader).TryDecode(AvroEncoder.Encode(writer, value), out var read, out _));
        Assert.Equal(42L, ((AvroRecord)read!)["kept"]);
    }

    [Fact]
    public void event_type_symbols_match_the_core_enum_order()
    {
        var v3 = (Sluice.Schemas.Avro.RecordSchema)Sluice.Schemas.Events.EventSchemas.V3;
        var symbols = ((EnumSchema)v3.GetField("event_type")!.Schema).Symbols;
        Assert.Equal(EventTypes.All.Select(t => t.ToWireName()), symbols);
    }
}
