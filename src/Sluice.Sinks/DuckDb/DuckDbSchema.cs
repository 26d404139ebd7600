namespace Sluice.Sinks.DuckDb;

/// <summary>The SQL of the warehouse's migrations: PostgreSQL's tables and views (Postgres/PostgresSchema.cs) in DuckDB's dialect.</summary>
/// <remarks>
/// Written out whole, as PostgreSQL's are: a released migration never changes. The columns are those of
/// <see cref="Tables.OutputTables"/> (a test compares them). Differences from PostgreSQL: DuckDB's types (VARCHAR, BLOB,
/// JSON, DOUBLE), no secondary index on <c>event_time</c> (DuckDB prunes by its zone maps and advises against ART
/// indexes for range scans), hours and days cut in UTC with <c>timezone('UTC', …)</c> since DuckDB's date_trunc takes
/// no time zone, and sums of bigint columns cast back to BIGINT (DuckDB widens them to HUGEINT).
/// </remarks>
internal static class DuckDbSchema
{
    /// <summary>Migration 1: one table per output, keyed by its stable id, and the stored offsets.</summary>
    public const string Tables = """
        CREATE TABLE events (
            event_id UUID PRIMARY KEY,
            event_type VARCHAR NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            user_id VARCHAR,
            session_id VARCHAR NOT NULL,
            product_id VARCHAR,
            product_category VARCHAR,
            price_cents BIGINT,
            quantity INTEGER,
            search_query VARCHAR,
            page_url VARCHAR,
            referrer VARCHAR,
            user_agent VARCHAR,
            ip_address VARCHAR,
            geo_country VARCHAR,
            geo_city VARCHAR,
            user_segment VARCHAR,
            device_type VARCHAR,
            browser VARCHAR,
            campaign_id VARCHAR,
            schema_version INTEGER NOT NULL,
            revenue_cents BIGINT,
            event_hour INTEGER,
            event_date DATE,
            is_mobile BOOLEAN,
            processing_time TIMESTAMPTZ,
            ingest_lag_ms BIGINT,
            source_partition INTEGER,
            source_offset BIGINT
        );

        CREATE TABLE bot_events (
            event_id UUID PRIMARY KEY,
            event_type VARCHAR NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            user_id VARCHAR,
            session_id VARCHAR NOT NULL,
            product_id VARCHAR,
            product_category VARCHAR,
            price_cents BIGINT,
            quantity INTEGER,
            search_query VARCHAR,
            page_url VARCHAR,
            referrer VARCHAR,
            user_agent VARCHAR,
            ip_address VARCHAR,
            geo_country VARCHAR,
            geo_city VARCHAR,
            user_segment VARCHAR,
            device_type VARCHAR,
            browser VARCHAR,
            campaign_id VARCHAR,
            schema_version INTEGER NOT NULL
        );

        CREATE TABLE dead_letters (
            source_topic VARCHAR NOT NULL,
            source_partition INTEGER NOT NULL,
            source_offset BIGINT NOT NULL,
            reason_code VARCHAR NOT NULL,
            detail VARCHAR NOT NULL,
            failed_at TIMESTAMPTZ NOT NULL,
            key BLOB,
            payload BLOB NOT NULL,
            payload_truncated BOOLEAN NOT NULL,
            payload_length BIGINT,
            payload_sha256 VARCHAR,
            PRIMARY KEY (source_topic, source_partition, source_offset)
        );

        CREATE TABLE late_events (
            aggregate VARCHAR NOT NULL,
            source_topic VARCHAR NOT NULL,
            source_partition INTEGER NOT NULL,
            source_offset BIGINT NOT NULL,
            reason_code VARCHAR NOT NULL,
            event_id UUID NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            window_start TIMESTAMPTZ NOT NULL,
            window_end TIMESTAMPTZ NOT NULL,
            watermark TIMESTAMPTZ NOT NULL,
            event JSON NOT NULL,
            PRIMARY KEY (aggregate, source_topic, source_partition, source_offset)
        );

        CREATE TABLE window_aggregates (
            aggregate VARCHAR NOT NULL,
            window_start TIMESTAMPTZ NOT NULL,
            window_end TIMESTAMPTZ NOT NULL,
            dimension VARCHAR NOT NULL,
            dimension_value VARCHAR NOT NULL,
            partition INTEGER NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL,
            PRIMARY KEY (aggregate, window_start, dimension, dimension_value, partition, metric)
        );

        CREATE TABLE sessions (
            session_key VARCHAR NOT NULL,
            session_start TIMESTAMPTZ NOT NULL,
            session_end TIMESTAMPTZ NOT NULL,
            user_id VARCHAR,
            session_id VARCHAR NOT NULL,
            partition INTEGER NOT NULL,
            duration_ms BIGINT NOT NULL,
            events INTEGER NOT NULL,
            page_views INTEGER NOT NULL,
            cart_adds INTEGER NOT NULL,
            purchases INTEGER NOT NULL,
            revenue_cents BIGINT NOT NULL,
            converted BOOLEAN NOT NULL,
            abandoned_cart BOOLEAN NOT NULL,
            landing_page VARCHAR,
            exit_page VARCHAR,
            PRIMARY KEY (session_key, session_start)
        );

        CREATE TABLE sink_offsets (
            group_id VARCHAR NOT NULL,
            topic VARCHAR NOT NULL,
            partition INTEGER NOT NULL,
            next_offset BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
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
        SELECT timezone('UTC', date_trunc('hour', timezone('UTC', event_time))) AS hour,
               count(*) AS events,
               count(DISTINCT coalesce(user_id, session_id)) AS visitors,
               count(DISTINCT session_id) AS sessions,
               count(*) FILTER (WHERE event_type = 'page_view') AS page_views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0)::BIGINT AS revenue_cents
        FROM events
        GROUP BY 1;

        CREATE VIEW category_performance AS
        SELECT product_category AS category,
               count(*) FILTER (WHERE event_type = 'page_view') AS views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0)::BIGINT AS revenue_cents,
               count(DISTINCT coalesce(user_id, session_id)) FILTER (WHERE event_type = 'purchase') AS buyers
        FROM events
        WHERE product_category IS NOT NULL
        GROUP BY product_category;

        -- Per day of session start: how far sessions went. Each stage counts sessions, so every share is at most 1.
        CREATE VIEW funnel AS
        SELECT timezone('UTC', date_trunc('day', timezone('UTC', session_start))) AS day,
               count(*) AS sessions,
               count(*) FILTER (WHERE page_views > 0) AS viewed,
               count(*) FILTER (WHERE cart_adds > 0) AS added_to_cart,
               count(*) FILTER (WHERE converted) AS converted,
               count(*) FILTER (WHERE abandoned_cart) AS abandoned_cart,
               (count(*) FILTER (WHERE converted))::DOUBLE / count(*) AS conversion_rate
        FROM sessions
        GROUP BY 1;

        CREATE VIEW top_products AS
        SELECT product_id, product_category,
               count(*) FILTER (WHERE event_type = 'page_view') AS views,
               count(*) FILTER (WHERE event_type = 'add_to_cart') AS cart_adds,
               count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
               coalesce(sum(revenue_cents), 0)::BIGINT AS revenue_cents,
               rank() OVER (ORDER BY coalesce(sum(revenue_cents), 0) DESC) AS revenue_rank
        FROM events
        WHERE product_id IS NOT NULL
        GROUP BY product_id, product_category;

        CREATE VIEW session_stats AS
        SELECT timezone('UTC', date_trunc('day', timezone('UTC', session_start))) AS day,
               count(*) AS sessions,
               count(DISTINCT user_id) AS users,
               avg(duration_ms) / 1000.0 AS avg_duration_s,
               avg(events) AS avg_events,
               sum(revenue_cents)::BIGINT AS revenue_cents,
               (count(*) FILTER (WHERE converted))::DOUBLE / count(*) AS converted_share,
               (count(*) FILTER (WHERE abandoned_cart))::DOUBLE / count(*) AS abandoned_cart_share
        FROM sessions
        GROUP BY 1;

        CREATE VIEW dead_letters_by_reason AS
        SELECT reason_code, count(*) AS dead_letters, count(*) FILTER (WHERE payload_truncated) AS truncated,
               min(failed_at) AS first_failed_at, max(failed_at) AS last_failed_at
        FROM dead_letters
        GROUP BY reason_code;
        """;

    /// <summary>Migration 4: an event id is any string (a UUID, a ULID, a number, <c>e1</c>), so its columns hold text.</summary>
    /// <remarks>DuckDB cannot change the type of a primary-key column, so events and bot_events are copied into tables
    /// of the new shape, which then take their names; late_events' column is altered in place. A uuid becomes its lower-case text, the form the processor writes UUID ids in,
    /// so rows written before and after compare equal. The views name these tables and are bound when queried.</remarks>
    public const string TextEventIds = """
        CREATE TABLE events_text_ids (
            event_id VARCHAR PRIMARY KEY,
            event_type VARCHAR NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            user_id VARCHAR,
            session_id VARCHAR NOT NULL,
            product_id VARCHAR,
            product_category VARCHAR,
            price_cents BIGINT,
            quantity INTEGER,
            search_query VARCHAR,
            page_url VARCHAR,
            referrer VARCHAR,
            user_agent VARCHAR,
            ip_address VARCHAR,
            geo_country VARCHAR,
            geo_city VARCHAR,
            user_segment VARCHAR,
            device_type VARCHAR,
            browser VARCHAR,
            campaign_id VARCHAR,
            schema_version INTEGER NOT NULL,
            revenue_cents BIGINT,
            event_hour INTEGER,
            event_date DATE,
            is_mobile BOOLEAN,
            processing_time TIMESTAMPTZ,
            ingest_lag_ms BIGINT,
            source_partition INTEGER,
            source_offset BIGINT
        );
        INSERT INTO events_text_ids SELECT * REPLACE (CAST(event_id AS VARCHAR) AS event_id) FROM events;
        DROP TABLE events;
        ALTER TABLE events_text_ids RENAME TO events;

        CREATE TABLE bot_events_text_ids (
            event_id VARCHAR PRIMARY KEY,
            event_type VARCHAR NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            user_id VARCHAR,
            session_id VARCHAR NOT NULL,
            product_id VARCHAR,
            product_category VARCHAR,
            price_cents BIGINT,
            quantity INTEGER,
            search_query VARCHAR,
            page_url VARCHAR,
            referrer VARCHAR,
            user_agent VARCHAR,
            ip_address VARCHAR,
            geo_country VARCHAR,
            geo_city VARCHAR,
            user_segment VARCHAR,
            device_type VARCHAR,
            browser VARCHAR,
            campaign_id VARCHAR,
            schema_version INTEGER NOT NULL
        );
        INSERT INTO bot_events_text_ids SELECT * REPLACE (CAST(event_id AS VARCHAR) AS event_id) FROM bot_events;
        DROP TABLE bot_events;
        ALTER TABLE bot_events_text_ids RENAME TO bot_events;

        ALTER TABLE late_events ALTER COLUMN event_id TYPE VARCHAR USING CAST(event_id AS VARCHAR);
        """;

    /// <summary>Migration 5: the quality table and quality_totals, as PostgreSQL's (<c>PostgresSchema.Quality</c> says how the view recomputes).</summary>
    public const string Quality = """
        CREATE TABLE quality (
            window_start TIMESTAMPTZ NOT NULL,
            window_end TIMESTAMPTZ NOT NULL,
            partition INTEGER NOT NULL,
            records_in BIGINT NOT NULL,
            valid BIGINT NOT NULL,
            invalid BIGINT NOT NULL,
            duplicates BIGINT NOT NULL,
            bots BIGINT NOT NULL,
            late BIGINT NOT NULL,
            accepted BIGINT NOT NULL,
            invalid_by_reason JSON NOT NULL,
            null_counts JSON NOT NULL,
            ingest_lag_ms_sum BIGINT NOT NULL,
            ingest_lag_ms_max BIGINT,
            ingest_lag_ms_mean DOUBLE,
            volume_baseline DOUBLE,
            volume_ratio DOUBLE,
            invalid_rate DOUBLE NOT NULL,
            duplicate_rate DOUBLE NOT NULL,
            late_rate DOUBLE NOT NULL,
            bot_rate DOUBLE NOT NULL,
            completeness DOUBLE NOT NULL,
            score DOUBLE NOT NULL,
            grade VARCHAR NOT NULL,
            PRIMARY KEY (window_start, partition)
        );

        CREATE VIEW quality_totals AS
        WITH sums AS (
            SELECT window_start, max(window_end) AS window_end, count(*) AS partitions,
                   CAST(sum(records_in) AS BIGINT) AS records_in, CAST(sum(valid) AS BIGINT) AS valid, CAST(sum(invalid) AS BIGINT) AS invalid,
                   CAST(sum(duplicates) AS BIGINT) AS duplicates, CAST(sum(bots) AS BIGINT) AS bots, CAST(sum(late) AS BIGINT) AS late,
                   CAST(sum(accepted) AS BIGINT) AS accepted, CAST(sum(ingest_lag_ms_sum) AS BIGINT) AS ingest_lag_ms_sum,
                   max(ingest_lag_ms_max) AS ingest_lag_ms_max, sum((1 - completeness) * valid) AS required_nulls_per_field
            FROM quality
            GROUP BY window_start),
        rates AS (
            SELECT *,
                   CASE WHEN records_in > 0 THEN CAST(invalid AS DOUBLE) / records_in ELSE 0 END AS invalid_rate,
                   CASE WHEN records_in > 0 THEN CAST(duplicates AS DOUBLE) / records_in ELSE 0 END AS duplicate_rate,
                   CASE WHEN records_in > 0 THEN CAST(late AS DOUBLE) / records_in ELSE 0 END AS late_rate,
                   CASE WHEN records_in > 0 THEN CAST(bots AS DOUBLE) / records_in ELSE 0 END AS bot_rate,
                   CASE WHEN valid > 0 THEN 1 - required_nulls_per_field / valid ELSE 1 END AS completeness,
                   CASE WHEN records_in > 0 THEN CAST(valid AS DOUBLE) / records_in ELSE 1 END AS validity
            FROM sums),
        scored AS (
            SELECT *, CAST(round(CAST(100 * (0.4 * validity + 0.3 * completeness + 0.3 * (1 - duplicate_rate)) AS DECIMAL(18, 9)), 2) AS DOUBLE) AS score
            FROM rates)
        SELECT window_start, window_end, partitions, records_in, valid, invalid, duplicates, bots, late, accepted,
               ingest_lag_ms_sum, ingest_lag_ms_max,
               CASE WHEN accepted > 0 THEN CAST(ingest_lag_ms_sum AS DOUBLE) / accepted END AS ingest_lag_ms_mean,
               invalid_rate, duplicate_rate, late_rate, bot_rate, completeness, score,
               CASE WHEN score >= 95 THEN 'EXCELLENT' WHEN score >= 90 THEN 'ACCEPTABLE' ELSE 'POOR' END AS grade
        FROM scored;
        """;

    /// <summary>Migration 6: the user dimension, the profile corrections, the events' profile columns and events_with_profile, as
    /// PostgreSQL's (<c>PostgresSchema.Users</c> says what the view takes). DuckDB adds one column per ALTER statement.</summary>
    public const string Users = """
        ALTER TABLE events ADD COLUMN profile_version INTEGER;
        ALTER TABLE events ADD COLUMN profile_position BIGINT;
        ALTER TABLE events ADD COLUMN profile_segment VARCHAR;
        ALTER TABLE events ADD COLUMN profile_country VARCHAR;
        ALTER TABLE events ADD COLUMN signup_date DATE;

        CREATE TABLE dim_users (
            user_id VARCHAR NOT NULL,
            source_position BIGINT NOT NULL,
            version INTEGER NOT NULL,
            op VARCHAR NOT NULL,
            valid_from TIMESTAMPTZ NOT NULL,
            valid_to TIMESTAMPTZ,
            is_current BOOLEAN NOT NULL,
            deleted_at TIMESTAMPTZ,
            email VARCHAR,
            segment VARCHAR,
            country VARCHAR,
            city VARCHAR,
            created_at TIMESTAMPTZ,
            signup_date DATE,
            source_topic VARCHAR NOT NULL,
            source_partition INTEGER NOT NULL,
            source_offset BIGINT NOT NULL,
            PRIMARY KEY (user_id, source_position)
        );

        CREATE TABLE profile_corrections (
            event_id VARCHAR PRIMARY KEY,
            user_id VARCHAR NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            old_version INTEGER,
            old_position BIGINT,
            new_version INTEGER,
            new_position BIGINT,
            profile_segment VARCHAR,
            profile_country VARCHAR,
            signup_date DATE,
            corrected_at TIMESTAMPTZ NOT NULL
        );
        """ + "\n" + Sluice.Sinks.Tables.SharedSql.EventsWithProfile;
}
