using Sluice.Core.Events;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;

namespace Sluice.Pipelines.Clickstream;

/// <summary>A domain file's rules compiled for <see cref="ClickEvent"/>, with what the clickstream topology itself needs of them.</summary>
public static class ClickstreamRules
{
    /// <summary>The compiled rules; throws a configuration error naming the file, line and key when they do not fit the event or the topology.</summary>
    public static RuleSet<ClickEvent> Compile(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var rules = RuleCompiler.Compile(domain, ClickEventFields.All);
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

    /// <summary>How far ahead of processing time an event time may be: the domain's unconditional maxFutureSkew rule on timestamp, or zero without one.</summary>
    public static TimeSpan MaxFutureSkew(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return domain.Rules.FirstOrDefault(r => r.Field == "timestamp" && r.When.Count == 0 && r.MaxFutureSkew is not null)?.MaxFutureSkew ?? TimeSpan.Zero;
    }
}
