namespace Sluice.Pipelines.Domains.Rules;

/// <summary>How rules read one field of a record of type <typeparamref name="T"/>: as text, a whole number or a double.</summary>
/// <remarks>
/// Rules compile against these accessors once, at start; reading a field is then one delegate call, with no lookup by
/// name and no boxing. A text field of an enum type returns its wire name.
/// </remarks>
public sealed class RecordField<T>
{
    private RecordField(string name, FieldType type, Func<T, string?>? text, Func<T, long?>? number, IReadOnlyList<string>? values = null,
        Func<T, double?>? real = null)
    {
        Values = values ?? [];
        Name = name;
        Type = type;
        Text = text;
        Number = number;
        Real = real;
    }

    public string Name { get; }

    public FieldType Type { get; }

    /// <summary>The value of a text or enum field; null when absent.</summary>
    public Func<T, string?>? Text { get; }

    /// <summary>The value of a whole-number or timestamp field; null when absent.</summary>
    public Func<T, long?>? Number { get; }

    /// <summary>The value of a <see cref="FieldType.Double"/> field; null when absent.</summary>
    public Func<T, double?>? Real { get; }

    /// <summary>True for <see cref="FieldType.Long"/>, <see cref="FieldType.Int"/>, <see cref="FieldType.Double"/> and <see cref="FieldType.Timestamp"/>.</summary>
    public bool IsNumber => Number is not null || Real is not null;

    /// <summary>The names an <see cref="FieldType.Enum"/> field can have; empty for other types.</summary>
    public IReadOnlyList<string> Values { get; }

    public static RecordField<T> OfText(string name, Func<T, string?> get, FieldType type = FieldType.String) => new(name, type, get, null);

    public static RecordField<T> OfEnum(string name, Func<T, string?> get, IReadOnlyList<string> values) => new(name, FieldType.Enum, get, null, values);

    public static RecordField<T> OfNumber(string name, Func<T, long?> get, FieldType type = FieldType.Long) => new(name, type, null, get);

    public static RecordField<T> OfReal(string name, Func<T, double?> get) => new(name, FieldType.Double, null, null, real: get);
}
