using System.Globalization;
using Sluice.Pipelines.Domains.Rules;

namespace Sluice.Pipelines.Domains.Topology;

/// <summary>What a file's aggregates may read of records of type <typeparamref name="T"/>: each field's accessor and role,
/// the record key, and the allowed lateness of the windows.</summary>
/// <remarks>The one description both kinds of topology compile aggregates against: a file-described domain's
/// <see cref="DomainRecord"/> (<see cref="DomainSchema.AggregateFields"/>) and the e-commerce enriched event
/// (<see cref="Clickstream.EnrichedEventFields"/>).</remarks>
/// <param name="Domain">The file the aggregates come from, for errors.</param>
/// <param name="Fields">The fields by name, with their accessors.</param>
/// <param name="Roles">Each field's role, by the same index.</param>
/// <param name="KeyIndex">The record key's field, or -1.</param>
/// <param name="AllowedLateness">How long windows stay open past their end.</param>
public sealed record AggregateFields<T>(
    DomainDefinition Domain, IReadOnlyList<RecordField<T>> Fields, IReadOnlyList<FieldRole> Roles, int KeyIndex, TimeSpan AllowedLateness)
{
    /// <summary>The index of field <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name)
    {
        for (var i = 0; i < Fields.Count; i++)
            if (Fields[i].Name == name) return i;
        return -1;
    }

    /// <summary>The field's value as text, whatever its type (null when absent): a group key's or a distinct count's part.</summary>
    public Func<T, string?> TextOf(int index)
    {
        var f = Fields[index];
        if (f.Text is { } text) return text;
        if (f.Real is { } real) return r => real(r)?.ToString("R", CultureInfo.InvariantCulture);
        var number = f.Number!;
        return r => number(r)?.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The field's value as a double (null when absent or not a number): what a measure adds up or compares.</summary>
    public Func<T, double?> NumberOf(int index)
    {
        var f = Fields[index];
        if (f.Real is { } real) return real;
        if (f.Number is { } number) return r => number(r);
        return static _ => null;
    }
}
