namespace Sluice.Schemas.Avro;

/// <summary>Stable reason codes for Avro payloads that cannot be decoded. Never renamed once published.</summary>
public static class AvroReasonCodes
{
    /// <summary>The first byte is not the Confluent magic byte 0, or the frame is shorter than 5 bytes.</summary>
    public const string BadMagic = "avro_bad_magic";
    /// <summary>The schema id in the frame is not known to the registry.</summary>
    public const string UnknownSchema = "avro_unknown_schema";
    /// <summary>The body ends before the schema says it should.</summary>
    public const string Truncated = "avro_truncated";
    /// <summary>A varint is longer than 10 bytes (long) or 5 bytes (int), or overflows its type.</summary>
    public const string VarintOverflow = "avro_varint_overflow";
    /// <summary>A length or block count is negative or larger than the bytes that remain.</summary>
    public const string LengthOutOfRange = "avro_length_out_of_range";
    /// <summary>An enum index is outside the writer's symbols.</summary>
    public const string EnumOutOfRange = "avro_enum_out_of_range";
    /// <summary>A union branch index is outside the writer's branches.</summary>
    public const string UnionOutOfRange = "avro_union_out_of_range";
    /// <summary>A value is malformed for its type: a boolean byte other than 0 or 1, bad UTF-8, an invalid uuid.</summary>
    public const string InvalidValue = "avro_invalid_value";
    /// <summary>Bytes remain after the top-level value was read.</summary>
    public const string TrailingBytes = "avro_trailing_bytes";
    /// <summary>The data uses a writer branch or symbol the reader schema cannot resolve.</summary>
    public const string SchemaMismatch = "avro_schema_mismatch";
    /// <summary>Nesting deeper than the decoder allows (recursive schemas).</summary>
    public const string TooDeep = "avro_too_deep";

    /// <summary>Every code above, for tests and dashboards.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        BadMagic, UnknownSchema, Truncated, VarintOverflow, LengthOutOfRange, EnumOutOfRange,
        UnionOutOfRange, InvalidValue, TrailingBytes, SchemaMismatch, TooDeep,
    ];
}
