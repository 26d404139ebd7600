using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Registry;

/// <summary>Schema Registry compatibility modes, checked when a new version is registered.</summary>
public enum CompatibilityLevel
{
    /// <summary>No check.</summary>
    None,
    /// <summary>The new schema can read data written with the latest version (upgrade consumers first).</summary>
    Backward,
    /// <summary>The new schema can read data written with every version.</summary>
    BackwardTransitive,
    /// <summary>The latest version can read data written with the new schema (upgrade producers first).</summary>
    Forward,
    /// <summary>Every version can read data written with the new schema.</summary>
    ForwardTransitive,
    /// <summary>Backward and forward against the latest version.</summary>
    Full,
    /// <summary>Backward and forward against every version.</summary>
    FullTransitive,
}

/// <summary>Names and checks of <see cref="CompatibilityLevel"/>.</summary>
/// <remarks>
/// Hand-written because no library here has it: Confluent's .NET client only asks a server (yes or no, latest version
/// only), and Apache.Avro's <c>Schema.CanRead</c> gives no reasons, passes an old reader that would meet an unknown
/// enum symbol or union branch, and refuses string/bytes (tests/Sluice.UnitTests/Schemas/SchemaCompatibilityTests.cs).
/// The checks are the Avro specification's resolution rules as <see cref="AvroDecoder"/> applies them.
/// </remarks>
public static class SchemaCompatibility
{
    /// <summary>The REST API name, for example <c>BACKWARD_TRANSITIVE</c>.</summary>
    public static string ToWireName(this CompatibilityLevel level) => level switch
    {
        CompatibilityLevel.None => "NONE",
        CompatibilityLevel.Backward => "BACKWARD",
        CompatibilityLevel.BackwardTransitive => "BACKWARD_TRANSITIVE",
        CompatibilityLevel.Forward => "FORWARD",
        CompatibilityLevel.ForwardTransitive => "FORWARD_TRANSITIVE",
        CompatibilityLevel.Full => "FULL",
        _ => "FULL_TRANSITIVE",
    };

    /// <summary>Confluent's client's name for the same level.</summary>
    public static CompatibilityLevel FromConfluent(Confluent.SchemaRegistry.Compatibility level) => level switch
    {
        Confluent.SchemaRegistry.Compatibility.None => CompatibilityLevel.None,
        Confluent.SchemaRegistry.Compatibility.Backward => CompatibilityLevel.Backward,
        Confluent.SchemaRegistry.Compatibility.BackwardTransitive => CompatibilityLevel.BackwardTransitive,
        Confluent.SchemaRegistry.Compatibility.Forward => CompatibilityLevel.Forward,
        Confluent.SchemaRegistry.Compatibility.ForwardTransitive => CompatibilityLevel.ForwardTransitive,
        Confluent.SchemaRegistry.Compatibility.Full => CompatibilityLevel.Full,
        _ => CompatibilityLevel.FullTransitive,
    };

    /// <summary>The same directions against one version only.</summary>
    public static CompatibilityLevel NotTransitive(this CompatibilityLevel level) => level switch
    {
        CompatibilityLevel.BackwardTransitive => CompatibilityLevel.Backward,
        CompatibilityLevel.ForwardTransitive => CompatibilityLevel.Forward,
        CompatibilityLevel.FullTransitive => CompatibilityLevel.Full,
        _ => level,
    };

    /// <summary>Parses a REST API name (case-insensitive).</summary>
    public static bool TryParse(string? name, out CompatibilityLevel level)
    {
        level = name?.ToUpperInvariant() switch
        {
            "NONE" => CompatibilityLevel.None,
            "BACKWARD" => CompatibilityLevel.Backward,
            "BACKWARD_TRANSITIVE" => CompatibilityLevel.BackwardTransitive,
            "FORWARD" => CompatibilityLevel.Forward,
            "FORWARD_TRANSITIVE" => CompatibilityLevel.ForwardTransitive,
            "FULL" => CompatibilityLevel.Full,
            "FULL_TRANSITIVE" => CompatibilityLevel.FullTransitive,
            _ => (CompatibilityLevel)(-1),
        };
        return (int)level >= 0;
    }

    /// <summary>Why <paramref name="candidate"/> may not be registered after <paramref name="existing"/>; empty when it may.</summary>
    /// <param name="level">The subject's mode.</param>
    /// <param name="candidate">The schema being registered.</param>
    /// <param name="existing">The subject's versions, oldest first.</param>
    /// <param name="describe">How messages name a version; "version N" by default.</param>
    public static IReadOnlyList<string> Check(CompatibilityLevel level, AvroSchema candidate, IReadOnlyList<(int Version, AvroSchema Schema)> existing,
        Func<int, string>? describe = null)
    {
        describe ??= v => $"version {v}";
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(existing);
        var messages = new List<string>();
        if (level == CompatibilityLevel.None || existing.Count == 0) return messages;
        var transitive = level is CompatibilityLevel.BackwardTransitive or CompatibilityLevel.ForwardTransitive or CompatibilityLevel.FullTransitive;
        var backward = level is CompatibilityLevel.Backward or CompatibilityLevel.BackwardTransitive or CompatibilityLevel.Full or CompatibilityLevel.FullTransitive;
        var forward = level is CompatibilityLevel.Forward or CompatibilityLevel.ForwardTransitive or CompatibilityLevel.Full or CompatibilityLevel.FullTransitive;
        for (var i = transitive ? 0 : existing.Count - 1; i < existing.Count; i++)
        {
            var (version, schema) = existing[i];
            if (backward)
            {
                foreach (var issue in AvroDecoder.Create(writer: schema, reader: candidate).Issues)
                {
                    messages.Add($"BACKWARD: the new schema cannot read {describe(version)}: {issue}");
                }
            }
            if (forward)
            {
                foreach (var issue in AvroDecoder.Create(writer: candidate, reader: schema).Issues)
                {
                    messages.Add($"FORWARD: {describe(version)} cannot read the new schema: {issue}");
                }
            }
        }
        return messages;
    }
}
