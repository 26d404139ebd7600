using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Topology;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The e-commerce file's own <c>aggregates</c>, compiled over the enriched event: windows the clickstream computes
/// beside its built-in ones, written to the aggregated topic as rows like theirs.</summary>
/// <remarks>
/// They run after the late gate, which sends an event whose 1-minute window has closed to the late output once; so
/// their windows are tumbling or hopping in whole minutes (every such window that holds an on-time event is still
/// open), and sessions are the built-in sessions window's (<c>processor.sessionGap</c>). A name of the built-in
/// aggregates is refused, as rows of two aggregates would mix.
/// </remarks>
public static class FileAggregates
{
    private static readonly string[] BuiltIn =
        [AggregateNames.Events1m, AggregateNames.Commerce5m, AggregateNames.ActiveUsers5m, AggregateNames.Products1h, AggregateNames.Sessions];

    /// <summary>The aggregates of <paramref name="domain"/>; an error names the file, the line and the key.</summary>
    public static IReadOnlyList<CompiledAggregate<EnrichedEvent>> Compile(DomainDefinition domain, TimeSpan allowedLateness)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (domain.Aggregates.Count == 0) return [];
        var fields = EnrichedEventFields.For(domain, allowedLateness);
        var compiled = new List<CompiledAggregate<EnrichedEvent>>();
        foreach (var spec in domain.Aggregates)
        {
            if (BuiltIn.Contains(spec.Name))
                Fail(domain.Source, spec.Line, $"{spec.Key}.name", $"'{spec.Name}' is a built-in aggregate of the clickstream; give yours a name of its own");
            if (spec.Window.Kind == WindowKind.Session)
                Fail(domain.Source, spec.Line, $"{spec.Key}.window",
                    "the clickstream's sessions are its built-in sessions window (processor.sessionGap); an aggregate of the e-commerce file is tumbling or hopping");
            if (!WholeMinutes(spec.Window.Size) || !WholeMinutes(spec.Window.Advance))
                Fail(domain.Source, spec.Line, $"{spec.Key}.window",
                    "the clickstream decides lateness by 1-minute windows, so its windows last and advance by whole minutes (1m, 15m, 1h, ...)");
            compiled.Add(new CompiledAggregate<EnrichedEvent>(spec, fields));
        }
        return compiled;
    }

    private static bool WholeMinutes(TimeSpan span) => span >= TimeSpan.FromMinutes(1) && span.Ticks % TimeSpan.TicksPerMinute == 0;
}
