using System.Globalization;
using System.Text.Json;
using Sluice.Schemas.Avro;

namespace Sluice.Schemas.Registry;

/// <summary>A schema registered under a subject.</summary>
public sealed record RegisteredSchema(string Subject, int Id, int Version, string Schema);

/// <summary>The state and rules of the embedded Schema Registry: subjects, versions, ids and compatibility.</summary>
/// <remarks>
/// Behaves like Confluent's registry for the subset Sluice uses: an identical schema registered again
/// returns its id without a check; the same schema under two subjects shares one id; a new version is
/// checked against the subject's compatibility level (its own, else the global one) and refused with
/// the reasons. Thread-safe.
/// With a file path the store is the file's only writer for its lifetime: it holds <c>{path}.lock</c> open with
/// <see cref="FileShare.None"/> (an exclusive lock, released by the OS if the process dies), and a second store on
/// the same file fails at once naming the holder, whose pid and command are in <c>{path}.holder</c>. Two writers
/// used to lose each other's updates and hand one id to two schemas. Every change is written to a temporary file,
/// flushed to disk and renamed over the old one, so a crash leaves either the old or the new state.
/// </remarks>
public sealed class SchemaRegistryStore : IDisposable
{
    private const int FormatVersion = 1;
    private readonly Lock _lock = new();
    private readonly string? _path;
    private readonly FileStream? _writerLock;
    private readonly List<(string Text, AvroSchema Schema)> _schemas = []; // index = id - 1
    private readonly Dictionary<string, int> _idByText = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int>> _subjects = new(StringComparer.Ordinal); // version n = ids[n - 1]
    private readonly Dictionary<string, CompatibilityLevel> _subjectLevels = new(StringComparer.Ordinal);
    private CompatibilityLevel _globalLevel = CompatibilityLevel.Backward;

    /// <summary>An in-memory store, or one persisted to <paramref name="path"/> (loaded when it exists).</summary>
    /// <exception cref="Core.Errors.SluiceException">Another store holds the file (the message names its pid), or the file is corrupt.</exception>
    public SchemaRegistryStore(string? path = null)
    {
        if (path is null) return;
        _path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _writerLock = TakeWriterLock(_path);
        try
        {
            if (File.Exists(_path)) Load(_path);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The state file's absolute path; null for an in-memory store.</summary>
    public string? FilePath => _path;

    /// <summary>Releases the state file for another writer.</summary>
    public void Dispose()
    {
        if (_writerLock is null) return;
        File.Delete(_path + ".holder");
        _writerLock.Dispose();
    }

    private static FileStream TakeWriterLock(string path)
    {
        FileStream held;
        try
        {
            held = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(path + ".holder") ? File.ReadAllText(path + ".holder").Trim() : "a process that has not said which";
            throw new Core.Errors.SluiceException(
                $"the schema registry state file {path} is in use by {holder}; point this command at that registry with --registry URL, or stop it first");
        }
        // Only the command's words, never its options: they may carry credentials.
        var words = Environment.GetCommandLineArgs().Skip(1).TakeWhile(a => !a.StartsWith('-')).Prepend("sluice");
        File.WriteAllText(path + ".holder", $"pid {Environment.ProcessId} ({string.Join(' ', words)})\n");
        return held;
    }

    /// <summary>Registers <paramref name="schemaText"/> under <paramref name="subject"/>; returns its id.</summary>
    public int Register(string subject, string schemaText)
    {
        var schema = ParseSchema(schemaText);
        var text = schema.ToNormalizedJson();
        lock (_lock)
        {
            var ids = _subjects.GetValueOrDefault(subject);
            if (ids is not null && _idByText.TryGetValue(text, out var known) && ids.Contains(known)) return known;
            var existing = Existing(ids);
            var problems = SchemaCompatibility.Check(LevelOf(subject), schema, existing);
            if (problems.Count > 0)
            {
                throw new SchemaRegistryException(409, SchemaRegistryException.Incompatible,
                    $"Schema being registered is incompatible with an earlier schema for subject \"{subject}\" ({LevelOf(subject).ToWireName()}): {string.Join("; ", problems)}");
            }
            if (!_idByText.TryGetValue(text, out var id))
            {
                _schemas.Add((text, schema));
                id = _schemas.Count;
                _idByText[text] = id;
            }
            if (ids is null) _subjects[subject] = ids = [];
            ids.Add(id);
            Save();
            return id;
        }
    }

    /// <summary>The subject's registration of <paramref name="schemaText"/>.</summary>
    public RegisteredSchema Lookup(string subject, string schemaText)
    {
        var text = ParseSchema(schemaText).ToNormalizedJson();
        lock (_lock)
        {
            var ids = IdsOf(subject);
            if (_idByText.TryGetValue(text, out var id))
            {
                var index = ids.IndexOf(id);
                if (index >= 0) return new RegisteredSchema(subject, id, index + 1, text);
            }
            throw new SchemaRegistryException(404, SchemaRegistryException.SchemaNotFound, "Schema not found");
        }
    }

    /// <summary>The schema text of <paramref name="id"/>.</summary>
    public string GetSchema(int id)
    {
        lock (_lock)
        {
            if (id < 1 || id > _schemas.Count) throw new SchemaRegistryException(404, SchemaRegistryException.SchemaNotFound, "Schema not found");
            return _schemas[id - 1].Text;
        }
    }

    /// <summary>Every subject, sorted.</summary>
    public IReadOnlyList<string> Subjects()
    {
        lock (_lock)
        {
            var list = _subjects.Keys.ToList();
            list.Sort(StringComparer.Ordinal);
            return list;
        }
    }

    /// <summary>The subject's version numbers, ascending.</summary>
    public IReadOnlyList<int> Versions(string subject)
    {
        lock (_lock)
        {
            return Enumerable.Range(1, IdsOf(subject).Count).ToList();
        }
    }

    /// <summary>One version of a subject: a number or "latest".</summary>
    public RegisteredSchema GetVersion(string subject, string version)
    {
        lock (_lock)
        {
            var ids = IdsOf(subject);
            var n = ParseVersion(version, ids.Count);
            if (n > ids.Count) throw new SchemaRegistryException(404, SchemaRegistryException.VersionNotFound, "Version not found");
            return new RegisteredSchema(subject, ids[n - 1], n, _schemas[ids[n - 1] - 1].Text);
        }
    }

    /// <summary>Why <paramref name="schemaText"/> is not compatible; against "latest" the subject's full rule, else that one version.</summary>
    public IReadOnlyList<string> TestCompatibility(string subject, string schemaText, string version)
    {
        var schema = ParseSchema(schemaText);
        lock (_lock)
        {
            var ids = IdsOf(subject);
            var level = LevelOf(subject);
            if (string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase)) return SchemaCompatibility.Check(level, schema, Existing(ids));
            var n = ParseVersion(version, ids.Count);
            if (n > ids.Count) throw new SchemaRegistryException(404, SchemaRegistryException.VersionNotFound, "Version not found");
            return SchemaCompatibility.Check(level.NotTransitive(), schema, [(n, _schemas[ids[n - 1] - 1].Schema)]);
        }
    }

    /// <summary>The level of <paramref name="subject"/> (falling back to global), or the global level when null.</summary>
    public CompatibilityLevel GetLevel(string? subject)
    {
        lock (_lock)
        {
            return subject is null ? _globalLevel : LevelOf(subject);
        }
    }

    /// <summary>Sets the level of <paramref name="subject"/>, or the global level when null.</summary>
    public void SetLevel(CompatibilityLevel level, string? subject)
    {
        lock (_lock)
        {
            if (subject is null) _globalLevel = level;
            else _subjectLevels[subject] = level;
            Save();
        }
    }

    private CompatibilityLevel LevelOf(string subject) => _subjectLevels.TryGetValue(subject, out var level) ? level : _globalLevel;

    private List<int> IdsOf(string subject) =>
        _subjects.GetValueOrDefault(subject) ?? throw new SchemaRegistryException(404, SchemaRegistryException.SubjectNotFound, $"Subject '{subject}' not found.");

    private List<(int, AvroSchema)> Existing(List<int>? ids)
    {
        var list = new List<(int, AvroSchema)>();
        if (ids is null) return list;
        for (var i = 0; i < ids.Count; i++) list.Add((i + 1, _schemas[ids[i] - 1].Schema));
        return list;
    }

    private static int ParseVersion(string version, int latest)
    {
        if (string.Equals(version, "latest", StringComparison.OrdinalIgnoreCase) || version == "-1") return Math.Max(latest, 1);
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
        {
            throw new SchemaRegistryException(422, SchemaRegistryException.InvalidVersion, $"The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
        return n;
    }

    private static AvroSchema ParseSchema(string schemaText)
    {
        try
        {
            return AvroSchema.Parse(schemaText);
        }
        catch (AvroSchemaException ex)
        {
            throw new SchemaRegistryException(422, SchemaRegistryException.InvalidSchema, $"Invalid schema: {ex.Message}");
        }
    }

    private void Save()
    {
        if (_path is null) return;
        var temp = _path + ".tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteNumber("format", FormatVersion);
                    w.WriteString("compatibility", _globalLevel.ToWireName());
                    w.WriteStartArray("schemas");
                    foreach (var (text, _) in _schemas) w.WriteStringValue(text);
                    w.WriteEndArray();
                    w.WriteStartObject("subjects");
                    foreach (var (subject, ids) in _subjects)
                    {
                        w.WriteStartArray(subject);
                        foreach (var id in ids) w.WriteNumberValue(id);
                        w.WriteEndArray();
                    }
                    w.WriteEndObject();
                    w.WriteStartObject("subjectCompatibility");
                    foreach (var (subject, level) in _subjectLevels) w.WriteString(subject, level.ToWireName());
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
                stream.Flush(flushToDisk: true);
            }
            // rename(2) replaces the file whole: a reader or a crash sees the old state or the new, never a mix.
            File.Move(temp, _path, overwrite: true);
        }
        catch (IOException ex)
        {
            throw new SchemaRegistryException($"could not write the schema registry file {_path}: {ex.Message}", ex);
        }
    }

    private void Load(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.GetProperty("format").GetInt32() != FormatVersion) throw new FormatException($"unsupported format {root.GetProperty("format")}");
            SchemaCompatibility.TryParse(root.GetProperty("compatibility").GetString(), out _globalLevel);
            foreach (var s in root.GetProperty("schemas").EnumerateArray())
            {
                var schema = AvroSchema.Parse(s.GetString()!);
                _schemas.Add((s.GetString()!, schema));
                _idByText[s.GetString()!] = _schemas.Count;
            }
            foreach (var subject in root.GetProperty("subjects").EnumerateObject())
            {
                _subjects[subject.Name] = subject.Value.EnumerateArray().Select(v => v.GetInt32()).ToList();
            }
            foreach (var level in root.GetProperty("subjectCompatibility").EnumerateObject())
            {
                if (SchemaCompatibility.TryParse(level.Value.GetString(), out var l)) _subjectLevels[level.Name] = l;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or AvroSchemaException)
        {
            throw new Core.Errors.SluiceException($"schema registry file {path} is corrupt ({ex.Message}); restore it from a backup or delete it to start empty", ex);
        }
    }
}
