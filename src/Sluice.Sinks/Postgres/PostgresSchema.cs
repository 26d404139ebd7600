namespace Sluice.Sinks.Postgres;

/// <summary>The SQL of the migrations: tables keyed by each output's stable id, and the views people query.</summary>
/// <remarks>
/// Each migration is written out whole, even where two tables share columns (events and bot_events): a released
/// migration must never change, and a fragment shared between them would let an edit for a new migration reach an old one.
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>Migration 1: one table per output, keyed by its stable id, and the stored offsets.</summary>
    public const string Tables = """
        CREATE TABLE events (
            event_id uuid PRIMARY KEY,
            event_type text NOT NULL,
            event_time timestamptz NOT NULL,
            user_id text,
            session_id text NOT NULL,
            product_id text,
            product_category text,
            price_cents bigint,
            quantity integer,
            search_query text,
            page_url text,
            referrer text,
            user_agent text,
            ip_address text,
            geo_country text,
            geo_city text,
            user_segment text,
            device_type text,
            browser text,
            campaign_id text,
            schema_version integer NOT NULL,
            revenue_cents bigint,
            event_hour integer,
            event_date date,
            is_mobile boolean,
            processing_time timestamptz,
            ingest_lag_ms bigint,
            source_partition integer,
            source_offset bigint
        );
        CREATE INDEX events_event_time ON events (event_time);

        CREATE TABLE bot_events (
            event_id uuid PRIMARY KEY,
            event_type text NOT NULL,
            event_time timestamptz NOT NULL,
            user_id text,
            session_id text NOT NULL,
            product_id text,
            product_category text,
            price_cents bigint,
            quantity integer,
            search_query text,
            page_url text,
            referrer text,
            user_agent text,
            ip_address text,
            geo_country text,
            geo_city text,
            user_segment text,
            device_type text,
            browser text,
            campaign_id text,
            schema_version integer NOT NULL
        );

        CREATE TABLE dead_letters (
            source_topic text NOT NULL,
            source_partition integer NOT NULL,
            source_offset bigint NOT NULL,
            reason_code text NOT NULL,
            detail text NOT NULL,
            failed_at timestamptz NOT NULL,
            key bytea,
            payload bytea NOT NULL,
            payload_truncated boolean NOT NULL,
            payload_length bigint,
            payload_sha256 text,
            PRIMARY KEY (source_topic, source_partition, source_offset)
        );

        CREATE TABLE late_events (
            aggregate text NOT NULL,
            source_topic text NOT NULL,
            source_partition integer NOT NULL,
            source_offset bigint NOT NULL,
            reason_code text NOT NULL,
            event_id uuid NOT NULL,
            event_time timestamptz NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            watermark timestamptz NOT NULL,
            event jsonb NOT NULL,
            PRIMARY KEY (aggregate, source_topic, source_partition, source_offset)
        );

        CREATE TABLE window_aggregates (
            aggregate text NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            dimension text NOT NULL,
            dimension_value text NOT NULL,
            partition integer NOT NULL,
            metric text NOT NULL,
            value double precision NOT NULL,
            PRIMARY KEY (aggregate, window_start, dimension, dimension_value, partition, metric)
        );

        CREATE TABLE sessions (
            session_key text NOT NULL,
            session_start timestamptz NOT NULL,
            session_end timestamptz NOT NULL,
            user_id text,
            session_id text NOT NULL,
            partition integer NOT NULL,
            duration_ms bigint NOT NULL,
            events integer NOT NULL,
            page_views integer NOT NULL,
            cart_adds integer NOT NULL,
            purchases integer NOT NULL,
            revenue_cents bigint NOT NULL,
            converted boolean NOT NULL,
            abandoned_cart boolean NOT NULL,
            landing_page text,
            exit_page text,
            PRIMARY KEY (session_key, session_start)
        );

        CREATE TABLE sink_offsets (
            group_id text NOT NULL,
            topic text NOT NULL,
            partition integer NOT NULL,
            next_offset bigint NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (group_id, topic, partition)
        );
        """;

    /// <summary>The body of the window_totals view: one row per window, dimension and metric over all partitions.</summary>
    /// <remarks>Counts add up across partitions (a user lives in one); a rate does not, so the conversion rates are
    /// recomputed from the summed counts, never averaged: sessions with a purchase over sessions, purchases over cart adds.</remarks>
    public const string WindowTotals = """
        WITH sums AS (
            SELECT aggregate, window_start, max(window_end) AS window_end, dimension, dimension_value, metric,
                   sum(value) AS value, count(*) AS partitions
            FROM window_aggregates
            WHERE metric NOT IN ('conversion_rate_sessions', 'conversion_rate_carts')
            GROUP BY aggregate, window_start, dimension, dimension_value, metric)
        SELECT aggregate, window_start, window_end, dimension, dimension_value, metric, value, partitions FROM sums
        UNION ALL
        SELECT d.aggregate, d.window_start, d.window_end, d.dimension, d.dimension_value, r.metric,
               CASE WHEN d.value > 0 THEN coalesce(n.value, 0) / d.value ELSE 0 END, d.partitions
        FROM (VALUES ('conversion_rate_sessions', 'converted_sessions', 'sessions'),
                     ('conversion_rate_carts', 'purchases', 'add_to_carts')) AS r (metric, numerator, denominator)
        JOIN sums d ON d.aggregate = 'commerce_5m' AND d.metric = r.denominator
        LEFT JOIN sums n ON n.aggregate = d.aggregate AND n.window_start = d.window_start AND n.dimension = d.dimension
                        AND n.dimension_value = d.dimension_value AND n.metric = r.numerator;
        """;

    /// <summary>Migration 3: window_totals computes the session conversion rate from converted_sessions.</summary>
    public const string SessionConversion = "CREATE OR REPLACE VIEW window_totals AS\n" + WindowTotals;

    /// <summary>Migration 2: what people query. Partial aggregates are summed here; rates are recomputed from summed counts.</summary>
    public const string Views = "CREATE VIEW window_totals AS\n" + WindowTotals + "\n" + """
        CREATE VIEW hourly_summary AS
        SELECT date_trunc('hour', event_time, 'UTC') AS hour,
               count(*) AS events,
               count(DISTINCT coalesce(user_id, session_id)) AS visitors,
               count(DISTINCT session_id) AS sessions,
               count(*) FILTER (WHERE event_type = 'page_view') AS page_views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0) AS revenue_cents
        FROM events
        GROUP BY 1;

        CREATE VIEW category_performance AS
        SELECT product_category AS category,
               count(*) FILTER (WHERE event_type = 'page_view') AS views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0) AS revenue_cents,
               count(DISTINCT coalesce(user_id, session_id)) FILTER (WHERE event_type = 'purchase') AS buyers
        FROM events
        WHERE product_category IS NOT NULL
        GROUP BY product_category;

        -- Per day of session start: how far sessions went. Each stage counts sessions, so every share is at most 1.
        CREATE VIEW funnel AS
        SELECT date_trunc('day', session_start, 'UTC') AS day,
               count(*) AS sessions,
               count(*) FILTER (WHERE page_views > 0) AS viewed,
               count(*) FILTER (WHERE cart_adds > 0) AS added_to_cart,
               count(*) FILTER (WHERE converted) AS converted,
               count(*) FILTER (WHERE abandoned_cart) AS abandoned_cart,
               (count(*) FILTER (WHERE converted))::double precision / count(*) AS conversion_rate
        FROM sessions
        GROUP BY 1;

        CREATE VIEW top_products AS
        SELECT product_id, product_category,
               count(*) FILTER (WHERE event_type = 'page_view') AS views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0) AS revenue_cents,
               rank() OVER (ORDER BY coalesce(sum(revenue_cents), 0) DESC) AS revenue_rank
        FROM events
        WHERE product_id IS NOT NULL
        GROUP BY product_id, product_category;

        CREATE VIEW session_stats AS
        SELECT date_trunc('day', session_start, 'UTC') AS day,
               count(*) AS sessions,
               count(DISTINCT user_id) AS users,
               avg(duration_ms) / 1000.0 AS avg_duration_s,
               avg(events) AS avg_events,
               sum(revenue_cents) AS revenue_cents,
               (count(*) FILTER (WHERE converted))::double precision / count(*) AS converted_share,
               (count(*) FILTER (WHERE abandoned_cart))::double precision / count(*) AS abandoned_cart_share
        FROM sessions
        GROUP BY 1;

        CREATE VIEW dead_letters_by_reason AS
        SELECT reason_code, count(*) AS dead_letters, count(*) FILTER (WHERE payload_truncated) AS truncated,
               min(failed_at) AS first_failed_at, max(failed_at) AS last_failed_at
        FROM dead_letters
        GROUP BY reason_code;
        """;

    /// <summary>Migration 4: an event id is any string (a UUID, a ULID, a number, <c>e1</c>), so its columns hold text.</summary>
    /// <remarks>Each table is rewritten once, with its primary key; a uuid becomes its lower-case text, the form the
    /// processor writes UUID ids in, so rows written before and after compare equal.</remarks>
    public const string TextEventIds = """
        ALTER TABLE events ALTER COLUMN event_id TYPE text USING event_id::text;
        ALTER TABLE bot_events ALTER COLUMN event_id TYPE text USING event_id::text;
        ALTER TABLE late_events ALTER COLUMN event_id TYPE text USING event_id::text;
        """;

    /// <summary>Migration 5: the quality table (one row per window and partition) and quality_totals (per window, over partitions).</summary>
    /// <remarks>
    /// quality_totals sums the counts and recomputes every rate, the score and the grade from the sums, as
    /// QualityScore does for one row; it never averages rates. Completeness needs the required fields' nulls, which a
    /// row does not carry; but every row of a run has the same required fields (R), and (1 − completeness) × valid is
    /// those nulls over R, so its sum over the valid events recomputes completeness of the summed counts exactly.
    /// </remarks>
    public const string Quality = """
        CREATE TABLE quality (
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            partition integer NOT NULL,
            records_in bigint NOT NULL,
            valid bigint NOT NULL,
            invalid bigint NOT NULL,
            duplicates bigint NOT NULL,
            bots bigint NOT NULL,
            late bigint NOT NULL,
            accepted bigint NOT NULL,
            invalid_by_reason jsonb NOT NULL,
            null_counts jsonb NOT NULL,
            ingest_lag_ms_sum bigint NOT NULL,
            ingest_lag_ms_max bigint,
            ingest_lag_ms_mean double precision,
            volume_baseline double precision,
            volume_ratio double precision,
            invalid_rate double precision NOT NULL,
            duplicate_rate double precision NOT NULL,
            late_rate double precision NOT NULL,
            bot_rate double precision NOT NULL,
            completeness double precision NOT NULL,
            score double precision NOT NULL,
            grade text NOT NULL,
            PRIMARY KEY (window_start, partition)
        );

        CREATE VIEW quality_totals AS
        WITH sums AS (
            SELECT window_start, max(window_end) AS window_end, count(*) AS partitions,
                   sum(records_in)::bigint AS records_in, sum(valid)::bigint AS valid, sum(invalid)::bigint AS invalid,
                   sum(duplicates)::bigint AS duplicates, sum(bots)::bigint AS bots, sum(late)::bigint AS late,
                   sum(accepted)::bigint AS accepted, sum(ingest_lag_ms_sum)::bigint AS ingest_lag_ms_sum,
                   max(ingest_lag_ms_max) AS ingest_lag_ms_max, sum((1 - completeness) * valid) AS required_nulls_per_field
            FROM quality
            GROUP BY window_start),
        rates AS (
            SELECT *,
                   CASE WHEN records_in > 0 THEN invalid::double precision / records_in ELSE 0 END AS invalid_rate,
                   CASE WHEN records_in > 0 THEN duplicates::double precision / records_in ELSE 0 END AS duplicate_rate,
                   CASE WHEN records_in > 0 THEN late::double precision / records_in ELSE 0 END AS late_rate,
                   CASE WHEN records_in > 0 THEN bots::double precision / records_in ELSE 0 END AS bot_rate,
                   CASE WHEN valid > 0 THEN 1 - required_nulls_per_field / valid ELSE 1 END AS completeness,
                   CASE WHEN records_in > 0 THEN valid::double precision / records_in ELSE 1 END AS validity
            FROM sums),
        scored AS (
            SELECT *, round((100 * (0.4 * validity + 0.3 * completeness + 0.3 * (1 - duplicate_rate)))::numeric, 2)::double precision AS score
            FROM rates)
        SELECT window_start, window_end, partitions, records_in, valid, invalid, duplicates, bots, late, accepted,
               ingest_lag_ms_sum, ingest_lag_ms_max,
               CASE WHEN accepted > 0 THEN ingest_lag_ms_sum::double precision / accepted END AS ingest_lag_ms_mean,
               invalid_rate, duplicate_rate, late_rate, bot_rate, completeness, score,
               CASE WHEN score >= 95 THEN 'EXCELLENT' WHEN score >= 90 THEN 'ACCEPTABLE' ELSE 'POOR' END AS grade
        FROM scored;
        """;

    /// <summary>Migration 6: the user dimension (dim_users, SCD type 2), the profile corrections, the events' joined profile
    /// columns, and events_with_profile, the events with each correction that is newer than the profile they were joined with.</summary>
    /// <remarks>
    /// A version is keyed by user and source position, the change that opened it; its row is written again when it closes or
    /// its number changes. A correction is keyed by the event it corrects, and a later one replaces it. The view takes a
    /// correction only when its version is newer (a higher source position) than the event's own, or the event has none: an
    /// event written after the correction, by a processor replay, already carries the newer profile. The events columns are
    /// added at the end of the table (nullable, no rewrite), which is where the shared definition has them.
    /// </remarks>
    public const string Users = """
        ALTER TABLE events ADD COLUMN profile_version integer, ADD COLUMN profile_position bigint, ADD COLUMN profile_segment text,
            ADD COLUMN profile_country text, ADD COLUMN signup_date date;

        CREATE TABLE dim_users (
            user_id text NOT NULL,
            source_position bigint NOT NULL,
            version integer NOT NULL,
            op text NOT NULL,
            valid_from timestamptz NOT NULL,
            valid_to timestamptz,
            is_current boolean NOT NULL,
            deleted_at timestamptz,
            email text,
            segment text,
            country text,
            city text,
            created_at timestamptz,
            signup_date date,
            source_topic text NOT NULL,
            source_partition integer NOT NULL,
            source_offset bigint NOT NULL,
            PRIMARY KEY (user_id, source_position)
        );

        CREATE TABLE profile_corrections (
            event_id text PRIMARY KEY,
            user_id text NOT NULL,
            event_time timestamptz NOT NULL,
            old_version integer,
            old_position bigint,
            new_version integer,
            new_position bigint,
            profile_segment text,
            profile_country text,
            signup_date date,
            corrected_at timestamptz NOT NULL
        );
        """ + "\n" + Sluice.Sinks.Tables.SharedSql.EventsWithProfile;
}
