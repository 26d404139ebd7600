using System.Text;
using Sluice.Sinks;
using Sluice.Sinks.Rows;

namespace Sluice.UnitTests.Sinks;

/// <summary>The user dimension's outputs and the enriched events' joined profile, read as the sinks read them.</summary>
public sealed class UserDimensionParserTests
{
    private const long T0 = 1767225600000; // 2026-01-01T00:00:00Z

    [Fact]
    public void a_user_version_reads_every_field_and_its_signup_date_is_the_utc_date_of_created_at()
    {
        var json = """{"user_id":"u-0000001","version":2,"source_position":1234,"op":"u","valid_from":1767225600000,"valid_to":1767229200000,"is_current":false,"deleted_at":1767229200000,"email":"a@example.org","segment":"vip","country":"DE","city":"Berlin","created_at":1767311999999,"source_topic":"clickstream.cdc.users","source_partition":1,"source_offset":12}""";
        var u = OutputRowParser.UserVersion(Encoding.UTF8.GetBytes(json), sequence: 4);

        Assert.Equal(("u-0000001", 2, 1234L, "u"), (u.UserId, u.Version, u.SourcePosition, u.Op));
        Assert.Equal((T0, (long?)T0 + 3_600_000, false, (long?)T0 + 3_600_000), (u.ValidFrom, u.ValidTo, u.IsCurrent, u.DeletedAt));
        Assert.Equal(("a@example.org", "vip", "DE", "Berlin"), (u.Email, u.Segment, u.Country, u.City));
        Assert.Equal(1767311999999, u.CreatedAt);
        // 2026-01-01T23:59:59.999Z: still the first of January in UTC.
        Assert.Equal(new DateOnly(2026, 1, 1), u.SignupDate);
        Assert.Equal(("clickstream.cdc.users", 1, 12L), (u.SourceTopic, u.SourcePartition, u.SourceOffset));
        Assert.Equal("u-0000001|1234", u.Id);
        Assert.Equal(4, u.Sequence);
    }

    [Fact]
    public void a_current_user_version_with_nulls_has_no_end_no_deletion_and_no_signup_date()
    {
        var json = """{"user_id":"u-2","version":1,"source_position":5,"op":"r","valid_from":1767225600000,"valid_to":null,"is_current":true,"deleted_at":null,"email":null,"segment":null,"country":null,"city":null,"created_at":null,"source_topic":"clickstream.cdc.users","source_partition":0,"source_offset":0}""";
        var u = OutputRowParser.UserVersion(Encoding.UTF8.GetBytes(json));

        Assert.True(u.IsCurrent);
        Assert.Null(u.ValidTo);
        Assert.Null(u.DeletedAt);
        Assert.Null(u.Email);
        Assert.Null(u.Segment);
        Assert.Null(u.Country);
        Assert.Null(u.City);
        Assert.Null(u.CreatedAt);
        Assert.Null(u.SignupDate);
    }

    [Fact]
    public void a_correction_reads_every_field()
    {
        var json = """{"event_id":"0b9c0000-0000-4000-8000-000000000001","user_id":"u-0000001","event_time":1767225601000,"old_version":1,"old_position":10,"new_version":2,"new_position":20,"profile_segment":"vip","profile_country":"DE","signup_date":"2026-01-01","corrected_at":1767229999000}""";
        var c = OutputRowParser.Correction(Encoding.UTF8.GetBytes(json));

        Assert.Equal(("0b9c0000-0000-4000-8000-000000000001", "u-0000001", 1767225601000L), (c.EventId, c.UserId, c.EventTime));
        Assert.Equal(((int?)1, (long?)10, (int?)2, (long?)20), (c.OldVersion, c.OldPosition, c.NewVersion, c.NewPosition));
        Assert.Equal(("vip", "DE", (DateOnly?)new DateOnly(2026, 1, 1)), (c.ProfileSegment, c.ProfileCountry, c.SignupDate));
        Assert.Equal(1767229999000, c.CorrectedAt);
        Assert.Equal(c.EventId, c.Id);
    }

    [Fact]
    public void a_correction_to_no_profile_has_null_versions_and_profile()
    {
        var json = """{"event_id":"e-1","user_id":"u-1","event_time":1767225601000,"old_version":null,"old_position":null,"new_version":null,"new_position":null,"profile_segment":null,"profile_country":null,"signup_date":null,"corrected_at":1767229999000}""";
        var c = OutputRowParser.Correction(Encoding.UTF8.GetBytes(json));

        Assert.Null(c.OldVersion);
        Assert.Null(c.OldPosition);
        Assert.Null(c.NewVersion);
        Assert.Null(c.NewPosition);
        Assert.Null(c.ProfileSegment);
        Assert.Null(c.ProfileCountry);
        Assert.Null(c.SignupDate);
    }

    [Fact]
    public void an_enriched_event_reads_its_joined_profile_after_the_offset()
    {
        var e = OutputRowParser.Event(Encoding.UTF8.GetBytes(Event(""","profile_version":2,"profile_position":20,"profile_segment":"vip","profile_country":"DE","signup_date":"2026-01-01"}""")));

        Assert.Equal(((int?)2, (long?)20, "vip", "DE", (DateOnly?)new DateOnly(2026, 1, 1)),
            (e.ProfileVersion, e.ProfilePosition, e.ProfileSegment, e.ProfileCountry, e.SignupDate));
        Assert.Equal(17, e.SourceOffset);
    }

    [Theory]
    [InlineData(""","profile_version":null,"profile_position":null,"profile_segment":null,"profile_country":null,"signup_date":null}""")]
    [InlineData("}")] // a processor that joins no users writes no profile fields
    public void an_enriched_event_without_a_profile_has_null_profile_fields(string tail)
    {
        var e = OutputRowParser.Event(Encoding.UTF8.GetBytes(Event(tail)));

        Assert.Equal("e-1", e.EventId);
        Assert.Equal(17, e.SourceOffset);
        Assert.Null(e.ProfileVersion);
        Assert.Null(e.ProfilePosition);
        Assert.Null(e.ProfileSegment);
        Assert.Null(e.ProfileCountry);
        Assert.Null(e.SignupDate);
    }

    [Fact]
    public void a_batch_sorts_the_user_dimension_s_topics_into_their_own_rows()
    {
        var topics = SinkTopics.Default;
        var batch = new SinkBatch("g",
        [
            new SinkRecord("clickstream.dim_users", 0, 0, T0, null, Encoding.UTF8.GetBytes("""{"user_id":"u-1","version":1,"source_position":1,"op":"c","valid_from":1767225600000,"is_current":true,"source_topic":"t","source_partition":0,"source_offset":0}""")),
            new SinkRecord("clickstream.corrections", 0, 0, T0, null, Encoding.UTF8.GetBytes("""{"event_id":"e-1","user_id":"u-1","event_time":1767225600000,"corrected_at":1767225600000}""")),
        ]);
        var parsed = ParsedBatch.Parse(batch, topics);

        Assert.Equal("u-1|1", Assert.Single(parsed.Rows(OutputKind.UserVersions)).Id);
        Assert.Equal("e-1", Assert.Single(parsed.Rows(OutputKind.Corrections)).Id);
        Assert.Equal(OutputKind.Corrections, topics.KindOf("clickstream.corrections"));
    }

    [Fact]
    public void a_processor_without_the_user_join_and_a_domain_file_have_no_user_topics()
    {
        var without = SinkTopics.Default with { UserVersions = null, Corrections = null };
        Assert.DoesNotContain(OutputKind.UserVersions, without.Kinds);
        Assert.DoesNotContain(OutputKind.Corrections, without.Kinds);
        Assert.Null(without.KindOf("clickstream.dim_users"));
        Assert.Empty(SinkTopics.OfDomain("d", "l", "a").Kinds.Intersect([OutputKind.UserVersions, OutputKind.Corrections]));
    }

    [Fact]
    public void the_sinks_read_the_user_topics_only_while_the_processor_joins_users()
    {
        var options = new Sluice.Core.Configuration.SluiceOptions();
        var on = Sluice.App.Hosting.SinkCatalog.Topics(options);
        Assert.Equal(("clickstream.dim_users", "clickstream.corrections"), (on.UserVersions, on.Corrections));

        options.Processor.UserDimension = false;
        var off = Sluice.App.Hosting.SinkCatalog.Topics(options);
        Assert.Null(off.UserVersions);
        Assert.Null(off.Corrections);
        Assert.DoesNotContain("clickstream.dim_users", off.All);
    }

    private static string Event(string tail) =>
        """{"event_id":"e-1","event_type":"page_view","timestamp":1767225600000,"user_id":"u-1","session_id":"s-1","schema_version":3,"event_hour":0,"event_date":"2026-01-01","is_mobile":false,"processing_time":1767225600005,"ingest_lag_ms":5,"partition":0,"offset":17""" + tail;
}
