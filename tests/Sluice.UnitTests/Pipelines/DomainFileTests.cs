using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Streaming.Errors;
using static Sluice.UnitTests.Pipelines.ClickstreamFixture;

namespace Sluice.UnitTests.Pipelines;

public class DomainFileTests
{
    private static RuleSet<ClickEvent> Rules(string rulesYaml) =>
        RuleCompiler.Compile(EcommerceDomain.Parse("rules:\n" + rulesYaml), ClickEventFields.All);

    private static string? Check(RuleSet<ClickEvent> rules, ClickEvent e, long ingestMs = 0) => rules.Validate(e, T0, ingestMs, out _);

    [Fact]
    public void the_built_in_domain_is_the_repository_file_and_compiles()
    {
        var fromFile = DomainDefinition.Load(EcommerceDomain.FilePath);
        Assert.Equal(fromFile.Rules.Select(r => (r.Code, r.Field, r.Line)), DomainDefinition.Ecommerce.Rules.Select(r => (r.Code, r.Field, r.Line)));
        Assert.Equal(fromFile.Fields.Select(f => (f.Name, f.Type, f.Required)), DomainDefinition.Ecommerce.Fields.Select(f => (f.Name, f.Type, f.Required)));
        Assert.Equal(13, ClickstreamRules.Compile(DomainDefinition.Ecommerce).Rules.Count);
        // Every code the built-in rules give is a published validation code.
        Assert.Subset(ReasonCodes.Validation.ToHashSet(), DomainDefinition.Ecommerce.Rules.Select(r => r.Code).ToHashSet());
        Assert.Equal(ReasonCodes.Validation.ToHashSet(), DomainDefinition.Ecommerce.Rules.Select(r => r.Code).ToHashSet());
    }

    [Fact]
    public void the_schema_generated_from_the_file_is_the_registered_v3_with_event_id_a_plain_string()
    {
        // Docs, aliases and defaults included: the file states all of v3, and an id of any form is text, not a uuid.
        var v3 = System.Text.Json.Nodes.JsonNode.Parse(EventSchemas.V3.ToNormalizedJson())!;
        v3["fields"]![0]!["type"] = "string";
        Assert.Equal(v3.ToJsonString(), DomainAvroSchema.Generate(DomainDefinition.Ecommerce).ToNormalizedJson());
        Assert.Equal("clickstream.events-value", DomainAvroSchema.SubjectFor(new ClickstreamOptions().InputTopic));
    }

    [Fact]
    public void a_file_whose_fields_do_not_make_the_event_s_wire_layout_is_refused_naming_the_field()
    {
        var text = File.ReadAllText(EcommerceDomain.FilePath);
        var nullableSession = DomainDefinition.Parse(new StringReader(text.Replace(
            "session_id:       { type: string,    required: true, role: dimension, default: \"\",", "session_id:       { type: string, role: dimension,",
            StringComparison.Ordinal)), "shop.yaml");
        var error = Assert.Throws<ConfigurationException>(() => ClickstreamRules.Compile(nullableSession));
        Assert.Equal("fields.session_id", error.Key);
        Assert.Contains("field 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("shop.yaml, line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void an_event_a_week_older_than_its_arrival_is_a_dead_letter_of_its_own_and_one_without_a_log_time_is_not_judged()
    {
        using var d = Driver();
        var week = 7 * 24 * 60 * Minute;
        d.Pipe("clickstream.events", 0, ClickEventJson.ToBytes(Event(at: T0 - week - 1)), brokerTimestamp: T0);
        d.Pipe("clickstream.events", 0, ClickEventJson.ToBytes(Event(at: T0 - week)), brokerTimestamp: T0);
        d.Pipe("clickstream.events", 0, ClickEventJson.ToBytes(Event(at: T0 - week - 1)), brokerTimestamp: 0);
        var letter = Assert.Single(d.Output<DeadLetterRecord>("clickstream.dlq"));
        Assert.Equal(ReasonCodes.TimestampTooOld, letter.ReasonCode);
        Assert.Contains("7.00:00:00", letter.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void rules_are_checked_in_file_order_so_the_first_broken_one_gives_the_reason()
    {
        var rules = Rules("""
              - { code: first,  field: price_cents, min: 0 }
              - { code: second, field: price_cents, max: 10 }
              - { code: third,  field: price_cents, min: 0 }
            """);
        Assert.Equal("first", Check(rules, Event(price: -1)));
        Assert.Equal("second", Check(rules, Event(price: 11)));
        Assert.Null(Check(rules, Event(price: 5)));
        // An absent value passes every check but required.
        Assert.Null(Check(rules, Event(price: null)));
    }

    [Fact]
    public void every_kind_of_check_breaks_on_what_it_should_and_passes_the_rest()
    {
        var rules = Rules("""
              - { code: need_user,   field: user_id, required: true }
              - { code: no_query,    when: { event_type: [page_view] }, field: search_query, absent: true }
              - { code: segment,     field: user_segment, in: [new, returning] }
              - { code: city_length, field: geo_city, minLength: 2, maxLength: 5 }
              - { code: page_path,   field: page_url, pattern: "^/" }
              - { code: campaign,    field: campaign_id, format: uuid }
              - { code: quantity_le_price, field: quantity, max: { field: price_cents } }
            """);
        Assert.Equal("need_user", Check(rules, Event(user: " ")));
        Assert.Equal("no_query", Check(rules, Event(query: "shoes")));
        Assert.Null(Check(rules, Event(EventType.Search, query: "shoes")));
        Assert.Equal("segment", Check(rules, Event() with { UserSegment = "vip" }));
        Assert.Null(Check(rules, Event() with { UserSegment = "new" }));
        Assert.Equal("city_length", Check(rules, Event() with { GeoCity = "B" }));
        Assert.Equal("city_length", Check(rules, Event() with { GeoCity = "Berlin" }));
        Assert.Null(Check(rules, Event() with { GeoCity = "Bonn" }));
        Assert.Equal("page_path", Check(rules, Event(page: "home")));
        Assert.Equal("campaign", Check(rules, Event() with { CampaignId = "spring" }));
        Assert.Null(Check(rules, Event() with { CampaignId = "0f8fad5b-d9cb-469f-a165-70867728950e" }));
        Assert.Equal("quantity_le_price", Check(rules, Event(EventType.Purchase, price: 2, quantity: 3)));
        Assert.Null(Check(rules, Event(EventType.Purchase, price: 3, quantity: 3)));
        // A cross-field limit whose other field is absent sets no limit.
        Assert.Null(Check(rules, Event(EventType.Purchase, quantity: 3)));
    }

    [Fact]
    public void a_when_can_require_a_field_absent_or_present_as_well_as_list_values()
    {
        var rules = Rules("""
              - { code: priced_page_of_no_product, when: { event_type: [page_view], product_id: absent }, field: price_cents, absent: true }
              - { code: product_needs_category,    when: { product_id: present }, field: product_category, required: true }
            """);
        Assert.Equal("priced_page_of_no_product", Check(rules, Event(price: 100)));
        Assert.Equal("product_needs_category", Check(rules, Event(product: "p1", price: 100)));
        Assert.Null(Check(rules, Event(product: "p1", category: "shoes", price: 100)));
    }

    [Fact]
    public void a_dead_letter_detail_names_the_field_the_value_and_the_limit()
    {
        var rules = Rules("""  - { code: too_dear, when: { event_type: [purchase] }, field: price_cents, max: 500 }""");
        Assert.Equal("too_dear", rules.Validate(Event(EventType.Purchase, price: 501, quantity: 1), T0, 0, out var detail));
        Assert.Equal("price_cents 501 is above the maximum 500 when event_type is purchase", detail);
    }

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "rules:\n  - { code: x, field: nope, required: true }", "rules[0].field", "'nope' is not a field" },
        { "rules:\n  - { code: x, field: user_id, min: 1 }", "rules[0]", "min/max compare numbers" },
        { "rules:\n  - { code: x, field: price_cents, maxLength: 3 }", "rules[0]", "measure text" },
        { "rules:\n  - { code: x, field: price_cents, maxAge: 7d }", "rules[0]", "bounds a timestamp" },
        { "rules:\n  - { code: x, field: price_cents, min: 0, required: true }", "rules[0]", "one check" },
        { "rules:\n  - { code: x, field: price_cents }", "rules[0]", "has no check" },
        { "rules:\n  - { code: Bad-Code, field: price_cents, min: 0 }", "rules[0].code", "snake_case" },
        { "rules:\n  - { field: price_cents, min: 0 }", "rules[0].code", "missing" },
        { "rules:\n  - { code: x, field: price_cents, min: cheap }", "rules[0].min", "whole number" },
        { "rules:\n  - { code: x, field: price_cents, min: 5, max: 1 }", "rules[0].min", "above max" },
        { "rules:\n  - { code: x, field: timestamp, maxAge: a week }", "rules[0].maxAge", "not a duration" },
        { "rules:\n  - { code: x, field: page_url, pattern: \"(\" }", "rules[0].pattern", "regular expression" },
        { "rules:\n  - { code: x, field: page_url, format: email }", "rules[0].format", "not a format" },
        { "rules:\n  - { code: x, field: page_url, requird: true }", "rules[0].requird", "unknown property" },
        { "rules:\n  - { code: x, when: { event_type: [teleport] }, field: price_cents, min: 0 }", "rules[0].when.event_type", "not a value of event_type" },
        { "rules:\n  - { code: x, when: { price_cents: [1] }, field: user_id, required: true }", "rules[0].when.price_cents", "is a number" },
        { "rules:\n  - { code: x, field: quantity, max: { field: user_id } }", "rules[0].max.field", "is text" },
        { "fields:\n  price_cents: { type: string }", "fields.price_cents.type", "the ecommerce event's field is long" },
        { "fields:\n  discount: { type: long }", "fields.discount", "has no such field" },
        { "fields:\n  price_cents: { type: money }", "fields.price_cents.type", "not a type" },
        { "fields:\n  event_type: { type: enum }", "fields.event_type.values", "lists its values" },
        { "fields:\n  user_id: { type: string, role: metric }", "fields.user_id.role", "a metric is a number" },
        { "rulez:\n  - {}", "rulez", "unknown section" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void a_mistake_in_a_domain_file_is_one_error_naming_the_key_the_file_and_the_line(string yaml, string key, string problem)
    {
        var ex = Assert.Throws<ConfigurationException>(() => RuleCompiler.Compile(EcommerceDomain.Parse(yaml), ClickEventFields.All));
        Assert.Equal(key, ex.Key);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(test\.yaml, line [0-9]+\)$", ex.Message);
    }

    [Fact]
    public void the_line_in_an_error_is_the_rule_s_own()
    {
        var yaml = "rules:\n  - { code: a, field: price_cents, min: 0 }\n  - { code: b, field: price_cents, min: 0 }\n  - { code: c, field: nope, min: 0 }";
        var ex = Assert.Throws<ConfigurationException>(() => RuleCompiler.Compile(EcommerceDomain.Parse(yaml), ClickEventFields.All));
        Assert.EndsWith("(test.yaml, line 4)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void a_domain_without_an_unconditional_price_maximum_is_refused_by_the_clickstream_topology()
    {
        var domain = EcommerceDomain.Parse(EcommerceDomain.With("code: price_above_maximum", "  - { code: price_above_maximum, when: { event_type: [purchase] }, field: price_cents, max: 100 }"));
        var ex = Assert.Throws<ConfigurationException>(() => ClickstreamRules.Compile(domain));
        Assert.Contains("no rule bounds price_cents", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("15m", 900_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("7d", 604_800_000)]
    [InlineData("\"01:30:00\"", 5_400_000)]
    [InlineData("\"1.00:00:00\"", 86_400_000)]
    public void durations_read_as_hh_mm_ss_or_a_number_with_a_unit(string text, long ms)
    {
        var rules = Rules($"  - {{ code: old, field: timestamp, maxAge: {text} }}");
        Assert.Null(Check(rules, Event(at: T0 - ms), ingestMs: T0));
        Assert.Equal("old", Check(rules, Event(at: T0 - ms - 1), ingestMs: T0));
    }

    [Fact]
    public void a_rule_value_may_be_an_environment_or_file_reference()
    {
        Environment.SetEnvironmentVariable("SLUICE_TEST_MAX_PRICE", "250");
        try
        {
            var rules = Rules("  - { code: too_dear, field: price_cents, max: \"${env:SLUICE_TEST_MAX_PRICE}\" }");
            Assert.Equal("too_dear", Check(rules, Event(price: 251)));
            Assert.Null(Check(rules, Event(price: 250)));
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLUICE_TEST_MAX_PRICE", null);
        }
    }

    [Fact]
    public void the_e_commerce_file_lists_the_built_in_enrichment_words()
    {
        var words = DomainDefinition.Ecommerce.Enrichment;
        Assert.Equal(BotDetector.DefaultSignatures, words.BotSignatures);
        Assert.Equal(["mobile", "tablet"], words.MobileDeviceTypes);
        Assert.Equal(["mobi", "iphone", "ipad", "android"], words.MobileUserAgents);
    }

    [Fact]
    public void a_shop_s_own_bot_signatures_and_mobile_words_reach_the_topology()
    {
        var text = EcommerceDomain.Text[..EcommerceDomain.Text.IndexOf("enrichment:", StringComparison.Ordinal)] + """
            enrichment:
              botSignatures: [uptimemonitor]
              mobileUserAgents: [kindle]
            """;
        using var d = Driver(new ClickstreamOptions { Domain = EcommerceDomain.Parse(text) });
        d.Pipe(Event(userAgent: "UptimeMonitor/2.0", session: "s1"));
        d.Pipe(Event(userAgent: "Googlebot/2.1", session: "s2") with { DeviceType = null });
        d.Pipe(Event(userAgent: "Mozilla/5.0 (Linux; Kindle Fire)", session: "s3") with { DeviceType = null });
        Assert.Single(d.Output<ClickEvent>("clickstream.bots"));
        var enriched = d.Output<EnrichedEvent>("clickstream.enriched");
        // Googlebot is no bot by this shop's list; a Kindle is mobile by its words, and an iPhone word would not be.
        Assert.Equal([false, true], enriched.Select(e => e.IsMobile));
    }

    [Fact]
    public void an_unknown_enrichment_list_names_its_key_file_and_line()
    {
        var ex = Assert.Throws<ConfigurationException>(() => EcommerceDomain.Parse("enrichment:\n  botWords: [x]"));
        Assert.Equal("enrichment.botWords", ex.Key);
        Assert.EndsWith("(test.yaml, line 2)", ex.Message, StringComparison.Ordinal);
    }
}
