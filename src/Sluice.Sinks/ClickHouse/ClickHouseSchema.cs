namespace Sluice.Sinks.ClickHouse;

/// <summary>The SQL of the ClickHouse sink's migrations, written for 18.16 (the server Debian ships) and later.</summary>
/// <remarks>
/// Written out whole, as the other stores' are: a released migration never changes. The columns are those of
/// <see cref="Tables.OutputTables"/> in order (a test compares them), then <c>_version</c>. Every table is a
/// ReplacingMergeTree ordered by its stable id: a row written again (a replayed batch) is the same key, and merges, or
/// <c>FINAL</c> in a query, keep the one with the highest <c>_version</c>. Types: timestamps are Int64 epoch
/// milliseconds (18.16 has no DateTime64), booleans UInt8, bytes and JSON String. Key and partition columns are not
/// Nullable (a sorting key cannot be); the others are. Tables whose stable id fixes an event time are partitioned by
/// its month (a partition holds every version of a key, so replacing works within it); dead letters and late events,
/// whose ids fix none, are not partitioned. Statements are separated by a line holding only <c>;</c>: ClickHouse's HTTP
/// interface takes one statement per request. Each is idempotent (IF NOT EXISTS), since ClickHouse has no
/// transactions: a migration cut short runs again whole.
/// </remarks>
internal static class ClickHouseSchema
{
    /// <summary>Separates the statements of a migration.</summary>
    public const string Separator = "\n;\n";

    /// <summary>What records the migrations applied; created before any migration runs.</summary>
    public const string Migrations =
        "CREATE TABLE IF NOT EXISTS sluice_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) " +
        "ENGINE = ReplacingMergeTree ORDER BY version";

    /// <summary>Migration 1: one table per output, keyed by its stable id, and the stored offsets.</summary>
    public const string Tables = """
        CREATE TABLE IF NOT EXISTS events (
            event_id String,
            event_type Nullable(String),
            event_time Int64,
            user_id Nullable(String),
            session_id Nullable(String),
            product_id Nullable(String),
            product_category Nullable(String),
            price_cents Nullable(Int64),
            quantity Nullable(Int32),
            search_query Nullable(String),
            page_url Nullable(String),
            referrer Nullable(String),
            user_agent Nullable(String),
            ip_address Nullable(String),
            geo_country Nullable(String),
            geo_city Nullable(String),
            user_segment Nullable(String),
            device_type Nullable(String),
            browser Nullable(String),
            campaign_id Nullable(String),
            schema_version Nullable(Int32),
            revenue_cents Nullable(Int64),
            event_hour Nullable(Int32),
            event_date Nullable(Date),
            is_mobile Nullable(UInt8),
            processing_time Nullable(Int64),
            ingest_lag_ms Nullable(Int64),
            source_partition Nullable(Int32),
            source_offset Nullable(Int64),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(event_time, 1000), 'UTC'))
        ORDER BY (event_id)
        ;
        CREATE TABLE IF NOT EXISTS bot_events (
            event_id String,
            event_type Nullable(String),
            event_time Int64,
            user_id Nullable(String),
            session_id Nullable(String),
            product_id Nullable(String),
            product_category Nullable(String),
            price_cents Nullable(Int64),
            quantity Nullable(Int32),
            search_query Nullable(String),
            page_url Nullable(String),
            referrer Nullable(String),
            user_agent Nullable(String),
            ip_address Nullable(String),
            geo_country Nullable(String),
            geo_city Nullable(String),
            user_segment Nullable(String),
            device_type Nullable(String),
            browser Nullable(String),
            campaign_id Nullable(String),
            schema_version Nullable(Int32),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(event_time, 1000), 'UTC'))
        ORDER BY (event_id)
        ;
        CREATE TABLE IF NOT EXISTS dead_letters (
            source_topic String,
            source_partition Int32,
            source_offset Int64,
            reason_code Nullable(String),
            detail Nullable(String),
            failed_at Nullable(Int64),
            key Nullable(String),
            payload Nullable(String),
            payload_truncated Nullable(UInt8),
            payload_length Nullable(Int64),
            payload_sha256 Nullable(String),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        ORDER BY (source_topic, source_partition, source_offset)
        ;
        CREATE TABLE IF NOT EXISTS late_events (
            aggregate String,
            source_topic String,
            source_partition Int32,
            source_offset Int64,
            reason_code Nullable(String),
            event_id Nullable(String),
            event_time Nullable(Int64),
            window_start Nullable(Int64),
            window_end Nullable(Int64),
            watermark Nullable(Int64),
            event Nullable(String),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        ORDER BY (aggregate, source_topic, source_partition, source_offset)
        ;
        CREATE TABLE IF NOT EXISTS window_aggregates (
            aggregate String,
            window_start Int64,
            window_end Nullable(Int64),
            dimension String,
            dimension_value String,
            partition Int32,
            metric String,
            value Nullable(Float64),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(window_start, 1000), 'UTC'))
        ORDER BY (aggregate, window_start, dimension, dimension_value, partition, metric)
        ;
        CREATE TABLE IF NOT EXISTS sessions (
            session_key String,
            session_start Int64,
            session_end Nullable(Int64),
            user_id Nullable(String),
            session_id Nullable(String),
            partition Nullable(Int32),
            duration_ms Nullable(Int64),
            events Nullable(Int32),
            page_views Nullable(Int32),
            cart_adds Nullable(Int32),
            purchases Nullable(Int32),
            revenue_cents Nullable(Int64),
            converted Nullable(UInt8),
            abandoned_cart Nullable(UInt8),
            landing_page Nullable(String),
            exit_page Nullable(String),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(session_start, 1000), 'UTC'))
        ORDER BY (session_key, session_start)
        ;
        CREATE TABLE IF NOT EXISTS quality (
            window_start Int64,
            window_end Nullable(Int64),
            partition Int32,
            records_in Nullable(Int64),
            valid Nullable(Int64),
            invalid Nullable(Int64),
            duplicates Nullable(Int64),
            bots Nullable(Int64),
            late Nullable(Int64),
            accepted Nullable(Int64),
            invalid_by_reason Nullable(String),
            null_counts Nullable(String),
            ingest_lag_ms_sum Nullable(Int64),
            ingest_lag_ms_max Nullable(Int64),
            ingest_lag_ms_mean Nullable(Float64),
            volume_baseline Nullable(Float64),
            volume_ratio Nullable(Float64),
            invalid_rate Nullable(Float64),
            duplicate_rate Nullable(Float64),
            late_rate Nullable(Float64),
            bot_rate Nullable(Float64),
            completeness Nullable(Float64),
            score Nullable(Float64),
            grade Nullable(String),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(window_start, 1000), 'UTC'))
        ORDER BY (window_start, partition)
        ;
        CREATE TABLE IF NOT EXISTS sink_offsets (
            group_id String,
            topic String,
            partition Int32,
            next_offset Int64,
            updated_at DateTime DEFAULT now(),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        ORDER BY (group_id, topic, partition)
        """;

    /// <summary>Migration 2: what people query, over <c>FINAL</c> so that a row not yet merged counts once. Partial aggregates
    /// are summed here; conversion rates are recomputed from the summed counts, never averaged (as PostgreSQL's views do).</summary>
    /// <remarks>Inner queries rename the columns they feed to aggregates: ClickHouse lets an alias shadow a column of the
    /// same name, so <c>sum(value) AS value</c> would refer to itself.</remarks>
    public const string Views = """
        CREATE VIEW IF NOT EXISTS window_totals AS
        SELECT aggregate, window_start, max(end) AS window_end, dimension, dimension_value, metric, sum(v) AS value, count() AS partitions
        FROM (SELECT aggregate, window_start, window_end AS end, dimension, dimension_value, metric, assumeNotNull(value) AS v FROM window_aggregates FINAL)
        WHERE metric NOT IN ('conversion_rate_sessions', 'conversion_rate_carts')
        GROUP BY aggregate, window_start, dimension, dimension_value, metric
        UNION ALL
        SELECT aggregate, window_start, max(end) AS window_end, dimension, dimension_value, 'conversion_rate_sessions' AS metric,
               if(sumIf(v, m = 'sessions') > 0, sumIf(v, m = 'converted_sessions') / sumIf(v, m = 'sessions'), 0) AS value,
               countIf(m = 'sessions') AS partitions
        FROM (SELECT aggregate, window_start, window_end AS end, dimension, dimension_value, metric AS m, assumeNotNull(value) AS v FROM window_aggregates FINAL
              WHERE aggregate = 'commerce_5m' AND metric IN ('sessions', 'converted_sessions'))
        GROUP BY aggregate, window_start, dimension, dimension_value
        HAVING partitions > 0
        UNION ALL
        SELECT aggregate, window_start, max(end) AS window_end, dimension, dimension_value, 'conversion_rate_carts' AS metric,
               if(sumIf(v, m = 'add_to_carts') > 0, sumIf(v, m = 'purchases') / sumIf(v, m = 'add_to_carts'), 0) AS value,
               countIf(m = 'add_to_carts') AS partitions
        FROM (SELECT aggregate, window_start, window_end AS end, dimension, dimension_value, metric AS m, assumeNotNull(value) AS v FROM window_aggregates FINAL
              WHERE aggregate = 'commerce_5m' AND metric IN ('add_to_carts', 'purchases'))
        GROUP BY aggregate, window_start, dimension, dimension_value
        HAVING partitions > 0
        ;
        CREATE VIEW IF NOT EXISTS hourly_summary AS
        SELECT toStartOfHour(toDateTime(intDiv(t, 1000), 'UTC')) AS hour, count() AS events, uniqExact(visitor) AS visitors, uniqExact(session) AS sessions,
               countIf(type = 'page_view') AS page_views, countIf(type = 'add_to_cart') AS cart_adds, countIf(type = 'purchase') AS purchases,
               sum(revenue) AS revenue_cents
        FROM (SELECT event_time AS t, ifNull(ifNull(user_id, session_id), '') AS visitor, ifNull(session_id, '') AS session, ifNull(event_type, '') AS type,
              ifNull(revenue_cents, 0) AS revenue FROM events FINAL)
        GROUP BY hour
        ;
        CREATE VIEW IF NOT EXISTS funnel AS
        SELECT toStartOfDay(toDateTime(intDiv(start, 1000), 'UTC')) AS day, count() AS sessions, countIf(viewed_any) AS viewed, countIf(added_any) AS added_to_cart,
               countIf(done) AS converted, countIf(abandoned) AS abandoned_cart, countIf(done) / count() AS conversion_rate
        FROM (SELECT session_start AS start, ifNull(page_views, 0) > 0 AS viewed_any, ifNull(cart_adds, 0) > 0 AS added_any, ifNull(converted, 0) = 1 AS done,
              ifNull(abandoned_cart, 0) = 1 AS abandoned FROM sessions FINAL)
        GROUP BY day
        ;
        CREATE VIEW IF NOT EXISTS dead_letters_by_reason AS
        SELECT reason_code, count() AS dead_letters, countIf(ifNull(payload_truncated, 0) = 1) AS truncated, min(failed_at) AS first_failed_at, max(failed_at) AS last_failed_at
        FROM dead_letters FINAL
        GROUP BY reason_code
        """;

    /// <summary>Migration 3: the user dimension (<c>dim_users</c>), the profile corrections, the events' profile columns (after
    /// <c>source_offset</c>, where the shared definition has them, so that <c>_version</c> stays last) and
    /// <c>events_with_profile</c>, as PostgreSQL's (<c>PostgresSchema.Users</c> says what the view takes).</summary>
    /// <remarks>18.16 has no <c>ADD COLUMN IF NOT EXISTS</c>: the migration runner takes "the column exists" from an
    /// <c>ADD COLUMN</c> as done, so a migration cut short still runs again to the same end. Both new tables take the latest write of an id, as sessions do. dim_users is not partitioned: its id fixes
    /// no time (valid_from belongs to the version but is not in its key), and the table is small. The view joins with
    /// <c>ANY LEFT JOIN … USING</c> (18.16 has no join conditions beyond equality and wants a strictness); an event without
    /// a correction gets the join's defaults, so <c>c_found</c> tells the two apart. Both sides rename the columns the
    /// outer query computes, since an alias would shadow a column of the same name.</remarks>
    public const string Users = """
        ALTER TABLE events ADD COLUMN profile_version Nullable(Int32) AFTER source_offset
        ;
        ALTER TABLE events ADD COLUMN profile_position Nullable(Int64) AFTER profile_version
        ;
        ALTER TABLE events ADD COLUMN profile_segment Nullable(String) AFTER profile_position
        ;
        ALTER TABLE events ADD COLUMN profile_country Nullable(String) AFTER profile_segment
        ;
        ALTER TABLE events ADD COLUMN signup_date Nullable(Date) AFTER profile_country
        ;
        CREATE TABLE IF NOT EXISTS dim_users (
            user_id String,
            source_position Int64,
            version Nullable(Int32),
            op Nullable(String),
            valid_from Nullable(Int64),
            valid_to Nullable(Int64),
            is_current Nullable(UInt8),
            deleted_at Nullable(Int64),
            email Nullable(String),
            segment Nullable(String),
            country Nullable(String),
            city Nullable(String),
            created_at Nullable(Int64),
            signup_date Nullable(Date),
            source_topic Nullable(String),
            source_partition Nullable(Int32),
            source_offset Nullable(Int64),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        ORDER BY (user_id, source_position)
        ;
        CREATE TABLE IF NOT EXISTS profile_corrections (
            event_id String,
            user_id Nullable(String),
            event_time Int64,
            old_version Nullable(Int32),
            old_position Nullable(Int64),
            new_version Nullable(Int32),
            new_position Nullable(Int64),
            profile_segment Nullable(String),
            profile_country Nullable(String),
            signup_date Nullable(Date),
            corrected_at Nullable(Int64),
            _version UInt64
        ) ENGINE = ReplacingMergeTree(_version)
        PARTITION BY toYYYYMM(toDateTime(intDiv(event_time, 1000), 'UTC'))
        ORDER BY (event_id)
        ;
        CREATE VIEW IF NOT EXISTS events_with_profile AS
        SELECT event_id, event_type, event_time, user_id, session_id, product_id, product_category, price_cents, quantity, search_query,
               page_url, referrer, user_agent, ip_address, geo_country, geo_city, user_segment, device_type, browser, campaign_id,
               schema_version, revenue_cents, event_hour, event_date, is_mobile, processing_time, ingest_lag_ms, source_partition,
               source_offset,
               if(profile_corrected, c_version, e_version) AS profile_version,
               if(profile_corrected, c_position, e_position) AS profile_position,
               if(profile_corrected, c_segment, e_segment) AS profile_segment,
               if(profile_corrected, c_country, e_country) AS profile_country,
               if(profile_corrected, c_signup_date, e_signup_date) AS signup_date,
               c_found = 1 AND (isNull(e_position) OR ifNull(c_position > e_position, 0)) AS profile_corrected
        FROM (SELECT event_id, event_type, event_time, user_id, session_id, product_id, product_category, price_cents, quantity, search_query,
                      page_url, referrer, user_agent, ip_address, geo_country, geo_city, user_segment, device_type, browser, campaign_id,
                      schema_version, revenue_cents, event_hour, event_date, is_mobile, processing_time, ingest_lag_ms, source_partition,
                      source_offset,
                      profile_version AS e_version, profile_position AS e_position, profile_segment AS e_segment, profile_country AS e_country,
                      signup_date AS e_signup_date
              FROM events FINAL)
        ANY LEFT JOIN (SELECT event_id, new_version AS c_version, new_position AS c_position, profile_segment AS c_segment,
                              profile_country AS c_country, signup_date AS c_signup_date, toUInt8(1) AS c_found
                       FROM profile_corrections FINAL) USING event_id
        """;

    /// <summary>The statements of a migration's SQL.</summary>
    public static IEnumerable<string> Statements(string sql) =>
        sql.ReplaceLineEndings("\n").Split(Separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
