using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Events;

/// <summary>The click event's Avro schemas, v1 to v3, embedded from Events/clickevent-v*.avsc.</summary>
/// <remarks>
/// v1: event_id, user_id, event_type, product_id, price, event_time.
/// v2: adds session_id, category, quantity, user_segment and search_query, and takes v3's names for time
/// and price (timestamp, price_cents, with v1's names as aliases), so v2 and v3 are FULL compatible.
/// v3: the full <see cref="Core.Events.ClickEvent"/>; product_category has the alias category.
/// v1 to v2 is BACKWARD compatible only: a v1 reader has no default for event_time.
/// </remarks>
public static class EventSchemas
{
    /// <summary>The Kafka subject of click-event values (TopicNameStrategy for the topic "clicks").</summary>
    public const string DefaultSubject = "clicks-value";

    /// <summary>Schema JSON of v1.</summary>
    public static readonly string V1Json = Load("v1");
    /// <summary>Schema JSON of v2.</summary>
    public static readonly string V2Json = Load("v2");
    /// <summary>Schema JSON of v3.</summary>
    public static readonly string V3Json = Load("v3");

    /// <summary>Parsed v1.</summary>
    public static readonly AvroSchema V1 = AvroSchema.Parse(V1Json);
    /// <summary>Parsed v2.</summary>
    public static readonly AvroSchema V2 = AvroSchema.Parse(V2Json);
    /// <summary>Parsed v3, the schema <see cref="ClickEventAvro"/> reads and writes.</summary>
    public static readonly AvroSchema V3 = AvroSchema.Parse(V3Json);

    /// <summary>v3 with event_id a plain string: what data of other writers is resolved to, so that any id is read as
    /// text (a uuid reader would refuse ids that are not UUIDs); the same wire layout as <see cref="V3"/>.</summary>
    internal static readonly AvroSchema V3AnyEventId = AvroSchema.Parse(WithPlainEventId(V3Json));

    /// <summary>Number of fields in v3.</summary>
    internal const int V3Fields = 21;

    // Canonical forms: a copy of a version with other docs or defaults still reads and writes the same bytes.
    private static readonly string V1Canonical = V1.ToCanonicalJson();
    private static readonly string V2Canonical = V2.ToCanonicalJson();
    private static readonly string V3Canonical = V3.ToCanonicalJson();

    /// <summary>The schema of version <paramref name="version"/> (1-3).</summary>
    public static AvroSchema ForVersion(int version) => version switch
    {
        1 => V1,
        2 => V2,
        3 => V3,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "event schema versions are 1, 2 and 3"),
    };

    /// <summary>The schema JSON of version <paramref name="version"/> (1-3).</summary>
    public static string ForVersionJson(int version) => version switch
    {
        1 => V1Json,
        2 => V2Json,
        3 => V3Json,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, "event schema versions are 1, 2 and 3"),
    };

    /// <summary>1, 2 or 3 when <paramref name="schema"/> has the wire layout of that event schema version, else 0.</summary>
    public static int VersionOf(AvroSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var canonical = schema.ToCanonicalJson();
        return canonical == V3Canonical ? 3 : canonical == V2Canonical ? 2 : canonical == V1Canonical ? 1 : 0;
    }

    private static string WithPlainEventId(string json)
    {
        var schema = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var eventId = schema["fields"]!.AsArray().Single(f => (string?)f!["name"] == "event_id")!;
        eventId["type"] = "string";
        return schema.ToJsonString();
    }

    private static string Load(string version)
    {
        var name = $"Sluice.Schemas.Events.clickevent-{version}.avsc";
        using var stream = typeof(EventSchemas).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
