namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>Why a user-profile change went to the dead-letter topic instead of the dimension.</summary>
public static class UserChangeReasons
{
    /// <summary>The value is not a JSON object, or not a Debezium envelope (no <c>op</c>, <c>before</c> or <c>after</c> at all).</summary>
    public const string Malformed = "cdc_malformed";
    /// <summary>Neither the record key nor the row image names the user.</summary>
    public const string MissingKey = "cdc_missing_key";
    /// <summary>The record key and the row's user_id name different users.</summary>
    public const string KeyMismatch = "cdc_key_mismatch";
    /// <summary><c>op</c> is absent or not one of r, c, u, d.</summary>
    public const string UnknownOp = "cdc_unknown_op";
    /// <summary>A <c>before</c> or <c>after</c> that contradicts the op: a create or read with a before image or without an after image, an update without an after image, a delete with an after image or without a before image.</summary>
    public const string ImageMismatch = "cdc_image_mismatch";
    /// <summary>Neither <c>source.ts_ms</c> nor <c>ts_ms</c> is a positive number.</summary>
    public const string MissingTimestamp = "cdc_missing_timestamp";
    /// <summary>A row field or <c>source.lsn</c> has the wrong JSON type; the detail names it.</summary>
    public const string InvalidField = "cdc_invalid_field";

    /// <summary>Every code, sorted.</summary>
    public static IReadOnlyList<string> All { get; } =
        [ImageMismatch, InvalidField, KeyMismatch, Malformed, MissingKey, MissingTimestamp, UnknownOp];
}
