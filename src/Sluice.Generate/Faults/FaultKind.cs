using Sluice.Core.Errors;

namespace Sluice.Generate.Faults;

/// <summary>What was done to a record on purpose. Every generated record carries exactly one.</summary>
public enum FaultKind : byte
{
    /// <summary>A valid event, on time.</summary>
    None,
    /// <summary>Valid, delivered behind newer events but within the out-of-orderness bound: still counts.</summary>
    OutOfOrder,
    /// <summary>Valid, delivered minutes after newer events: belongs in the late output, not the windows.</summary>
    Late,
    /// <summary>The same event (same event_id, same bytes) sent again: dropped by deduplication.</summary>
    Duplicate,
    /// <summary>A crawler or HTTP tool: dropped by the bot filter.</summary>
    Bot,
    MissingFields,
    UnknownEventType,
    NegativePrice,
    ZeroQuantity,
    WrongTypes,
    NotJson,
    Oversized,
}

/// <summary>Wire labels (the <c>sluice-fault</c> header and manifest keys) and the reason a processor should give.</summary>
public static class FaultKinds
{
    public const string HeaderName = "sluice-fault";

    public const int Count = (int)FaultKind.Oversized + 1;

    private static readonly string[] Labels =
    [
        "none", "out_of_order", "late", "duplicate", "bot",
        "malformed.missing_fields", "malformed.unknown_event_type", "malformed.negative_price",
        "malformed.zero_quantity", "malformed.wrong_types", "malformed.not_json", "malformed.oversized",
    ];

    private static readonly byte[][] Utf8Labels = Array.ConvertAll(Labels, System.Text.Encoding.UTF8.GetBytes);

    /// <summary>The kinds that make a record malformed, in declaration order.</summary>
    public static readonly FaultKind[] Malformed =
    [
        FaultKind.MissingFields, FaultKind.UnknownEventType, FaultKind.NegativePrice, FaultKind.ZeroQuantity,
        FaultKind.WrongTypes, FaultKind.NotJson, FaultKind.Oversized,
    ];

    public static string ToLabel(this FaultKind kind) => Labels[(int)kind];

    public static byte[] ToUtf8Label(this FaultKind kind) => Utf8Labels[(int)kind];

    public static bool TryParse(string? label, out FaultKind kind)
    {
        var index = Array.IndexOf(Labels, label);
        kind = (FaultKind)Math.Max(index, 0);
        return index >= 0;
    }

    public static bool IsMalformed(this FaultKind kind) => kind >= FaultKind.MissingFields;

    /// <summary>True for the events a correct processor counts in its windows: valid, first seen, human, on time.</summary>
    public static bool IsCounted(this FaultKind kind) => kind is FaultKind.None or FaultKind.OutOfOrder;

    /// <summary>The reason code a processor should route a malformed record with; null for the other kinds.</summary>
    public static string? ExpectedReasonCode(this FaultKind kind) => kind switch
    {
        FaultKind.MissingFields => ReasonCodes.MissingRequiredFields,
        FaultKind.UnknownEventType => ReasonCodes.UnknownEventType,
        FaultKind.WrongTypes => ReasonCodes.InvalidFieldType,
        FaultKind.NotJson => ReasonCodes.InvalidJson,
        FaultKind.Oversized => ReasonCodes.FieldTooLong,
        FaultKind.NegativePrice => ReasonCodes.NegativePrice,
        FaultKind.ZeroQuantity => ReasonCodes.ZeroQuantity,
        _ => null,
    };
}
