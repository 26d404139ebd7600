using System.Text.Json;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>The user dimension's outputs as JSON: a <c>dim_users</c> row, and a profile correction. Times in epoch milliseconds.</summary>
public static class UserDimensionJson
{
    /// <summary><c>{"user_id","version","source_position","op","valid_from","valid_to","is_current","deleted_at","email","segment","country","city","created_at","source_topic","source_partition","source_offset"}</c>.</summary>
    public static void Write(Utf8JsonWriter w, UserVersion v)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(v);
        w.WriteStartObject();
        w.WriteString("user_id"u8, v.UserId);
        w.WriteNumber("version"u8, v.Version);
        w.WriteNumber("source_position"u8, v.Position);
        w.WriteString("op"u8, v.Op.Code());
        w.WriteNumber("valid_from"u8, v.ValidFrom);
        Number(w, "valid_to"u8, v.ValidTo);
        w.WriteBoolean("is_current"u8, v.IsCurrent);
        Number(w, "deleted_at"u8, v.DeletedAt);
        w.WriteString("email"u8, v.Email);
        w.WriteString("segment"u8, v.Segment);
        w.WriteString("country"u8, v.Country);
        w.WriteString("city"u8, v.City);
        Number(w, "created_at"u8, v.CreatedAt);
        w.WriteString("source_topic"u8, v.Source.Topic);
        w.WriteNumber("source_partition"u8, v.Source.Partition);
        w.WriteNumber("source_offset"u8, v.Source.Offset);
        w.WriteEndObject();
    }

    /// <summary><c>{"event_id","user_id","event_time","old_version","old_position","new_version","new_position","profile_segment","profile_country","signup_date","corrected_at"}</c>.</summary>
    public static void Write(Utf8JsonWriter w, ProfileCorrection c)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(c);
        w.WriteStartObject();
        w.WriteString("event_id"u8, c.EventId.ToString());
        w.WriteString("user_id"u8, c.UserId);
        w.WriteNumber("event_time"u8, c.EventTime);
        Number(w, "old_version"u8, c.OldVersion == 0 ? null : c.OldVersion);
        Number(w, "old_position"u8, c.OldPosition);
        Number(w, "new_version"u8, c.Profile?.Version);
        Number(w, "new_position"u8, c.Profile?.Position);
        w.WriteString("profile_segment"u8, c.Profile?.Segment);
        w.WriteString("profile_country"u8, c.Profile?.Country);
        if (c.Profile?.SignupDate is { } signup) w.WriteString("signup_date"u8, signup.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteNull("signup_date"u8);
        w.WriteNumber("corrected_at"u8, c.CorrectedAt);
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
