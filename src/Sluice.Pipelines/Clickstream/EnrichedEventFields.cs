using System.Globalization;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Pipelines.Domains.Topology;

namespace Sluice.Pipelines.Clickstream;

/// <summary>The fields of <see cref="EnrichedEvent"/> by name: what the e-commerce file's own aggregates may read.</summary>
/// <remarks>
/// The event's fields as its file declares them (roles included), read from the enriched event: <c>geo_country</c> and
/// <c>search_query</c> normalised, <c>user_id</c> absent when blank. Then the derived fields, whose roles are fixed:
/// <c>revenue_cents</c> (metric: price × quantity of a purchase, else 0), <c>ingest_lag_ms</c> (metric),
/// <c>event_hour</c> (dimension, 0–23 UTC), <c>event_date</c> (dimension, yyyy-MM-dd UTC) and <c>is_mobile</c>
/// (dimension, <c>true</c> or <c>false</c>).
/// </remarks>
public static class EnrichedEventFields
{
    private static readonly IReadOnlyList<(RecordField<EnrichedEvent> Field, FieldRole Role)> Derived =
    [
        (RecordField<EnrichedEvent>.OfNumber("revenue_cents", e => e.RevenueCents), FieldRole.Metric),
        (RecordField<EnrichedEvent>.OfNumber("ingest_lag_ms", e => e.IngestLagMs), FieldRole.Metric),
        (RecordField<EnrichedEvent>.OfNumber("event_hour", e => e.EventHour, FieldType.Int), FieldRole.Dimension),
        (RecordField<EnrichedEvent>.OfText("event_date", e => e.EventDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), FieldRole.Dimension),
        (RecordField<EnrichedEvent>.OfEnum("is_mobile", e => e.IsMobile ? "true" : "false", ["true", "false"]), FieldRole.Dimension),
    ];

    /// <summary>The names of the derived fields.</summary>
    public static IReadOnlyList<string> DerivedNames { get; } = [.. Derived.Select(d => d.Field.Name)];

    /// <summary>The fields for <paramref name="domain"/>'s aggregates, windows open <paramref name="allowedLateness"/> past their end.</summary>
    public static AggregateFields<EnrichedEvent> For(DomainDefinition domain, TimeSpan allowedLateness)
    {
        ArgumentNullException.ThrowIfNull(domain);
        // A file that declares no fields keeps the built-in file's roles.
        var declared = (domain.Fields.Count > 0 ? domain.Fields : DomainDefinition.Ecommerce.Fields).ToDictionary(f => f.Name, f => f.Role, StringComparer.Ordinal);
        var fields = new List<RecordField<EnrichedEvent>>();
        var roles = new List<FieldRole>();
        foreach (var f in ClickEventFields.All)
        {
            fields.Add(f.Name switch
            {
                "geo_country" => RecordField<EnrichedEvent>.OfText(f.Name, e => e.Country),
                "search_query" => RecordField<EnrichedEvent>.OfText(f.Name, e => e.SearchQuery),
                _ => Over(f),
            });
            roles.Add(declared.GetValueOrDefault(f.Name, FieldRole.Attribute));
        }
        foreach (var (field, role) in Derived)
        {
            fields.Add(field);
            roles.Add(role);
        }
        return new AggregateFields<EnrichedEvent>(domain, fields, roles, KeyIndex: -1, allowedLateness);
    }

    // A field of the event, read through the enriched event that carries it.
    private static RecordField<EnrichedEvent> Over(RecordField<Core.Events.ClickEvent> f) => f.Type switch
    {
        FieldType.Enum => RecordField<EnrichedEvent>.OfEnum(f.Name, e => f.Text!(e.Event), f.Values),
        FieldType.String => RecordField<EnrichedEvent>.OfText(f.Name, e => f.Text!(e.Event)),
        _ => RecordField<EnrichedEvent>.OfNumber(f.Name, e => f.Number!(e.Event), f.Type),
    };
}
