namespace Sluice.IntegrationTests.Sinks;

/// <summary>Hand-written records of the user dimension's outputs and of enriched events joined to it, as the processor writes them.</summary>
/// <remarks>
/// u-1 opens version 1 at position 10, which closes when version 2 opens at position 20 (written twice: open, then
/// closed); u-2 has one version, closed by a delete. Event e-1 was joined with u-1's version 1 and corrected twice
/// (first to segment gold, then to vip), e-2 was joined with version 2 and has a correction that is no newer, and e-3 is
/// an anonymous visitor's from a processor that joins no users (no profile fields at all).
/// </remarks>
internal static class UserDimensionRecords
{
    public const long T0 = 1767225600000; // 2026-01-01T00:00:00Z
    public const long T1 = T0 + 3_600_000;
    public const long T2 = T0 + 7_200_000;

    public static readonly (string Key, string Json)[] UserVersions =
    [
        ("u-1", Version("u-1", 1, 10, "c", T0, null, true, null, "new", T0, 3)),
        ("u-2", Version("u-2", 1, 5, "r", T0, null, true, null, "basic", null, 1)),
        ("u-1", Version("u-1", 1, 10, "c", T0, T1, false, null, "new", T0, 3)),
        ("u-1", Version("u-1", 2, 20, "u", T1, null, true, null, "vip", T0, 7)),
        ("u-2", Version("u-2", 1, 5, "r", T0, T2, false, T2, "basic", null, 1)),
    ];

    public static readonly (string Key, string Json)[] Enriched =
    [
        ("e-1", Event("e-1", "u-1", T0 + 1_000, 100) + ""","profile_version":1,"profile_position":10,"profile_segment":"new","profile_country":"DE","signup_date":"2026-01-01"}"""),
        ("e-2", Event("e-2", "u-1", T1 + 1_000, 101) + ""","profile_version":2,"profile_position":20,"profile_segment":"vip","profile_country":"DE","signup_date":"2026-01-01"}"""),
        ("e-3", Event("e-3", null, T1 + 2_000, 102) + "}"),
    ];

    public static readonly (string Key, string Json)[] Corrections =
    [
        ("u-1", Correction("e-1", T0 + 1_000, 1, 10, 2, 20, "gold", T1 + 10)),
        ("u-1", Correction("e-2", T1 + 1_000, 2, 20, 2, 20, "vip", T1 + 20)),
        ("u-1", Correction("e-1", T0 + 1_000, 1, 10, 2, 20, "vip", T1 + 30)),
    ];

    private static string Version(string user, int version, long position, string op, long from, long? to, bool current, long? deleted, string segment,
        long? created, long offset) =>
        $$"""{"user_id":"{{user}}","version":{{version}},"source_position":{{position}},"op":"{{op}}","valid_from":{{from}},"valid_to":{{N(to)}},"is_current":{{(current ? "true" : "false")}},"deleted_at":{{N(deleted)}},"email":"{{user}}@example.org","segment":"{{segment}}","country":"DE","city":null,"created_at":{{N(created)}},"source_topic":"clickstream.cdc.users","source_partition":0,"source_offset":{{offset}}}""";

    // An enriched event up to its "offset" field, without the closing brace.
    private static string Event(string id, string? user, long time, long offset) =>
        $$"""{"event_id":"{{id}}","event_type":"page_view","timestamp":{{time}},"user_id":{{(user is null ? "null" : $"\"{user}\"")}},"session_id":"s-{{id}}","product_id":null,"product_category":null,"price_cents":null,"quantity":null,"search_query":null,"page_url":"/","referrer":null,"user_agent":null,"ip_address":null,"geo_country":"DE","geo_city":null,"user_segment":null,"device_type":"desktop","browser":null,"campaign_id":null,"schema_version":3,"revenue_cents":null,"event_hour":0,"event_date":"2026-01-01","is_mobile":false,"processing_time":{{time + 5}},"ingest_lag_ms":5,"partition":0,"offset":{{offset}}""";

    private static string Correction(string eventId, long time, int oldVersion, long oldPosition, int newVersion, long newPosition, string segment, long at) =>
        $$"""{"event_id":"{{eventId}}","user_id":"u-1","event_time":{{time}},"old_version":{{oldVersion}},"old_position":{{oldPosition}},"new_version":{{newVersion}},"new_position":{{newPosition}},"profile_segment":"{{segment}}","profile_country":"DE","signup_date":"2026-01-01","corrected_at":{{at}}}""";

    private static string N(long? value) => value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null";
}
