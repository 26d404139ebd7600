using Sluice.Core.Errors;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.Schemas.Cli;

/// <summary>Where a schema comes from on the command line: a file, or a built-in event schema version.</summary>
/// <param name="File">Path of an .avsc file.</param>
/// <param name="EventVersion">1, 2 or 3: the built-in click-event schema.</param>
public sealed record SchemaRef(string? File = null, int? EventVersion = null)
{
    /// <summary>The schema JSON; throws <see cref="SluiceException"/> naming what is wrong.</summary>
    public string ReadText()
    {
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
    public override string ToString() => File ?? $"event schema v{EventVersion}";
}

/// <summary>The logic of <c>sluice schema register | check | list | diff</c>: parsed arguments in, exit code and tables out.</summary>
/// <remarks>The System.CommandLine host parses arguments and calls these methods; nothing here reads the console.</remarks>
public sealed class SchemaCommand(SchemaRegistryClient registry, TextWriter output)
{
    /// <summary>Done.</summary>
    public const int Ok = 0;
    /// <summary>The registry refused the schema, or it is not compatible.</summary>
    public const int Refused = 1;
    /// <summary>Bad input: a missing file, an invalid schema, an unknown subject.</summary>
    public const int BadInput = 2;
    /// <summary>The registry could not be reached.</summary>
    public const int Unavailable = 3;

    /// <summary><c>schema register</c>: registers a schema under a subject and prints its id and version.</summary>
    public Task<int> RegisterAsync(string subject, SchemaRef schema, CancellationToken cancellationToken = default) => Run(async () =>
    {
        var text = schema.ReadText();
        try
        {
            var id = await registry.RegisterAsync(subject, text, cancellationToken);
            var registered = await registry.LookupAsync(subject, text, cancellationToken);
            new TextTable("subject", "version", "id", "schema").Add(subject, Str(registered.Version), Str(id), schema.ToString()).Write(output);
            return Ok;
        }
        catch (SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.Incompatible)
        {
            output.WriteLine($"refused: {schema} is not compatible with subject '{subject}'");
            WriteReasons(ex.Message);
            return Refused;
        }
    });

    /// <summary><c>schema check</c>: tests a schema against a subject's versions without registering it.</summary>
    public Task<int> CheckAsync(string subject, SchemaRef schema, string version = "latest", CancellationToken cancellationToken = default) => Run(async () =>
    {
        var text = schema.ReadText();
        var level = await registry.GetCompatibilityAsync(subject, cancellationToken);
        CompatibilityResult result;
        try
        {
            result = await registry.TestCompatibilityAsync(subject, text, version, cancellationToken);
        }
        catch (SchemaRegistryException ex) when (ex.ErrorCode == SchemaRegistryException.SubjectNotFound && version == "latest")
        {
            AvroSchema.Parse(text); // still refuse a schema that is not valid Avro
            output.WriteLine($"subject '{subject}' has no versions yet: {schema} can be registered as version 1");
            return Ok;
        }
        var table = new TextTable("subject", "against", "mode", "compatible");
        table.Add(subject, version, level.ToWireName(), result.IsCompatible ? "yes" : "no").Write(output);
        if (!result.IsCompatible)
        {
            output.WriteLine();
            var reasons = new TextTable("#", "reason");
            for (var i = 0; i < result.Messages.Count; i++) reasons.Add(Str(i + 1), result.Messages[i]);
            reasons.Write(output);
        }
        return result.IsCompatible ? Ok : Refused;
    });

    /// <summary><c>schema list</c>: subjects with their versions, or the versions of one subject.</summary>
    public Task<int> ListAsync(string? subject = null, CancellationToken cancellationToken = default) => Run(async () =>
    {
        if (subject is null)
        {
            var table = new TextTable("subject", "versions", "latest id", "compatibility");
            foreach (var s in await registry.GetSubjectsAsync(cancellationToken))
            {
                var versions = await registry.GetVersionsAsync(s, cancellationToken);
                var latest = await registry.GetVersionAsync(s, "latest", cancellationToken);
                var level = await registry.GetCompatibilityAsync(s, cancellationToken);
                table.Add(s, string.Join(",", versions), Str(latest.Id), level.ToWireName());
            }
            table.Write(output);
            output.WriteLine($"{table.Count} subject(s); global compatibility {(await registry.GetCompatibilityAsync(null, cancellationToken)).ToWireName()}");
            return Ok;
        }
        var rows = new TextTable("version", "id", "fields", "event schema");
        foreach (var v in await registry.GetVersionsAsync(subject, cancellationToken))
        {
            var r = await registry.GetVersionAsync(subject, Str(v), cancellationToken);
            var schema = AvroSchema.Parse(r.Schema);
            var fields = schema is RecordSchema rec ? Str(rec.Fields.Count) : "-";
            var known = EventSchemas.VersionOf(schema);
            rows.Add(Str(v), Str(r.Id), fields, known > 0 ? $"v{known}" : "-");
        }
        rows.Write(output);
        return Ok;
    });

    /// <summary><c>schema diff</c> between two versions of a subject.</summary>
    public Task<int> DiffAsync(string subject, string fromVersion, string toVersion, CancellationToken cancellationToken = default) => Run(async () =>
    {
        var from = await registry.GetVersionAsync(subject, fromVersion, cancellationToken);
        var to = await registry.GetVersionAsync(subject, toVersion, cancellationToken);
        WriteDiff(AvroSchema.Parse(from.Schema), AvroSchema.Parse(to.Schema), $"{subject} v{from.Version}", $"{subject} v{to.Version}", output);
        return Ok;
    });

    /// <summary><c>schema diff</c> between two schemas given on the command line (no registry needed).</summary>
    public static int Diff(SchemaRef from, SchemaRef to, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            WriteDiff(AvroSchema.Parse(from.ReadText()), AvroSchema.Parse(to.ReadText()), from.ToString(), to.ToString(), output);
            return Ok;
        }
        catch (SluiceException ex)
        {
            output.WriteLine($"error: {ex.Message}");
            return BadInput;
        }
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

    private async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (SchemaRegistryException ex) when (ex.IsTransient)
        {
            output.WriteLine($"error: {ex.Message}");
            return Unavailable;
        }
        catch (SluiceException ex)
        {
            output.WriteLine($"error: {ex.Message}");
            return BadInput;
        }
    }

    private static string Str(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
