using System.Text.RegularExpressions;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains.Rules;

/// <summary>Compiles a domain's rules against the fields of a record type, once, into a <see cref="RuleSet{T}"/>.</summary>
/// <remarks>
/// Every reference is resolved here, not per record: a rule on a field the record does not have, a range on text, a
/// length on a number or a time bound on something that is not a timestamp is an error naming the file, line and key.
/// </remarks>
public static class RuleCompiler
{
    /// <summary>The compiled rules of <paramref name="domain"/> over records whose fields are <paramref name="fields"/>.</summary>
    public static RuleSet<T> Compile<T>(DomainDefinition domain, IReadOnlyList<RecordField<T>> fields)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(fields);
        var byName = fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        CheckDeclaredFields(domain, byName);
        return new RuleSet<T>([.. domain.Rules.Select(spec => Compile(spec, domain, byName))]);
    }

    // A record type fixed in code (the e-commerce event) must be what the file says it is, so the file stays a true
    // description of the data; a file that declares no fields leaves the record type as the description.
    private static void CheckDeclaredFields<T>(DomainDefinition domain, Dictionary<string, RecordField<T>> byName)
    {
        foreach (var declared in domain.Fields)
        {
            if (!byName.TryGetValue(declared.Name, out var actual))
                Fail(domain.Source, declared.Line, $"fields.{declared.Name}", $"the {domain.Name} event has no such field; it has {string.Join(", ", byName.Keys)}");
            if (!SameType(declared.Type, actual.Type))
                Fail(domain.Source, declared.Line, $"fields.{declared.Name}.type",
                    $"is {FieldSpec.NameOf(declared.Type)} but the {domain.Name} event's field is {FieldSpec.NameOf(actual.Type)}");
            if (actual.Values.Count > 0 && !declared.Values.SequenceEqual(actual.Values))
                Fail(domain.Source, declared.Line, $"fields.{declared.Name}.values",
                    $"are {string.Join(", ", declared.Values)} but the {domain.Name} event's are {string.Join(", ", actual.Values)}");
        }
    }

    private static bool SameType(FieldType declared, FieldType actual) => declared == actual;

    private static Rule<T> Compile<T>(RuleSpec spec, DomainDefinition domain, Dictionary<string, RecordField<T>> byName)
    {
        var field = Field(spec.Field, spec, $"{spec.Key}.field", domain, byName);
        var when = spec.When.Count == 0 ? null : new RuleCondition<T>([.. spec.When.Select(c => Clause(c, spec, domain, byName))]);
        var code = spec.Code;

        if (spec.Required) return new RequiredRule<T>(code, field, when);
        if (spec.Absent) return new AbsentRule<T>(code, field, when);
        if (spec.Min is not null || spec.Max is not null)
        {
            Need(field.IsNumber, spec, domain, "min/max compare numbers and timestamps", field);
            if (field.Real is not null)
                return new RealRangeRule<T>(code, field, when, RealBound(spec.Min, spec, "min", domain, byName), RealBound(spec.Max, spec, "max", domain, byName));
            return new RangeRule<T>(code, field, when, Bound(spec.Min, spec, "min", domain, byName, field), Bound(spec.Max, spec, "max", domain, byName, field));
        }
        if (spec.In is { } values)
        {
            Need(!field.IsNumber, spec, domain, "in lists text values", field);
            return new OneOfRule<T>(code, field, when, values);
        }
        if (spec.MinLength is not null || spec.MaxLength is not null)
        {
            Need(!field.IsNumber, spec, domain, "minLength/maxLength measure text", field);
            return new LengthRule<T>(code, field, when, spec.MinLength, spec.MaxLength);
        }
        if (spec.Pattern is { } pattern)
        {
            Need(!field.IsNumber, spec, domain, "a pattern matches text", field);
            return new PatternRule<T>(code, field, when, new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
        }
        if (spec.Format is { } format)
        {
            Need(!field.IsNumber, spec, domain, "a format describes text", field);
            return new FormatRule<T>(code, field, when, TextFormats.All[format]);
        }
        if (spec.MaxFutureSkew is { } skew)
        {
            Need(field.Type == FieldType.Timestamp, spec, domain, "maxFutureSkew bounds a timestamp", field);
            return new FutureBoundRule<T>(code, field, when, skew);
        }
        Need(field.Type == FieldType.Timestamp, spec, domain, "maxAge bounds a timestamp", field);
        return new AgeBoundRule<T>(code, field, when, spec.MaxAge!.Value);
    }

    private static RuleCondition<T>.Clause Clause<T>(ConditionSpec c, RuleSpec spec, DomainDefinition domain, Dictionary<string, RecordField<T>> byName)
    {
        var key = $"{spec.Key}.when.{c.Field}";
        var field = Field(c.Field, spec, key, domain, byName);
        if (c.Values is null) return new RuleCondition<T>.Presence(field, c.Present);
        if (field.IsNumber) Fail(domain.Source, spec.Line, key, $"{field.Name} is a number; a when lists text values, or says absent or present");
        var allowed = field.Values.Count > 0 ? field.Values : domain.Fields.FirstOrDefault(f => f.Name == field.Name)?.Values ?? [];
        foreach (var v in c.Values)
            if (allowed.Count > 0 && !allowed.Contains(v))
                Fail(domain.Source, spec.Line, key, $"'{v}' is not a value of {field.Name}; it has {string.Join(", ", allowed)}");
        return new RuleCondition<T>.OneOf(field, [.. c.Values]);
    }

    private static RangeRule<T>.Bound? Bound<T>(BoundSpec? bound, RuleSpec spec, string name, DomainDefinition domain, Dictionary<string, RecordField<T>> byName,
        RecordField<T> field)
    {
        if (bound is null) return null;
        if (bound.Field is null)
        {
            if (!bound.IsWhole)
                Fail(domain.Source, spec.Line, $"{spec.Key}.{name}", $"{bound.Real.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a whole number, and {field.Name} is {FieldSpec.NameOf(field.Type)}");
            return new RangeRule<T>.Bound(bound.Value, null);
        }
        var other = Field(bound.Field, spec, $"{spec.Key}.{name}.field", domain, byName);
        if (!other.IsNumber) Fail(domain.Source, spec.Line, $"{spec.Key}.{name}.field", $"{other.Name} is text; a range compares with a number or timestamp field");
        if (other.Number is null)
            Fail(domain.Source, spec.Line, $"{spec.Key}.{name}.field", $"{other.Name} is a double; a whole-number field compares with a whole-number or timestamp field");
        return new RangeRule<T>.Bound(0, other);
    }

    private static RealRangeRule<T>.Bound? RealBound<T>(BoundSpec? bound, RuleSpec spec, string name, DomainDefinition domain, Dictionary<string, RecordField<T>> byName)
    {
        if (bound is null) return null;
        if (bound.Field is null) return new RealRangeRule<T>.Bound(bound.Real, null);
        var other = Field(bound.Field, spec, $"{spec.Key}.{name}.field", domain, byName);
        if (!other.IsNumber) Fail(domain.Source, spec.Line, $"{spec.Key}.{name}.field", $"{other.Name} is text; a range compares with a number or timestamp field");
        return new RealRangeRule<T>.Bound(0, other);
    }

    private static RecordField<T> Field<T>(string name, RuleSpec spec, string key, DomainDefinition domain, Dictionary<string, RecordField<T>> byName)
    {
        if (byName.TryGetValue(name, out var field)) return field;
        Fail(domain.Source, spec.Line, key, $"'{name}' is not a field of the {domain.Name} event; it has {string.Join(", ", byName.Keys)}");
        return null!;
    }

    private static void Need<T>(bool ok, RuleSpec spec, DomainDefinition domain, string what, RecordField<T> field)
    {
        if (!ok) Fail(domain.Source, spec.Line, spec.Key, $"{what}, and {field.Name} is {FieldSpec.NameOf(field.Type)}");
    }
}
