namespace Sluice.Core.Errors;

/// <summary>Stable reason codes carried by dead-letter records. Never renamed once published.</summary>
public static class ReasonCodes
{
    /// <summary>The payload is not a JSON object (not UTF-8, not JSON, or truncated).</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>One or more required fields are absent or null; the detail lists them, sorted.</summary>
    public const string MissingRequiredFields = "missing_required_fields";
    /// <summary>A field has the wrong JSON type (a string where a number belongs, say).</summary>
    public const string InvalidFieldType = "invalid_field_type";
    /// <summary><c>event_type</c> is not one of the known event types.</summary>
    public const string UnknownEventType = "unknown_event_type";
    /// <summary>A field is longer than the configured maximum.</summary>
    public const string FieldTooLong = "field_too_long";
}
