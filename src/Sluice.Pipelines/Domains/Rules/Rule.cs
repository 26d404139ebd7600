namespace Sluice.Pipelines.Domains.Rules;

/// <summary>One compiled validation rule: a condition on the record, a check of one field, and the reason code it breaks with.</summary>
/// <remarks>
/// Compiled once at start from a domain file's rule (<see cref="RuleCompiler"/>); <see cref="Breaks"/> runs on every
/// record and allocates nothing, <see cref="Describe"/> only for a record that broke the rule.
/// </remarks>
public abstract class Rule<T>(string code, RecordField<T> field, RuleCondition<T>? when)
{
    /// <summary>The reason code a dead letter carries when this rule is the first one broken.</summary>
    public string Code { get; } = code;

    /// <summary>The field checked.</summary>
    public RecordField<T> Field { get; } = field;

    /// <summary>When the rule applies; null: always.</summary>
    public RuleCondition<T>? When { get; } = when;

    /// <summary>What the field must satisfy, in words (for <c>domain check</c> and errors).</summary>
    public abstract string Requirement { get; }

    /// <summary>True when the rule applies to <paramref name="record"/> and the record breaks it.</summary>
    /// <param name="nowMs">Processing time, epoch milliseconds.</param>
    /// <param name="ingestMs">When the record entered the log (its Kafka timestamp); 0 when unknown.</param>
    public bool Breaks(T record, long nowMs, long ingestMs) => (When is null || When.Holds(record)) && IsBroken(record, nowMs, ingestMs);

    /// <summary>The dead letter's detail: the value found and what was required.</summary>
    public abstract string Describe(T record, long nowMs, long ingestMs);

    protected abstract bool IsBroken(T record, long nowMs, long ingestMs);

    /// <summary>" when event_type is purchase", or empty.</summary>
    protected string WhenText => When is null ? "" : " when " + When.Text;

    /// <summary>A value quoted for a detail, shortened past 64 characters.</summary>
    protected static string Quote(string value) => value.Length > 64 ? $"'{value[..64]}…'" : $"'{value}'";
}
