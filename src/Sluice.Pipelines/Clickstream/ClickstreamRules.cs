using Sluice.Core.Events;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;

namespace Sluice.Pipelines.Clickstream;

/// <summary>A domain file's rules compiled for <see cref="ClickEvent"/>, with what the clickstream topology itself needs of them.</summary>
public static class ClickstreamRules
{
    /// <summary>The compiled rules; throws a configuration error naming the file, line and key when they do not fit the event or the topology.</summary>
    public static RuleSet<ClickEvent> Compile(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var rules = RuleCompiler.Compile(domain, ClickEventFields.All);
        if (domain.Fields.Count > 0) CheckWireLayout(domain);
        // revenue_cents is price x quantity: with any int quantity it must fit in 64 bits, never wrap around. So a price
        // must be bounded, by a rule that always applies.
        var max = rules.Rules.OfType<RangeRule<ClickEvent>>()
            .Where(r => r.When is null && r.Field.Name == "price_cents" && r.Max is { Other: null })
            .Select(r => (long?)r.Max!.Value).Min();
        if (max is null || max > ClickstreamOptions.MaxPriceCentsLimit)
        {
            var where = domain.Rules.FirstOrDefault(r => r.Field == "price_cents" && r.Max is not null);
            throw new Core.Errors.ConfigurationException(where?.Key + ".max" ?? "rules",
                $"{(max is null ? "no rule bounds price_cents" : $"price_cents may reach {max}")}: revenue is price x quantity and must fit in 64 bits; "
                + $"keep a rule {{ code: price_above_maximum, field: price_cents, max: N }} without a when, N at most {ClickstreamOptions.MaxPriceCentsLimit} ({domain.Source}{(where is null ? "" : $", line {where.Line}")})");
        }
        return rules;
    }

    // The event is a type fixed in code, read and written in the layout of schema version 3: a file that declares fields
    // must generate that layout (names, order, types, nullability; docs, aliases and defaults are the file's to choose).
    private static void CheckWireLayout(DomainDefinition domain)
    {
        var generated = (RecordSchema)DomainAvroSchema.Generate(domain);
        if (generated.ToCanonicalJson() == EventSchemas.V3.ToCanonicalJson()) return;
        var v3 = ((RecordSchema)EventSchemas.V3).Fields;
        for (var i = 0; i < Math.Max(v3.Count, generated.Fields.Count); i++)
        {
            var expected = i < v3.Count ? v3[i] : null;
            var declared = i < domain.Fields.Count ? domain.Fields[i] : null;
            var actual = i < generated.Fields.Count ? generated.Fields[i] : null;
            if (expected is not null && actual is not null && expected.Name == actual.Name
                && expected.Schema.ToCanonicalJson() == actual.Schema.ToCanonicalJson()) continue;
            var key = declared is null ? "fields" : $"fields.{declared.Name}";
            throw new Core.Errors.ConfigurationException(key,
                $"the e-commerce event is a type fixed in code, field {i + 1} of its schema is {Describe(expected)}, the file makes it {Describe(actual)}; "
                + $"declare the event's {v3.Count} fields in its order ({domain.Source}{(declared is null ? "" : $", line {declared.Line}")})");
        }

        static string Describe(AvroField? f) => f is null ? "nothing" : $"{f.Name} {f.Schema.ToCanonicalJson()}";
    }

    /// <summary>How far ahead of processing time an event time may be: the domain's unconditional maxFutureSkew rule on timestamp, or zero without one.</summary>
    public static TimeSpan MaxFutureSkew(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return domain.Rules.FirstOrDefault(r => r.Field == "timestamp" && r.When.Count == 0 && r.MaxFutureSkew is not null)?.MaxFutureSkew ?? TimeSpan.Zero;
    }
}
