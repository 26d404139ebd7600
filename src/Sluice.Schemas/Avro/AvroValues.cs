using System.Collections;

namespace Sluice.Schemas.Avro;

/// <summary>A generic record value: the schema and one slot per field, in field order.</summary>
/// <remarks>
/// The generic value model: null, bool, int, long, float, double, byte[] (bytes), string,
/// <see cref="AvroEnum"/>, <see cref="AvroFixed"/>, <c>List&lt;object?&gt;</c> (array),
/// <c>Dictionary&lt;string, object?&gt;</c> (map), <see cref="AvroRecord"/>; the logical types as
/// <see cref="DateTimeOffset"/> (timestamp-millis), <see cref="Guid"/> (uuid) and <see cref="DateOnly"/> (date).
/// A union value is the value of its branch.
/// </remarks>
public sealed class AvroRecord
{
    /// <summary>An empty record of <paramref name="schema"/>; unset slots are null.</summary>
    public AvroRecord(RecordSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        Values = new object?[schema.Fields.Count];
    }

    /// <summary>The record's schema.</summary>
    public RecordSchema Schema { get; }

    /// <summary>Field values in field order.</summary>
    public object?[] Values { get; }

    /// <summary>The value of the named field.</summary>
    /// <exception cref="KeyNotFoundException">The record has no such field.</exception>
    public object? this[string field]
    {
        get => Values[Position(field)];
        set => Values[Position(field)] = value;
    }

    private int Position(string field) =>
        Schema.GetField(field)?.Position ?? throw new KeyNotFoundException($"record {Schema.FullName} has no field '{field}'");

    /// <inheritdoc />
    public override string ToString() => $"{Schema.FullName} record";
}

/// <summary>A generic enum value: the symbol.</summary>
public sealed record AvroEnum(string Symbol);

/// <summary>A generic fixed value; kept distinct from <c>byte[]</c> so unions of bytes and fixed can tell them apart.</summary>
public sealed class AvroFixed(byte[] bytes)
{
    /// <summary>The bytes.</summary>
    public byte[] Bytes { get; } = bytes;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AvroFixed f && f.Bytes.AsSpan().SequenceEqual(Bytes);

    /// <inheritdoc />
    public override int GetHashCode() => Bytes.Length;
}

/// <summary>Operations on generic values.</summary>
public static class AvroValue
{
    /// <summary>Structural equality of two generic values (NaN equals NaN, as Avro's binary comparison implies).</summary>
    public static bool DeepEquals(object? a, object? b)
    {
        switch (a)
        {
            case null: return b is null;
            case byte[] x: return b is byte[] y && x.AsSpan().SequenceEqual(y);
            case AvroRecord x:
                if (b is not AvroRecord r || r.Schema.FullName != x.Schema.FullName || r.Values.Length != x.Values.Length) return false;
                for (var i = 0; i < x.Values.Length; i++)
                {
                    if (!DeepEquals(x.Values[i], r.Values[i])) return false;
                }
                return true;
            case IDictionary x:
                if (b is not IDictionary d || d.Count != x.Count) return false;
                foreach (DictionaryEntry entry in x)
                {
                    if (!d.Contains(entry.Key) || !DeepEquals(entry.Value, d[entry.Key])) return false;
                }
                return true;
            case IList x:
                if (b is not IList l || l.Count != x.Count) return false;
                for (var i = 0; i < x.Count; i++)
                {
                    if (!DeepEquals(x[i], l[i])) return false;
                }
                return true;
            default:
                return a.Equals(b);
        }
    }
}
