namespace Sluice.Pipelines.Domains;

/// <summary>The value type of a domain field.</summary>
public enum FieldType
{
    /// <summary>Text.</summary>
    String,
    /// <summary>A whole number (64 bits).</summary>
    Long,
    /// <summary>A whole number (32 bits).</summary>
    Int,
    /// <summary>A floating-point number (64 bits, IEEE 754): a sensor reading, a ratio.</summary>
    Double,
    /// <summary>Event time: epoch milliseconds, UTC.</summary>
    Timestamp,
    /// <summary>One of a fixed list of names (<see cref="FieldSpec.Values"/>).</summary>
    Enum,
}

/// <summary>How aggregates may use a field, as seed 001 maps them: grouped by, summed, or carried along.</summary>
public enum FieldRole
{
    /// <summary>Carried along; not grouped by or summed.</summary>
    Attribute,
    /// <summary>Something to group by (a country, a product).</summary>
    Dimension,
    /// <summary>Something to add up (a price, a quantity).</summary>
    Metric,
}

/// <summary>One field of a domain's event, as its file declares it.</summary>
/// <param name="Name">The wire name (snake_case), as in the Avro schema and the JSON.</param>
/// <param name="Required">True when every event must carry it (decoding rejects one without it).</param>
/// <param name="Values">The allowed names of an <see cref="FieldType.Enum"/> field; empty otherwise.</param>
/// <param name="Line">Where the file declares it (1-based), for errors.</param>
public sealed record FieldSpec(string Name, FieldType Type, bool Required, FieldRole Role, IReadOnlyList<string> Values, int Line)
{
    /// <summary>The file's <c>default</c>: what a reader gives an event written without the field (the Avro default,
    /// checked against the type); null when the file sets none, so an optional field reads as absent.</summary>
    public string? Default { get; init; }

    /// <summary>The file's <c>aliases</c>: earlier names of the field, so that a reader of the renamed field still reads data written with the old name.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The file's <c>doc</c>, carried into the schema.</summary>
    public string? Doc { get; init; }

    /// <summary>The names the file uses for each <see cref="FieldType"/>.</summary>
    public static string TypeNames => "string, long, int, double, timestamp, enum";

    /// <summary>The file's name of <paramref name="type"/>.</summary>
    public static string NameOf(FieldType type) => type.ToString().ToLowerInvariant();

    /// <summary>The file's name of <paramref name="role"/>.</summary>
    public static string NameOf(FieldRole role) => role.ToString().ToLowerInvariant();
}
