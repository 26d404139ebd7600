using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Pipelines.Domains.Rules;

// The kinds of check a rule can make. Absent values pass every check but required (a range says nothing about a
// price that is not there), so presence and value are separate rules with separate reason codes.

/// <summary><c>required: true</c>: the field is there (text: not blank).</summary>
public sealed class RequiredRule<T>(string code, RecordField<T> field, RuleCondition<T>? when) : Rule<T>(code, field, when)
{
    public override string Requirement => "required";

    public override string Describe(T record, long nowMs, long ingestMs) => $"{Field.Name} is required{WhenText} but is missing";

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => !IsPresent(Field, record);

    internal static bool IsPresent(RecordField<T> field, T record) =>
        field.Text is { } text ? !string.IsNullOrWhiteSpace(text(record))
        : field.Number is { } number ? number(record).HasValue
        : field.Real!(record).HasValue;
}

/// <summary><c>absent: true</c>: the field is not there (text: null or blank).</summary>
public sealed class AbsentRule<T>(string code, RecordField<T> field, RuleCondition<T>? when) : Rule<T>(code, field, when)
{
    public override string Requirement => "absent";

    public override string Describe(T record, long nowMs, long ingestMs) =>
        $"{Field.Name} must be absent{WhenText} but is {(Field.Text is { } t ? Quote(t(record)!) : Field.Number is { } n ? n(record)!.Value.ToString(CultureInfo.InvariantCulture) : Field.Real!(record)!.Value.ToString(CultureInfo.InvariantCulture))}";

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => RequiredRule<T>.IsPresent(Field, record);
}

/// <summary><c>min</c> and/or <c>max</c> of a number, each a constant or another field of the record (a cross-field check).</summary>
public sealed class RangeRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, RangeRule<T>.Bound? min, RangeRule<T>.Bound? max)
    : Rule<T>(code, field, when)
{
    private readonly Func<T, long?> _get = field.Number!;

    /// <summary>The lower limit; null: none.</summary>
    public Bound? Min => min;

    /// <summary>The upper limit; null: none.</summary>
    public Bound? Max => max;

    /// <summary>A limit: <see cref="Value"/>, or the value of <see cref="Other"/> when set (no limit when that field is absent).</summary>
    public sealed record Bound(long Value, RecordField<T>? Other)
    {
        public long? Of(T record) => Other is null ? Value : Other.Number!(record);

        public override string ToString() => Other?.Name ?? Value.ToString(CultureInfo.InvariantCulture);
    }

    public override string Requirement => (min, max) switch
    {
        ({ } lo, { } hi) => $"between {lo} and {hi}",
        ({ } lo, null) => $"at least {lo}",
        (null, { } hi) => $"at most {hi}",
        _ => "any",
    };

    public override string Describe(T record, long nowMs, long ingestMs)
    {
        var value = _get(record)!.Value.ToString(CultureInfo.InvariantCulture);
        if (min?.Of(record) is { } lo && _get(record) < lo) return $"{Field.Name} {value} is below the minimum {Limit(min, lo)}{WhenText}";
        return $"{Field.Name} {value} is above the maximum {Limit(max!, max!.Of(record)!.Value)}{WhenText}";
    }

    protected override bool IsBroken(T record, long nowMs, long ingestMs)
    {
        if (_get(record) is not { } value) return false;
        if (min is not null && min.Of(record) is { } lo && value < lo) return true;
        return max is not null && max.Of(record) is { } hi && value > hi;
    }

    private static string Limit(Bound bound, long value) =>
        bound.Other is null ? value.ToString(CultureInfo.InvariantCulture) : $"{bound.Other.Name} ({value.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary><c>min</c> and/or <c>max</c> of a <see cref="FieldType.Double"/>, each a constant or another number field of the record.</summary>
/// <remarks>NaN never reaches a rule (JSON has no NaN, and the decoder refuses what does not fit a double).</remarks>
public sealed class RealRangeRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, RealRangeRule<T>.Bound? min, RealRangeRule<T>.Bound? max)
    : Rule<T>(code, field, when)
{
    private readonly Func<T, double?> _get = field.Real!;

    /// <summary>The lower limit; null: none.</summary>
    public Bound? Min => min;

    /// <summary>The upper limit; null: none.</summary>
    public Bound? Max => max;

    /// <summary>A limit: <see cref="Value"/>, or the value of <see cref="Other"/> (a whole-number or double field) when set.</summary>
    public sealed record Bound(double Value, RecordField<T>? Other)
    {
        public double? Of(T record) => Other is null ? Value : Other.Real is { } real ? real(record) : Other.Number!(record);

        public override string ToString() => Other?.Name ?? Value.ToString(CultureInfo.InvariantCulture);
    }

    public override string Requirement => (min, max) switch
    {
        ({ } lo, { } hi) => $"between {lo} and {hi}",
        ({ } lo, null) => $"at least {lo}",
        (null, { } hi) => $"at most {hi}",
        _ => "any",
    };

    public override string Describe(T record, long nowMs, long ingestMs)
    {
        var value = _get(record)!.Value;
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (min?.Of(record) is { } lo && value < lo) return $"{Field.Name} {text} is below the minimum {Limit(min, lo)}{WhenText}";
        return $"{Field.Name} {text} is above the maximum {Limit(max!, max!.Of(record)!.Value)}{WhenText}";
    }

    protected override bool IsBroken(T record, long nowMs, long ingestMs)
    {
        if (_get(record) is not { } value) return false;
        if (min is not null && min.Of(record) is { } lo && value < lo) return true;
        return max is not null && max.Of(record) is { } hi && value > hi;
    }

    private static string Limit(Bound bound, double value) =>
        bound.Other is null ? value.ToString(CultureInfo.InvariantCulture) : $"{bound.Other.Name} ({value.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary><c>in: [...]</c>: the text is one of the listed values (ordinal comparison).</summary>
public sealed class OneOfRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, IReadOnlyCollection<string> values) : Rule<T>(code, field, when)
{
    private readonly Func<T, string?> _get = field.Text!;
    private readonly HashSet<string> _values = new(values, StringComparer.Ordinal);

    public override string Requirement => $"one of {string.Join(", ", values)}";

    public override string Describe(T record, long nowMs, long ingestMs) => $"{Field.Name} {Quote(_get(record)!)} is not one of {string.Join(", ", values)}{WhenText}";

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => _get(record) is { } value && !_values.Contains(value);
}

/// <summary><c>minLength</c> and/or <c>maxLength</c> of a text, in UTF-16 code units as .NET counts them.</summary>
public sealed class LengthRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, int? min, int? max) : Rule<T>(code, field, when)
{
    private readonly Func<T, string?> _get = field.Text!;
    private readonly int _min = min ?? 0, _max = max ?? int.MaxValue;

    public override string Requirement => (min, max) switch
    {
        ({ } lo, { } hi) => $"{lo} to {hi} characters",
        ({ } lo, null) => $"at least {lo} characters",
        _ => $"at most {max} characters",
    };

    public override string Describe(T record, long nowMs, long ingestMs)
    {
        var value = _get(record)!;
        return $"{Field.Name} is {value.Length} characters long; it must be {Requirement}{WhenText}";
    }

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => _get(record) is { } value && (value.Length < _min || value.Length > _max);
}

/// <summary><c>pattern</c>: the text matches a .NET regular expression, run by the non-backtracking engine so that no pattern or input can take unbounded time.</summary>
public sealed class PatternRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, Regex pattern) : Rule<T>(code, field, when)
{
    private readonly Func<T, string?> _get = field.Text!;

    public override string Requirement => $"matches {pattern}";

    public override string Describe(T record, long nowMs, long ingestMs) => $"{Field.Name} {Quote(_get(record)!)} does not match {pattern}{WhenText}";

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => _get(record) is { } value && !pattern.IsMatch(value);
}

/// <summary><c>format</c>: the text is in a named, built-in format (<see cref="TextFormats"/>).</summary>
public sealed class FormatRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, TextFormat format) : Rule<T>(code, field, when)
{
    private readonly Func<T, string?> _get = field.Text!;

    public override string Requirement => $"format {format.Name}";

    public override string Describe(T record, long nowMs, long ingestMs) => $"{Field.Name} {Quote(_get(record)!)} is not {format.Description}{WhenText}";

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => _get(record) is { } value && !format.Matches(value);
}

/// <summary><c>maxFutureSkew</c>: a time at most this far ahead of processing time (device clocks run fast; not years).</summary>
public sealed class FutureBoundRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, TimeSpan skew) : Rule<T>(code, field, when)
{
    private readonly Func<T, long?> _get = field.Number!;
    private readonly long _skewMs = (long)skew.TotalMilliseconds;

    public override string Requirement => $"at most {skew:c} ahead of processing time";

    public override string Describe(T record, long nowMs, long ingestMs)
    {
        var value = _get(record)!.Value;
        return $"{Field.Name} {value} is {value - nowMs} ms ahead of processing time {nowMs}; at most {_skewMs} ms allowed{WhenText}";
    }

    protected override bool IsBroken(T record, long nowMs, long ingestMs) => _get(record) is { } value && value - _skewMs > nowMs;
}

/// <summary>
/// <c>maxAge</c>: a time at most this far before the record entered the log (its Kafka timestamp). Measured against the
/// log, not the processor's clock, so that a replay or a verification days later decides exactly as the first run did.
/// </summary>
public sealed class AgeBoundRule<T>(string code, RecordField<T> field, RuleCondition<T>? when, TimeSpan age) : Rule<T>(code, field, when)
{
    private readonly Func<T, long?> _get = field.Number!;
    private readonly long _ageMs = (long)age.TotalMilliseconds;

    public override string Requirement => $"at most {age:c} before the record entered the log";

    public override string Describe(T record, long nowMs, long ingestMs)
    {
        var value = _get(record)!.Value;
        return $"{Field.Name} {value} is {TimeSpan.FromMilliseconds(ingestMs - value):c} older than the record's log time {ingestMs}; at most {age:c} allowed{WhenText}";
    }

    // A record with no log time (0 or below: not from Kafka) cannot be judged old.
    protected override bool IsBroken(T record, long nowMs, long ingestMs) => ingestMs > 0 && _get(record) is { } value && ingestMs - value > _ageMs;
}
