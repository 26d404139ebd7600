using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Pipelines.Clickstream.Users;

/// <summary>Reads a Debezium-style user change and validates its envelope, or says why it cannot be applied.</summary>
/// <remarks>
/// <para>Accepts the envelope bare (<c>{"before","after","op","ts_ms","source"}</c>, as Debezium writes it with
/// schemas disabled and as the generator does) or wrapped as <c>{"schema":…,"payload":{…}}</c>. The key is the user id
/// as plain text, or a JSON object with <c>user_id</c> (Debezium's key struct), wrapped or not; without a key the row
/// image names the user.</para>
/// <para>Position: <c>source.lsn</c> when the source has one (Debezium's PostgreSQL connector), else the record's
/// Kafka offset, which orders the changes of one user too, since a user's changes share a partition.</para>
/// <para>A record with an empty value is a tombstone (Debezium writes one after each delete, for log compaction): it
/// carries no change and is skipped, not dead-lettered.</para>
/// </remarks>
public static class UserChangeDecoder
{
    /// <summary>The change, or a reason code and detail; <paramref name="change"/> and <paramref name="reason"/> are both null for a tombstone.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long offset,
        out UserChange? change, out string? reason, out string? detail)
    {
        change = null;
        reason = null;
        detail = null;
        if (value.IsEmpty) return false;
        try
        {
            using var doc = JsonDocument.Parse(value.ToArray());
            return TryRead(key, doc.RootElement, offset, out change, out reason, out detail);
        }
        catch (JsonException ex)
        {
            return Fail(UserChangeReasons.Malformed, $"not JSON: {ex.Message}", out reason, out detail);
        }
        catch (DecoderFallbackException ex)
        {
            return Fail(UserChangeReasons.Malformed, $"not UTF-8: {ex.Message}", out reason, out detail);
        }
    }

    private static bool TryRead(ReadOnlySpan<byte> keyBytes, JsonElement root, long offset,
        out UserChange? change, out string? reason, out string? detail)
    {
        change = null;
        if (root.ValueKind != JsonValueKind.Object) return Fail(UserChangeReasons.Malformed, $"the value is a JSON {Kind(root)}, not an object", out reason, out detail);
        if (root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object && !root.TryGetProperty("op", out _)) root = payload;
        var hasOp = root.TryGetProperty("op", out var opElement);
        if (!hasOp && !root.TryGetProperty("before", out _) && !root.TryGetProperty("after", out _))
            return Fail(UserChangeReasons.Malformed, "no op, before or after: not a change envelope", out reason, out detail);
        if (!hasOp || opElement.ValueKind != JsonValueKind.String || !UserChangeOps.TryParse(opElement.GetString(), out var op))
            return Fail(UserChangeReasons.UnknownOp, hasOp ? $"op {opElement.GetRawText()} is not one of r, c, u, d" : "no op", out reason, out detail);

        if (!TryImage(root, "before", out var before, out reason, out detail)) return false;
        if (!TryImage(root, "after", out var after, out reason, out detail)) return false;
        var mismatch = op switch
        {
            UserChangeOp.Read or UserChangeOp.Create when before is not null => $"op {op.Code()} with a before image",
            UserChangeOp.Read or UserChangeOp.Create or UserChangeOp.Update when after is null => $"op {op.Code()} without an after image",
            UserChangeOp.Delete when after is not null => "op d with an after image",
            UserChangeOp.Delete when before is null => "op d without a before image",
            _ => null,
        };
        if (mismatch is not null) return Fail(UserChangeReasons.ImageMismatch, mismatch, out reason, out detail);

        if (!TryKey(keyBytes, out var key, out reason, out detail)) return false;
        var rowUser = (after ?? before)?.UserId;
        if (key is not null && rowUser is not null && !string.Equals(key, rowUser, StringComparison.Ordinal))
            return Fail(UserChangeReasons.KeyMismatch, $"key '{key}' but user_id '{rowUser}'", out reason, out detail);
        var user = key ?? rowUser;
        if (string.IsNullOrWhiteSpace(user)) return Fail(UserChangeReasons.MissingKey, "no key and no user_id in the row", out reason, out detail);

        root.TryGetProperty("source", out var source);
        var ts = Millis(source, "ts_ms") ?? Millis(root, "ts_ms");
        if (ts is not > 0) return Fail(UserChangeReasons.MissingTimestamp, "neither source.ts_ms nor ts_ms is a positive number", out reason, out detail);
        long position = offset;
        if (source.ValueKind == JsonValueKind.Object && source.TryGetProperty("lsn", out var lsn) && lsn.ValueKind != JsonValueKind.Null)
        {
            if (lsn.ValueKind != JsonValueKind.Number || !lsn.TryGetInt64(out position))
                return Fail(UserChangeReasons.InvalidField, $"source.lsn {lsn.GetRawText()} is not a whole number", out reason, out detail);
        }
        change = new UserChange(user, op, position, ts.Value, before, after);
        return true;
    }

    private static bool TryImage(JsonElement root, string name, out UserImage? image, out string? reason, out string? detail)
    {
        image = null;
        reason = detail = null;
        if (!root.TryGetProperty(name, out var row) || row.ValueKind == JsonValueKind.Null) return true;
        if (row.ValueKind != JsonValueKind.Object) return Fail(UserChangeReasons.InvalidField, $"{name} is a JSON {Kind(row)}, not an object", out reason, out detail);
        string? Text(string field, out string? error)
        {
            error = null;
            if (!row.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.String) return v.GetString();
            error = $"{name}.{field} is a JSON {Kind(v)}, not a string";
            return null;
        }
        var userId = Text("user_id", out var e1);
        var email = Text("email", out var e2);
        var segment = Text("segment", out var e3);
        var country = Text("country", out var e4);
        var city = Text("city", out var e5);
        var error = e1 ?? e2 ?? e3 ?? e4 ?? e5;
        if (error is not null) return Fail(UserChangeReasons.InvalidField, error, out reason, out detail);
        long? createdAt = null;
        if (row.TryGetProperty("created_at", out var created) && created.ValueKind != JsonValueKind.Null)
        {
            createdAt = created.ValueKind switch
            {
                JsonValueKind.Number when created.TryGetInt64(out var ms) => ms,
                JsonValueKind.String when DateTimeOffset.TryParse(created.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var t) => t.ToUnixTimeMilliseconds(),
                _ => null,
            };
            if (createdAt is null)
                return Fail(UserChangeReasons.InvalidField, $"{name}.created_at {created.GetRawText()} is neither epoch milliseconds nor an ISO 8601 time", out reason, out detail);
        }
        image = new UserImage(userId, email, segment, country, city, createdAt);
        return true;
    }

    // Plain text, or a JSON object with user_id (wrapped in payload or not).
    private static bool TryKey(ReadOnlySpan<byte> bytes, out string? key, out string? reason, out string? detail)
    {
        key = null;
        reason = detail = null;
        if (bytes.IsEmpty) return true;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Fail(UserChangeReasons.MissingKey, "the key is not UTF-8 text", out reason, out detail);
        }
        if (!text.StartsWith('{'))
        {
            key = text.Length == 0 ? null : text;
            return true;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object) root = payload;
            if (root.TryGetProperty("user_id", out var id) && id.ValueKind == JsonValueKind.String) key = id.GetString();
            return true;
        }
        catch (JsonException)
        {
            key = text;
            return true;
        }
    }

    private static long? Millis(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var ms)
            ? ms : null;

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static bool Fail(string code, string text, out string? reason, out string? detail)
    {
        reason = code;
        detail = text;
        return false;
    }
}
