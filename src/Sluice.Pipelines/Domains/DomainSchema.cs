using System.Globalization;
using System.Text;
using Sluice.Pipelines.Domains.Rules;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains;

/// <summary>A domain file's fields compiled into <see cref="DomainRecord"/> slots, with typed accessors and the event's key, time and id.</summary>
/// <remarks>
/// Compiled once, at start, from a file with an <c>event</c> section: every name is resolved here, and a key, time or
/// id that is not a field, has the wrong type or is not required is an error naming the file, line and key.
/// </remarks>
public sealed class DomainSchema
{
    private readonly int[] _slots;
    private readonly Dictionary<string, int> _byName;
    private readonly Func<DomainRecord, string?> _keyOf;
    private readonly int _timeSlot;

    private DomainSchema(DomainDefinition domain, EventSpec spec)
    {
        Domain = domain;
        Event = spec;
        Fields = domain.Fields;
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        _slots = new int[Fields.Count];
        Utf8Names = new byte[Fields.Count][];
        var accessors = new List<RecordField<DomainRecord>>(Fields.Count);
        for (var i = 0; i < Fields.Count; i++)
        {
            var f = Fields[i];
            _byName[f.Name] = i;
            Utf8Names[i] = Encoding.UTF8.GetBytes(f.Name);
            var slot = _slots[i] = f.Type switch
            {
                FieldType.String or FieldType.Enum => TextSlots++,
                FieldType.Double => RealSlots++,
                _ => WholeSlots++,
            };
            accessors.Add(f.Type switch
            {
                FieldType.String => RecordField<DomainRecord>.OfText(f.Name, r => r.Text(slot)),
                FieldType.Enum => RecordField<DomainRecord>.OfEnum(f.Name, r => r.Text(slot), f.Values),
                FieldType.Double => RecordField<DomainRecord>.OfReal(f.Name, r => r.Real(slot)),
                _ => RecordField<DomainRecord>.OfNumber(f.Name, r => r.Whole(slot), f.Type),
            });
        }
        RecordFields = accessors;
        KeyIndex = EventField(spec.Key, "event.key", "the key", FieldType.String, FieldType.Enum, FieldType.Long, FieldType.Int);
        TimeIndex = EventField(spec.Time, "event.time", "the event time", FieldType.Timestamp);
        IdIndex = spec.Id is { } id ? EventField(id, "event.id", "the id", FieldType.String) : -1;
        _keyOf = TextOf(KeyIndex);
        _timeSlot = SlotOf(TimeIndex);
        Rules = RuleCompiler.Compile(domain, RecordFields);
        AggregateFields = new Topology.AggregateFields<DomainRecord>(domain, RecordFields, [.. Fields.Select(f => f.Role)], KeyIndex, spec.AllowedLateness);
    }

    /// <summary>What the file's aggregates compile against: the fields, their roles, the key and the lateness.</summary>
    public Topology.AggregateFields<DomainRecord> AggregateFields { get; }

    /// <summary>The file it was compiled from.</summary>
    public DomainDefinition Domain { get; }

    /// <summary>The file's <c>event</c> section.</summary>
    public EventSpec Event { get; }

    /// <summary>The fields, in file order (a field's index is its position here).</summary>
    public IReadOnlyList<FieldSpec> Fields { get; }

    /// <summary>The fields as rules (and measures) read them, in file order.</summary>
    public IReadOnlyList<RecordField<DomainRecord>> RecordFields { get; }

    /// <summary>The domain's validation rules, compiled over <see cref="RecordFields"/>.</summary>
    public RuleSet<DomainRecord> Rules { get; }

    /// <summary>Slots for text and enum values in each record.</summary>
    public int TextSlots { get; }

    /// <summary>Slots for whole numbers and timestamps in each record.</summary>
    public int WholeSlots { get; }

    /// <summary>Slots for doubles in each record.</summary>
    public int RealSlots { get; }

    /// <summary>Index of the key field.</summary>
    public int KeyIndex { get; }

    /// <summary>Index of the event-time field.</summary>
    public int TimeIndex { get; }

    /// <summary>Index of the id field; -1 when records are not deduplicated.</summary>
    public int IdIndex { get; }

    /// <summary>The field names as UTF-8, by index, for the decoder to compare property names with.</summary>
    internal byte[][] Utf8Names { get; }

    /// <summary>Compiles the schema of <paramref name="domain"/>, which must have an <c>event</c> section.</summary>
    public static DomainSchema Compile(DomainDefinition domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (domain.Event is not { } spec)
        {
            Fail(domain.Source, 0, "event", $"the {domain.Name} domain has no event section; add event: {{ key: FIELD, time: FIELD }} to describe its records");
            return null!;
        }
        return new DomainSchema(domain, spec);
    }

    /// <summary>Sets a decoded record's key and event time from its slots (both fields are required, so both are there).</summary>
    internal DomainRecord Complete(DomainRecord record)
    {
        record.Key = _keyOf(record)!;
        record.Timestamp = record.Whole(_timeSlot)!.Value;
        return record;
    }

    /// <summary>The index of field <paramref name="name"/>, or -1.</summary>
    public int IndexOf(string name) => _byName.GetValueOrDefault(name, -1);

    /// <summary>The slot of field number <paramref name="index"/> in the record array of its type.</summary>
    public int SlotOf(int index) => _slots[index];

    /// <summary>The field's value as text, whatever its type (null when absent): a group key's or a distinct count's part.</summary>
    public Func<DomainRecord, string?> TextOf(int index)
    {
        var slot = _slots[index];
        return Fields[index].Type switch
        {
            FieldType.String or FieldType.Enum => r => r.Text(slot),
            FieldType.Double => r => r.Real(slot)?.ToString("R", CultureInfo.InvariantCulture),
            _ => r => r.Whole(slot)?.ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>The field's value as a double (null when absent or not a number): what a measure adds up or compares.</summary>
    public Func<DomainRecord, double?> NumberOf(int index)
    {
        var slot = _slots[index];
        return Fields[index].Type switch
        {
            FieldType.Double => r => r.Real(slot),
            FieldType.Long or FieldType.Int or FieldType.Timestamp => r => r.Whole(slot),
            _ => _ => null,
        };
    }

    private int EventField(string name, string key, string what, params FieldType[] types)
    {
        var index = IndexOf(name);
        if (index < 0)
            Fail(Domain.Source, Event.Line, key, $"'{name}' is not a field of the {Domain.Name} event; it has {string.Join(", ", Fields.Select(f => f.Name))}");
        var field = Fields[index];
        if (!types.Contains(field.Type))
            Fail(Domain.Source, Event.Line, key, $"{name} is {FieldSpec.NameOf(field.Type)}; {what} is {string.Join(" or ", types.Select(FieldSpec.NameOf))}");
        if (!field.Required)
            Fail(Domain.Source, field.Line, key, $"{name} is {what} of every record, so it must be declared required: true");
        return index;
    }
}
