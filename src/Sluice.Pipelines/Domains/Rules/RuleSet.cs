namespace Sluice.Pipelines.Domains.Rules;

/// <summary>A domain's validation rules in file order: the first rule broken gives the dead letter its reason code.</summary>
/// <remarks>
/// File order is the contract, so a reason is stable: list a value that is wrong in itself (a negative price) before a
/// value that is only out of place (a price on a search), and the first is reported when both hold.
/// </remarks>
public sealed class RuleSet<T>(IReadOnlyList<Rule<T>> rules)
{
    private readonly Rule<T>[] _rules = [.. rules];

    public IReadOnlyList<Rule<T>> Rules => _rules;

    /// <summary>Null when <paramref name="record"/> breaks no rule; otherwise the first broken rule's code, with <paramref name="detail"/> saying what is wrong.</summary>
    /// <param name="nowMs">Processing time, epoch milliseconds.</param>
    /// <param name="ingestMs">When the record entered the log (its Kafka timestamp); 0 when unknown.</param>
    public string? Validate(T record, long nowMs, long ingestMs, out string detail)
    {
        foreach (var rule in _rules)
        {
            if (rule.Breaks(record, nowMs, ingestMs))
            {
                detail = rule.Describe(record, nowMs, ingestMs);
                return rule.Code;
            }
        }
        detail = "";
        return null;
    }
}
