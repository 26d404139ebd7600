using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Sluice.Pipelines.Clickstream.Users;
using Sluice.Streaming.Processing;

namespace Sluice.Verification;

/// <summary>
/// Recomputes the user dimension and every enriched event's final profile from the user changes, by brute force:
/// per user, the changes in source-position order (a position seen before is a replay); each create, read or update a
/// version from its time to the next change's; an event's profile the version of the change with the greatest
/// (time, position) at or before the event's time, none when that change is a delete.
/// </summary>
/// <remarks>
/// Reused from the processor, as plain functions of one record: the change decoder (validation) and the JSON writer of a
/// version. The versions, their ends and the as-of join are restated here, independent of <see cref="UserHistory"/>
/// and the join operator. What the processor wrote is taken at its final state: the last record of each version, and
/// each event's profile as joined, or as its last correction says.
/// </remarks>
public static class UserDimensionRecomputation
{
    private static readonly JsonWriterOptions Writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The dead letters the invalid changes among <paramref name="changes"/> make (a tombstone makes none).</summary>
    public static IEnumerable<OutputRecord> DeadLetters(IEnumerable<TopicRecord> changes)
    {
        foreach (var r in changes)
        {
            if (UserChangeDecoder.TryDecode(r.Key, r.Value, r.Offset, out _, out var reason, out var detail) || reason is null) continue;
            yield return new OutputRecord(r.Key, Sluice.Pipelines.Clickstream.ClickstreamJson.Bytes(
                new Sluice.Streaming.Errors.DeadLetterRecord(r.Value, r.Key, reason, detail ?? "", r.Topic, r.Partition, r.Offset, FailedAtMs: 0),
                Sluice.Pipelines.Clickstream.ClickstreamJson.Write));
        }
    }

    /// <summary>The expected dim_users rows and event profiles for <paramref name="changes"/> and the expected enriched events.</summary>
    public static (List<OutputRecord> Versions, List<OutputRecord> Profiles) Expected(IEnumerable<TopicRecord> changes, IEnumerable<OutputRecord> enriched)
    {
        var byUser = new Dictionary<string, List<UserChange>>(StringComparer.Ordinal);
        foreach (var r in changes.OrderBy(r => r.Partition).ThenBy(r => r.Offset))
        {
            if (!UserChangeDecoder.TryDecode(r.Key, r.Value, r.Offset, out var change, out _, out _)) continue;
            if (!byUser.TryGetValue(change!.UserId, out var list)) byUser[change.UserId] = list = [];
            if (list.Any(c => c.Position == change.Position)) continue;
            list.Add(change with { Source = new RecordSource(r.Topic, r.Partition, r.Offset) });
        }
        var versions = new List<OutputRecord>();
        var histories = new Dictionary<string, List<(UserChange Change, UserVersion? Version)>>(StringComparer.Ordinal);
        foreach (var (user, list) in byUser)
        {
            var ordered = list.OrderBy(c => c.Position).ToList();
            var history = new List<(UserChange, UserVersion?)>();
            var number = 0;
            long? createdAt = null;
            for (var i = 0; i < ordered.Count; i++)
            {
                var c = ordered[i];
                if (c.Op == UserChangeOp.Delete)
                {
                    history.Add((c, null));
                    continue;
                }
                var next = i + 1 < ordered.Count ? ordered[i + 1] : null;
                createdAt = c.After!.CreatedAt ?? createdAt;
                var v = new UserVersion(user, ++number, c.Position, c.Op, c.ValidFrom, next?.ValidFrom,
                    next?.Op == UserChangeOp.Delete ? next.ValidFrom : null, c.After.Email, c.After.Segment, c.After.Country, c.After.City,
                    createdAt, c.Source);
                history.Add((c, v));
                versions.Add(new OutputRecord(System.Text.Encoding.UTF8.GetBytes(user), Json(w => UserDimensionJson.Write(w, v))));
            }
            histories[user] = history;
        }

        var profiles = new List<OutputRecord>();
        foreach (var e in enriched)
        {
            using var doc = JsonDocument.Parse(e.Value);
            var root = doc.RootElement;
            var id = root.GetProperty("event_id").GetString()!;
            UserVersion? profile = null;
            if (root.GetProperty("user_id").GetString() is { } user && histories.TryGetValue(user, out var history))
            {
                var time = root.GetProperty("timestamp").GetInt64();
                var last = history.Where(h => h.Change.ValidFrom <= time)
                    .OrderBy(h => h.Change.ValidFrom).ThenBy(h => h.Change.Position).LastOrDefault();
                profile = last.Version;
            }
            profiles.Add(Profile(id, profile?.Version, profile?.Position, profile?.Segment, profile?.Country,
                profile?.SignupDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), e.Pending));
        }
        return (versions, profiles);
    }

    /// <summary>The last record of each version on the dim_users topic: its final state.</summary>
    public static List<OutputRecord> LastVersions(IEnumerable<OutputRecord> records)
    {
        var last = new Dictionary<string, OutputRecord>(StringComparer.Ordinal);
        foreach (var r in records) last[OutputComparison.IdOf(ClickstreamOutput.UserVersions, r)] = r;
        return [.. last.Values];
    }

    /// <summary>Each enriched event's profile as it stands: its last copy's columns, or its last correction's.</summary>
    public static List<OutputRecord> ActualProfiles(IEnumerable<OutputRecord> enriched, IEnumerable<OutputRecord> corrections)
    {
        var corrected = new Dictionary<string, OutputRecord>(StringComparer.Ordinal);
        foreach (var c in corrections)
        {
            using var doc = JsonDocument.Parse(c.Value);
            var v = doc.RootElement;
            var id = v.GetProperty("event_id").GetString()!;
            corrected[id] = Profile(id, Int(v, "new_version"), Long(v, "new_position"), Text(v, "profile_segment"), Text(v, "profile_country"),
                Text(v, "signup_date"), false, c.Position);
        }
        // An event written again (a processor replay after a crash) stands as its last copy, as for any consumer that
        // keeps the latest record of each id; its corrections come after it in the same partition.
        var profiles = new Dictionary<string, OutputRecord>(StringComparer.Ordinal);
        foreach (var e in enriched)
        {
            using var doc = JsonDocument.Parse(e.Value);
            var v = doc.RootElement;
            var id = v.GetProperty("event_id").GetString()!;
            profiles[id] = corrected.TryGetValue(id, out var c) ? c : Profile(id, Int(v, "profile_version"), Long(v, "profile_position"),
                Text(v, "profile_segment"), Text(v, "profile_country"), Text(v, "signup_date"), false, e.Position);
        }
        return [.. profiles.Values];
    }

    private static OutputRecord Profile(string eventId, int? version, long? position, string? segment, string? country, string? signup,
        bool pending, string? at = null) =>
        new(null, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("event_id", eventId);
            if (version is { } n) w.WriteNumber("profile_version", n);
            else w.WriteNull("profile_version");
            if (position is { } p) w.WriteNumber("profile_position", p);
            else w.WriteNull("profile_position");
            w.WriteString("profile_segment", segment);
            w.WriteString("profile_country", country);
            w.WriteString("signup_date", signup);
            w.WriteEndObject();
        }), pending, at);

    private static string? Text(JsonElement v, string name) => v.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static long? Long(JsonElement v, string name) => v.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt64() : null;

    private static int? Int(JsonElement v, string name) => v.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Writer)) write(w);
        return buffer.WrittenSpan.ToArray();
    }
}
