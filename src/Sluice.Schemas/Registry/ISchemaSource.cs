using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Registry;

/// <summary>Finds writer schemas by registry id; implemented over Confluent's registry client by <see cref="RegistrySchemaSource"/> (cached).</summary>
public interface ISchemaSource
{
    /// <summary>The schema registered under <paramref name="id"/>, or null when the registry has no such id.</summary>
    /// <exception cref="Core.Errors.SluiceException">The registry could not be asked (transient): retry, do not dead-letter.</exception>
    AvroSchema? GetSchema(int id);
}

/// <summary>A fixed id-to-schema map, for tests and for producers that know their schemas up front.</summary>
public sealed class StaticSchemaSource : ISchemaSource
{
    private readonly Dictionary<int, AvroSchema> _schemas = [];

    /// <summary>Adds or replaces the schema of <paramref name="id"/>; returns this for chaining.</summary>
    public StaticSchemaSource Add(int id, AvroSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schemas[id] = schema;
        return this;
    }

    /// <inheritdoc />
    public AvroSchema? GetSchema(int id) => _schemas.GetValueOrDefault(id);
}
