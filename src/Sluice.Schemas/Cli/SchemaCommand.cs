using Confluent.SchemaRegistry;
using Sluice.Core.Errors;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using RegisteredSchema = Confluent.SchemaRegistry.RegisteredSchema;
using SchemaRegistryException = Sluice.Schemas.Registry.SchemaRegistryException;

namespace Sluice.Schemas.Cli;

/// <summary>Where a schema comes from on the command line: a file, a built-in event schema version, or text made by the caller.</summary>
/// <param name="File">Path of an .avsc file.</param>
/// <param name="EventVersion">1, 2 or 3: the built-in click-event schema.</param>
/// <param name="Text">Schema JSON made by the caller (such as the schema generated from a domain file).</param>
/// <param name="Label">What tables call a schema given as <paramref name="Text"/>.</param>
public sealed record SchemaRef(string? File = null, int? EventVersion = null, string? Text = null, string? Label = null)
{
    /// <summary>The schema JSON; throws <see cref="SluiceException"/> naming what is wrong.</summary>
    public string ReadText()
    {
        if (Text is not null) return Text;
        if (File is not null)
        {
            if (!System.IO.File.Exists(File)) throw new SluiceException($"schema file '{File}' does not exist");
            return System.IO.File.ReadAllText(File);
        }
        return EventVersion switch
        {
            1 => EventSchemas.V1Json,
            2 => EventSchemas.V2Json,
            3 => EventSchemas.V3Json,
            null => throw new SluiceException("give a schema: --file <path.avsc> or --event-version 1|2|3"),
            _ => throw new SluiceException($"--event-version {EventVersion}: the event schema versions are 1, 2 and 3"),
        };
    }

    /// <summary>A short label for tables.</summary>
    public override string ToString() => Label ?? File ?? $"event schema v{EventVersion}";
}

/// <summary>The logic of <c>sluice schema register | check | list | diff</c>: parsed arguments in, exit code and tables out.</summary>
/// <remarks>
/// The System.CommandLine host parses arguments (a bad command line is its exit code 2) and calls these methods;
/// nothing here reads the console. Anything that goes wrong here (a missing file, an invalid schema, an unknown
/// subject, a registry that is down) is thrown as a <see cref="SluiceException"/>, which the host prints as one line
/// on stderr with exit code 1, as for every command.
/// </remarks>
/// <param name="registry">Confluent's registry client.</param>
/// <param name="url">The registry's URL, for messages.</param>
/// <param name="output">Where tables go.</param>
public sealed class SchemaCommand(ISchemaRegistryClient registry, string url, TextWriter output)
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>The registry refused the schema, or it is not compatible.</summary>
    public const int Refused = 1;

    /// <summary><c>schema register</c>: registers a schema under a subject and prints its id and version.</summary>
    public async Task<int> RegisterAsync(string subject, SchemaRef schema, CancellationToken cancellationToken = default)
    {
        var text = new Schema(schema.ReadText(), SchemaType.Avro);
        try
        {
            var id = await Call(() => registry.RegisterSchemaAsync(subject, text), cancellationToken);
            var registered = await Call(() => registry.LookupSchemaAsync(subject, text, ignoreDeletedSchemas: true, normalize: false), cancellationToken);
            new TextTable("subject", "version", "id", "schema").Add(subject, Str(registered.Version), Str(id), schema.ToString()).Write(output);
            return Ok;
        }
        catch (SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.Incompatible)
        {
            output.WriteLine($"refused: {schema} is not compatible with subject '{subject}'");
            WriteReasons(ex.Message);
            return Refused;
        }
    }

    /// <summary><c>schema check</c>: tests a schema against a subject's versions without registering it.</summary>
    public async Task<int> CheckAsync(string subject, SchemaRef schema, string version = "latest", CancellationToken cancellationToken = default)
    {
        var text = schema.ReadText();
        var candidate = AvroSchema.Parse(text); // refuse a schema that is not valid Avro before asking
        var level = await LevelAsync(subject, cancellationToken);
        bool compatible;
        IReadOnlyList<string> reasons;
        try
        {
            // Confluent's client asks the registry about the latest version only, and for a yes or no: the reasons,
            // and a check against one given version, come from Sluice's checker over the versions the registry holds.
            var versions = await Call(() => registry.GetSubjectVersionsAsync(subject), cancellationToken);
            if (string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase))
            {
                compatible = await Call(() => registry.IsCompatibleAsync(subject, new Schema(text, SchemaType.Avro)), cancellationToken);
                reasons = compatible ? [] : SchemaCompatibility.Check(level, candidate, await ExistingAsync(subject, versions, cancellationToken));
            }
            else
            {
                var n = ParseVersion(version);
                var registered = await Call(() => registry.GetRegisteredSchemaAsync(subject, n, ignoreDeletedSchemas: true), cancellationToken);
                reasons = SchemaCompatibility.Check(level.NotTransitive(), candidate, [(n, AvroSchema.Parse(registered.SchemaString))]);
                compatible = reasons.Count == 0;
            }
        }
        catch (SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.SubjectNotFound && version == "latest")
        {
            output.WriteLine($"subject '{subject}' has no versions yet: {schema} can be registered as version 1");
            return Ok;
        }
        var table = new TextTable("subject", "against", "mode", "compatible");
        table.Add(subject, version, level.ToWireName(), compatible ? "yes" : "no").Write(output);
        if (!compatible)
        {
            output.WriteLine();
            var rows = new TextTable("#", "reason");
            for (var i = 0; i < reasons.Count; i++) rows.Add(Str(i + 1), reasons[i]);
            if (reasons.Count == 0) rows.Add("1", "the registry refused it without a reason Sluice's checker can name");
            rows.Write(output);
        }
        return compatible ? Ok : Refused;
    }

    /// <summary><c>schema list</c>: subjects with their versions, or the versions of one subject.</summary>
    public async Task<int> ListAsync(string? subject = null, CancellationToken cancellationToken = default)
    {
        if (subject is null)
        {
            var table = new TextTable("subject", "versions", "latest id", "compatibility");
            foreach (var s in await Call(registry.GetAllSubjectsAsync, cancellationToken))
            {
                var versions = await Call(() => registry.GetSubjectVersionsAsync(s), cancellationToken);
                var latest = await Call(() => registry.GetLatestSchemaAsync(s), cancellationToken);
                var level = await LevelAsync(s, cancellationToken);
                table.Add(s, string.Join(",", versions), Str(latest.Id), level.ToWireName());
            }
            table.Write(output);
            output.WriteLine($"{table.Count} subject(s); global compatibility {(await LevelAsync(null, cancellationToken)).ToWireName()}");
            return Ok;
        }
        var rows = new TextTable("version", "id", "fields", "event schema");
        foreach (var v in await Call(() => registry.GetSubjectVersionsAsync(subject), cancellationToken))
        {
            var r = await Call(() => registry.GetRegisteredSchemaAsync(subject, v, ignoreDeletedSchemas: true), cancellationToken);
            var schema = AvroSchema.Parse(r.SchemaString);
            var fields = schema is RecordSchema rec ? Str(rec.Fields.Count) : "-";
            var known = EventSchemas.VersionOf(schema);
            rows.Add(Str(v), Str(r.Id), fields, known > 0 ? $"v{known}" : "-");
        }
        rows.Write(output);
        return Ok;
    }

    /// <summary><c>schema diff</c> between two versions of a subject.</summary>
    public async Task<int> DiffAsync(string subject, string fromVersion, string toVersion, CancellationToken cancellationToken = default)
    {
        var from = await VersionAsync(subject, fromVersion, cancellationToken);
        var to = await VersionAsync(subject, toVersion, cancellationToken);
        WriteDiff(AvroSchema.Parse(from.SchemaString), AvroSchema.Parse(to.SchemaString), $"{subject} v{from.Version}", $"{subject} v{to.Version}", output);
        return Ok;
    }

    /// <summary><c>schema diff</c> between two schemas given on the command line (no registry needed).</summary>
    public static int Diff(SchemaRef from, SchemaRef to, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(output);
        WriteDiff(AvroSchema.Parse(from.ReadText()), AvroSchema.Parse(to.ReadText()), from.ToString(), to.ToString(), output);
        return Ok;
    }

    /// <summary>Prints a field-by-field table and whether each schema can read the other's data.</summary>
    public static void WriteDiff(AvroSchema from, AvroSchema to, string fromLabel, string toLabel, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(output);
        var table = new TextTable("field", fromLabel, toLabel, "change");
        if (from is RecordSchema a && to is RecordSchema b)
        {
            var matched = new HashSet<string>(StringComparer.Ordinal);
            foreach (var fb in b.Fields)
            {
                var fa = a.GetField(fb.Name);
                var renamed = false;
                if (fa is null)
                {
                    foreach (var alias in fb.Aliases)
                    {
                        fa ??= a.GetField(alias);
                    }
                    renamed = fa is not null;
                }
                if (fa is null)
                {
                    table.Add(fb.Name, "", Describe(fb), "added" + (fb.HasDefault ? $" (default {fb.DefaultJson})" : " (no default)"));
                    continue;
                }
                matched.Add(fa.Name);
                var change = renamed ? $"renamed from {fa.Name}" : "";
                if (fa.Schema.ToNormalizedJson() != fb.Schema.ToNormalizedJson()) change = Join(change, "type changed");
                if (fa.DefaultJson != fb.DefaultJson) change = Join(change, "default changed");
                table.Add(fb.Name, Describe(fa), Describe(fb), change.Length == 0 ? "same" : change);
            }
            foreach (var fa in a.Fields)
            {
                if (!matched.Contains(fa.Name)) table.Add(fa.Name, Describe(fa), "", "removed");
            }
        }
        else
        {
            table.Add("(whole schema)", from.Name, to.Name, from.ToNormalizedJson() == to.ToNormalizedJson() ? "same" : "changed");
        }
        table.Write(output);
        output.WriteLine();
        var backward = AvroDecoder.Create(writer: from, reader: to).Issues;
        var forward = AvroDecoder.Create(writer: to, reader: from).Issues;
        var summary = new TextTable("direction", "compatible", "first reason");
        summary.Add($"{toLabel} reads {fromLabel} data (BACKWARD)", backward.Count == 0 ? "yes" : "no", backward.Count == 0 ? "" : backward[0]);
        summary.Add($"{fromLabel} reads {toLabel} data (FORWARD)", forward.Count == 0 ? "yes" : "no", forward.Count == 0 ? "" : forward[0]);
        summary.Write(output);
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : a + ", " + b;

    private static string Describe(AvroField f)
    {
        var type = f.Schema switch
        {
            UnionSchema u => string.Join("|", u.Branches.Select(x => x.Name)),
            { Logical: AvroLogicalType.TimestampMillis } => "timestamp-millis",
            { Logical: AvroLogicalType.Uuid } => "uuid",
            { Logical: AvroLogicalType.Date } => "date",
            var s => s.Name,
        };
        return type;
    }

    private void WriteReasons(string message)
    {
        var start = message.IndexOf("): ", StringComparison.Ordinal);
        var reasons = start < 0 ? [message] : message[(start + 3)..].Split("; ");
        var table = new TextTable("#", "reason");
        for (var i = 0; i < reasons.Length; i++) table.Add(Str(i + 1), reasons[i]);
        table.Write(output);
    }

    private Task<T> Call<T>(Func<Task<T>> call, CancellationToken cancellationToken) =>
        SchemaRegistryClients.CallAsync(url, call).WaitAsync(cancellationToken);

    private Task<RegisteredSchema> VersionAsync(string subject, string version, CancellationToken cancellationToken) =>
        string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase)
            ? Call(() => registry.GetLatestSchemaAsync(subject), cancellationToken)
            : Call(() => registry.GetRegisteredSchemaAsync(subject, ParseVersion(version), ignoreDeletedSchemas: true), cancellationToken);

    private async Task<List<(int, AvroSchema)>> ExistingAsync(string subject, List<int> versions, CancellationToken cancellationToken)
    {
        var list = new List<(int, AvroSchema)>();
        foreach (var v in versions)
        {
            var r = await Call(() => registry.GetRegisteredSchemaAsync(subject, v, ignoreDeletedSchemas: true), cancellationToken);
            list.Add((v, AvroSchema.Parse(r.SchemaString)));
        }
        return list;
    }

    // A subject without a level of its own has the global one; Confluent's server answers 40408 for it unless asked
    // to fall back, which its client does not ask.
    private async Task<CompatibilityLevel> LevelAsync(string? subject, CancellationToken cancellationToken)
    {
        Compatibility level;
        try
        {
            level = await Call(() => registry.GetCompatibilityAsync(subject), cancellationToken);
        }
        catch (SchemaRegistryException ex) when (subject is not null && ex.ErrorCode == SubjectCompatibilityNotConfigured)
        {
            level = await Call(() => registry.GetCompatibilityAsync(null), cancellationToken);
        }
        return SchemaCompatibility.FromConfluent(level);
    }

    private const int SubjectCompatibilityNotConfigured = 40408;

    private static int ParseVersion(string version) =>
        int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new SluiceException($"version '{version}' is not a version number (1, 2, ...) or latest");

    private static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
