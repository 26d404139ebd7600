namespace Sluice.Pipelines.Domains;

/// <summary>One record of a domain that describes its own event: its fields' values by position, in typed slots.</summary>
/// <remarks>
/// A field's slot is fixed when the schema is compiled (<see cref="DomainSchema.SlotOf"/>): text and enum values in
/// <see cref="Text"/>, whole numbers and timestamps in <see cref="Whole"/>, doubles in <see cref="Real"/>. Rules,
/// keys and measures read slots through delegates compiled once, never a field by name. An enum value is the very
/// string the file declares, so equal values are one string. Immutable once decoded.
/// </remarks>
public sealed class DomainRecord
{
    private readonly string?[] _text;
    private readonly long?[] _whole;
    private readonly double?[] _real;

    internal DomainRecord(DomainSchema schema)
    {
        Schema = schema;
        _text = schema.TextSlots == 0 ? [] : new string?[schema.TextSlots];
        _whole = schema.WholeSlots == 0 ? [] : new long?[schema.WholeSlots];
        _real = schema.RealSlots == 0 ? [] : new double?[schema.RealSlots];
    }

    /// <summary>The schema the record was decoded with: its fields, names and slots.</summary>
    public DomainSchema Schema { get; }

    /// <summary>The partitioning key's value, as text.</summary>
    public string Key { get; internal set; } = "";

    /// <summary>Event time, epoch milliseconds UTC (the time field is required, so it is always there).</summary>
    public long Timestamp { get; internal set; }

    /// <summary>The text or enum value in <paramref name="slot"/>; null when absent.</summary>
    public string? Text(int slot) => _text[slot];

    /// <summary>The whole number or timestamp in <paramref name="slot"/>; null when absent.</summary>
    public long? Whole(int slot) => _whole[slot];

    /// <summary>The double in <paramref name="slot"/>; null when absent.</summary>
    public double? Real(int slot) => _real[slot];

    internal void SetText(int slot, string? value) => _text[slot] = value;

    internal void SetWhole(int slot, long? value) => _whole[slot] = value;

    internal void SetReal(int slot, double? value) => _real[slot] = value;

    /// <summary>The record as JSON, for tests and logs.</summary>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(DomainJson.Bytes(this));
}
