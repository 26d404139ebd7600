namespace Sluice.Pipelines.Domains;

/// <summary>One rule as a domain file writes it, parsed but not yet compiled against a record type.</summary>
/// <remarks>A rule names a <see cref="Field"/>, an optional <see cref="When"/>, and exactly one check: required, absent, a range
/// (<see cref="Min"/>/<see cref="Max"/>), <see cref="In"/>, a length, a <see cref="Pattern"/>, a <see cref="Format"/>, or a time
/// bound (<see cref="MaxFutureSkew"/>, <see cref="MaxAge"/>).</remarks>
public sealed record RuleSpec(int Index, int Line, string Code, string Field)
{
    public IReadOnlyList<ConditionSpec> When { get; init; } = [];
    public bool Required { get; init; }
    public bool Absent { get; init; }
    public BoundSpec? Min { get; init; }
    public BoundSpec? Max { get; init; }
    public IReadOnlyList<string>? In { get; init; }
    public int? MinLength { get; init; }
    public int? MaxLength { get; init; }
    public string? Pattern { get; init; }
    public string? Format { get; init; }
    public TimeSpan? MaxFutureSkew { get; init; }
    public TimeSpan? MaxAge { get; init; }

    /// <summary>The rule's key in errors: <c>rules[3]</c>.</summary>
    public string Key => $"rules[{Index}]";
}

/// <summary>A range limit: a constant, or the value of another field of the same record.</summary>
/// <param name="Value">The constant as a whole number, when <see cref="IsWhole"/>.</param>
public sealed record BoundSpec(long Value, string? Field)
{
    /// <summary>The constant as written, whole or not: what a range on a double field compares with.</summary>
    public double Real { get; init; } = Value;

    /// <summary>False for a constant with a fraction (<c>-40.5</c>), which only a double field can take.</summary>
    public bool IsWhole { get; init; } = true;
}

/// <summary>A clause of a rule's <c>when</c>: the field is one of <see cref="Values"/>, or (no values) absent or present.</summary>
public sealed record ConditionSpec(string Field, IReadOnlyList<string>? Values, bool Present);
