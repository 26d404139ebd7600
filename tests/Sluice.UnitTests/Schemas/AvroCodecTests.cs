using Sluice.Schemas.Avro;

namespace Sluice.UnitTests.Schemas;

public sealed class AvroCodecTests
{
    private static (bool Ok, object? Value, string? Code) Decode(string schema, params byte[] bytes)
    {
        var ok = AvroDecoder.Create(AvroSchema.Parse(schema)).TryDecode(bytes, out var value, out var error);
        return (ok, value, error.ReasonCode);
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData(1L, "02")]
    [InlineData(-64L, "7f")]
    [InlineData(64L, "8001")]
    [InlineData(long.MaxValue, "feffffffffffffffff01")]
    [InlineData(long.MinValue, "ffffffffffffffffff01")]
    public void long_zigzag_varints_match_the_spec_examples(long value, string hex)
    {
        var buffer = new AvroBuffer();
        buffer.WriteLong(value);
        Assert.Equal(hex, Convert.ToHexStringLower(buffer.WrittenSpan));
        var r = new AvroReader(buffer.WrittenSpan);
        Assert.True(r.ReadLong(out var back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void long_varints_read_the_same_whether_or_not_bytes_follow_them()
    {
        // Up to eight bytes are gathered from one word when eight bytes remain, else byte by byte: both must agree.
        var random = new Random(20261121);
        for (var i = 0; i < 20_000; i++)
        {
            var value = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64);
            var buffer = new AvroBuffer();
            buffer.WriteLong(value);
            var exact = buffer.WrittenSpan.ToArray();
            var padded = new byte[exact.Length + 9];
            random.NextBytes(padded);
            exact.CopyTo(padded, 0);
            var alone = new AvroReader(exact);
            var followed = new AvroReader(padded);
            Assert.True(alone.ReadLong(out var a));
            Assert.True(followed.ReadLong(out var b));
            Assert.Equal(value, a);
            Assert.Equal(value, b);
            Assert.Equal(exact.Length, followed.Position);
        }
    }

    [Theory]
    [InlineData("8000", 0L)]
    [InlineData("ff8000", -64L)]
    [InlineData("8080808080808000", 0L)]
    [InlineData("feffffffffffff7f", 36028797018963967L)]
    [InlineData("80808080808080808000", 0L)]
    public void non_minimal_long_varints_are_read_with_or_without_bytes_after_them(string hex, long expected)
    {
        var exact = Convert.FromHexString(hex);
        byte[] padded = [.. exact, 0xFF, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];
        foreach (var bytes in new[] { exact, padded })
        {
            var r = new AvroReader(bytes);
            Assert.True(r.ReadLong(out var value));
            Assert.Equal(expected, value);
            Assert.Equal(exact.Length, r.Position);
        }
    }

    [Fact]
    public void a_long_varint_of_eleven_bytes_is_rejected_as_overflow()
    {
        var (ok, _, code) = Decode("\"long\"", 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
        Assert.False(ok);
        Assert.Equal(AvroReasonCodes.VarintOverflow, code);
    }

    [Fact]
    public void an_int_varint_past_32_bits_is_rejected_as_overflow()
    {
        var (ok, _, code) = Decode("\"int\"", 0xFF, 0xFF, 0xFF, 0xFF, 0x1F);
        Assert.False(ok);
        Assert.Equal(AvroReasonCodes.VarintOverflow, code);
    }

    [Fact]
    public void a_string_length_past_the_buffer_is_rejected_before_allocating()
    {
        // Claims 2^62 bytes: the decoder must compare with what remains, not allocate.
        var (ok, _, code) = Decode("\"string\"", 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x61);
        Assert.False(ok);
        Assert.Equal(AvroReasonCodes.LengthOutOfRange, code);
    }

    [Fact]
    public void a_negative_string_length_is_rejected()
    {
        Assert.Equal(AvroReasonCodes.LengthOutOfRange, Decode("\"bytes\"", 0x01).Code);
    }

    [Fact]
    public void an_array_block_count_past_the_buffer_is_rejected()
    {
        Assert.Equal(AvroReasonCodes.LengthOutOfRange, Decode("{\"type\":\"array\",\"items\":\"long\"}", 0xFE, 0xFF, 0xFF, 0xFF, 0x0F, 0x02).Code);
    }

    [Fact]
    public void an_array_of_nulls_cannot_claim_unbounded_items()
    {
        Assert.Equal(AvroReasonCodes.LengthOutOfRange, Decode("{\"type\":\"array\",\"items\":\"null\"}", 0xFE, 0xFF, 0xFF, 0xFF, 0x0F).Code);
    }

    [Fact]
    public void many_blocks_of_nulls_cannot_add_up_past_the_zero_width_cap()
    {
        // 200 blocks of 60000 nulls each: a few hundred bytes asking for twelve million items.
        var block = new AvroBuffer();
        for (var i = 0; i < 200; i++) block.WriteLong(60_000);
        block.WriteLong(0);
        var (ok, _, code) = Decode("{\"type\":\"array\",\"items\":\"null\"}", block.ToArray());
        Assert.False(ok);
        Assert.Equal(AvroReasonCodes.LengthOutOfRange, code);
    }

    [Fact]
    public void negative_block_counts_with_byte_sizes_are_read()
    {
        // Block of -2 items (zigzag 3) with a byte size of 2, then the end marker.
        var (ok, value, _) = Decode("{\"type\":\"array\",\"items\":\"int\"}", 0x03, 0x04, 0x02, 0x04, 0x00);
        Assert.True(ok);
        Assert.Equal(new List<object?> { 1, 2 }, (List<object?>)value!);
    }

    [Fact]
    public void an_enum_index_out_of_range_is_rejected()
    {
        Assert.Equal(AvroReasonCodes.EnumOutOfRange, Decode("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", 0x04).Code);
    }

    [Fact]
    public void a_union_index_out_of_range_is_rejected()
    {
        Assert.Equal(AvroReasonCodes.UnionOutOfRange, Decode("[\"null\",\"int\"]", 0x04).Code);
    }

    [Fact]
    public void truncated_values_are_rejected_as_truncated()
    {
        Assert.Equal(AvroReasonCodes.Truncated, Decode("\"double\"", 1, 2, 3).Code);
        Assert.Equal(AvroReasonCodes.Truncated, Decode("\"long\"", 0x80).Code);
        Assert.Equal(AvroReasonCodes.Truncated, Decode("{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}", 1, 2).Code);
    }

    [Fact]
    public void invalid_utf8_and_bad_booleans_are_invalid_values()
    {
        Assert.Equal(AvroReasonCodes.InvalidValue, Decode("\"string\"", 0x02, 0xC3).Code);
        Assert.Equal(AvroReasonCodes.InvalidValue, Decode("\"boolean\"", 0x02).Code);
        Assert.Equal(AvroReasonCodes.InvalidValue, Decode("{\"type\":\"string\",\"logicalType\":\"uuid\"}", 0x06, 0x61, 0x62, 0x63).Code);
    }

    [Fact]
    public void bytes_after_the_value_are_rejected()
    {
        Assert.Equal(AvroReasonCodes.TrailingBytes, Decode("\"int\"", 0x02, 0x00).Code);
    }

    [Fact]
    public void a_deeply_nested_recursive_value_is_rejected_without_overflowing_the_stack()
    {
        const string list = "{\"type\":\"record\",\"name\":\"N\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"N\"]}]}";
        var bytes = Enumerable.Repeat((byte)0x02, 10_000).Append((byte)0x00).ToArray();
        Assert.Equal(AvroReasonCodes.TooDeep, Decode(list, bytes).Code);
    }

    [Theory]
    [InlineData("{\"type\":\"record\",\"name\":\"R\"}", "no \"fields\"")]
    [InlineData("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "twice")]
    [InlineData("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}", "default")]
    [InlineData("[\"null\",\"null\"]", "two branches")]
    [InlineData("\"Nope\"", "unknown type 'Nope'")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}]}", "default of field 'a'")]
    [InlineData("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "size")]
    [InlineData("{not json", "not valid JSON")]
    public void invalid_schemas_are_refused_with_the_reason(string schema, string expected)
    {
        var ex = Assert.Throws<AvroSchemaException>(() => AvroSchema.Parse(schema));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void unknown_logical_types_fall_back_to_the_underlying_type()
    {
        var schema = AvroSchema.Parse("{\"type\":\"long\",\"logicalType\":\"time-nanos\"}");
        Assert.Equal(AvroType.Long, schema.Type);
        Assert.Equal(AvroLogicalType.None, schema.Logical);
    }

    [Fact]
    public void logical_types_decode_to_dotnet_types()
    {
        var ts = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var id = Guid.NewGuid();
        var day = new DateOnly(2024, 2, 29);
        var schema = AvroSchema.Parse("""{"type":"record","name":"L","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"u","type":{"type":"string","logicalType":"uuid"}},{"name":"d","type":{"type":"int","logicalType":"date"}}]}""");
        var record = new AvroRecord((RecordSchema)schema) { ["t"] = ts, ["u"] = id, ["d"] = day };

        Assert.True(AvroDecoder.Create(schema).TryDecode(AvroEncoder.Encode(schema, record), out var value, out _));

        var back = (AvroRecord)value!;
        Assert.Equal(ts, back["t"]);
        Assert.Equal(id, back["u"]);
        Assert.Equal(day, back["d"]);
    }

    [Fact]
    public void encoding_a_value_of_the_wrong_type_names_the_path()
    {
        var schema = AvroSchema.Parse("""{"type":"record","name":"R","fields":[{"name":"n","type":"int"}]}""");
        var record = new AvroRecord((RecordSchema)schema) { ["n"] = "seven" };
        var ex = Assert.Throws<AvroSchemaException>(() => AvroEncoder.Encode(schema, record));
        Assert.Contains("$.n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void normalized_json_round_trips_and_is_stable()
    {
        var schema = AvroSchema.Parse("""{"namespace":"a.b","type":"record","name":"R","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["P","Q"],"default":"P"}},{"name":"y","type":["null","E"],"default":null}]}""");
        var normalized = schema.ToNormalizedJson();
        Assert.Equal(normalized, AvroSchema.Parse(normalized).ToNormalizedJson());
        Assert.Contains("\"name\":\"a.b.E\"", normalized, StringComparison.Ordinal);
    }

    [Fact]
    public void an_unqualified_reference_means_the_enclosing_namespace_first()
    {
        var schema = (RecordSchema)AvroSchema.Parse("""
            {"type":"record","name":"Outer","fields":[
              {"name":"a","type":{"type":"fixed","name":"Id","size":1}},
              {"name":"b","type":{"type":"record","name":"Inner","namespace":"x","fields":[
                {"name":"c","type":{"type":"fixed","name":"Id","size":2}},
                {"name":"d","type":"Id"}]}}]}
            """);
        var inner = (RecordSchema)schema.GetField("b")!.Schema;
        Assert.Equal("x.Id", ((FixedSchema)inner.GetField("d")!.Schema).FullName);
        Assert.Equal(2, ((FixedSchema)inner.GetField("d")!.Schema).Size);
    }

    [Fact]
    public void a_union_default_matches_the_first_branch_that_fits()
    {
        var schema = (RecordSchema)AvroSchema.Parse("""{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":null},{"name":"b","type":["null","string"],"default":"x"}]}""");
        Assert.Null(schema.GetField("a")!.DefaultValue);
        Assert.Equal("x", schema.GetField("b")!.DefaultValue);
    }
}
