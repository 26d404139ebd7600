using Sluice.Generate.Faults;
using Sluice.Schemas.Avro;

namespace Sluice.Generate.Writers;

/// <summary>How click events are written on the wire: JSON v3 (the generator's own bytes) or Confluent-framed Avro v3.</summary>
public enum PayloadFormat : byte
{
    Json,
    Avro,
}

/// <summary>Wire names of <see cref="PayloadFormat"/> and the reason code each malformed label should get in each format.</summary>
public static class PayloadFormats
{
    /// <summary><c>json</c> or <c>avro</c>.</summary>
    public static string ToWireName(this PayloadFormat format) => format == PayloadFormat.Avro ? "avro" : "json";

    /// <summary>
    /// The reason code a processor should give a malformed record of <paramref name="kind"/> written in
    /// <paramref name="format"/>; null for kinds that are not malformed.
    /// </summary>
    /// <remarks>
    /// In Avro the structural faults become broken frames (see <see cref="AvroTrafficWriter"/>); the validation-level faults
    /// (negative price, zero quantity) and oversized fields encode fine and are caught after decoding, with the same
    /// codes as in JSON.
    /// </remarks>
    public static string? ExpectedReasonCode(this FaultKind kind, PayloadFormat format) => format switch
    {
        PayloadFormat.Avro => kind switch
        {
            FaultKind.MissingFields => AvroReasonCodes.Truncated,
            FaultKind.UnknownEventType => AvroReasonCodes.EnumOutOfRange,
            FaultKind.WrongTypes => AvroReasonCodes.UnknownSchema,
            _ => kind.ExpectedReasonCode(),
        },
        _ => kind.ExpectedReasonCode(),
    };
}
