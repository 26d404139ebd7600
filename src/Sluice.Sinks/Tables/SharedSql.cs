namespace Sluice.Sinks.Tables;

/// <summary>SQL that PostgreSQL and DuckDB read alike, shared by their migrations.</summary>
internal static class SharedSql
{
    /// <summary>events with each event's profile taken from its correction when that is newer (docs/users.md).</summary>
    public const string EventsWithProfile = """
        CREATE VIEW events_with_profile AS
        SELECT e.event_id, e.event_type, e.event_time, e.user_id, e.session_id, e.product_id, e.product_category, e.price_cents,
               e.quantity, e.search_query, e.page_url, e.referrer, e.user_agent, e.ip_address, e.geo_country, e.geo_city,
               e.user_segment, e.device_type, e.browser, e.campaign_id, e.schema_version, e.revenue_cents, e.event_hour,
               e.event_date, e.is_mobile, e.processing_time, e.ingest_lag_ms, e.source_partition, e.source_offset,
               CASE WHEN c.event_id IS NULL THEN e.profile_version ELSE c.new_version END AS profile_version,
               CASE WHEN c.event_id IS NULL THEN e.profile_position ELSE c.new_position END AS profile_position,
               CASE WHEN c.event_id IS NULL THEN e.profile_segment ELSE c.profile_segment END AS profile_segment,
               CASE WHEN c.event_id IS NULL THEN e.profile_country ELSE c.profile_country END AS profile_country,
               CASE WHEN c.event_id IS NULL THEN e.signup_date ELSE c.signup_date END AS signup_date,
               c.event_id IS NOT NULL AS profile_corrected
        FROM events e
        LEFT JOIN profile_corrections c
               ON c.event_id = e.event_id AND (e.profile_position IS NULL OR c.new_position > e.profile_position);
        """;
}
