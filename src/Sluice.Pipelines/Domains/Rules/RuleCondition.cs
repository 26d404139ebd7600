namespace Sluice.Pipelines.Domains.Rules;

/// <summary>The <c>when</c> of a rule: every clause must hold (a text field in a list of values, or a field absent or present).</summary>
public sealed class RuleCondition<T>
{
    private readonly Clause[] _clauses;

    internal RuleCondition(IReadOnlyList<Clause> clauses)
    {
        _clauses = [.. clauses];
        Text = string.Join(" and ", clauses.Select(c => c.Text));
    }

    /// <summary>In words: "event_type is purchase and product_id is absent".</summary>
    public string Text { get; }

    public bool Holds(T record)
    {
        foreach (var clause in _clauses)
            if (!clause.Holds(record)) return false;
        return true;
    }

    internal abstract class Clause(string text)
    {
        public string Text { get; } = text;

        public abstract bool Holds(T record);
    }

    /// <summary>A text field equal (ordinal) to one of a few values.</summary>
    internal sealed class OneOf(RecordField<T> field, string[] values)
        : Clause(values.Length == 1 ? $"{field.Name} is {values[0]}" : $"{field.Name} is one of {string.Join(", ", values)}")
    {
        private readonly Func<T, string?> _get = field.Text!;

        public override bool Holds(T record)
        {
            var value = _get(record);
            if (value is null) return false;
            foreach (var v in values)
                if (string.Equals(v, value, StringComparison.Ordinal)) return true;
            return false;
        }
    }

    /// <summary>A field absent (null; blank for text) or, with <c>present</c>, there.</summary>
    internal sealed class Presence(RecordField<T> field, bool present)
        : Clause($"{field.Name} is {(present ? "present" : "absent")}")
    {
        public override bool Holds(T record) => RequiredRule<T>.IsPresent(field, record) == present;
    }
}
