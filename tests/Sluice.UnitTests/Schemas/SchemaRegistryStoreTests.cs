using Sluice.Schemas.Avro;
using Sluice.Schemas.Cli;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.UnitTests.Schemas;

public sealed class SchemaRegistryStoreTests : IDisposable
{
    private const string Subject = EventSchemas.DefaultSubject;
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-registry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void the_event_schemas_evolve_under_backward_compatibility()
    {
        var store = new SchemaRegistryStore();
        Assert.Equal(1, store.Register(Subject, EventSchemas.V1Json));
        Assert.Equal(2, store.Register(Subject, EventSchemas.V2Json));
        Assert.Equal(3, store.Register(Subject, EventSchemas.V3Json));
        Assert.Equal([1, 2, 3], store.Versions(Subject));
        Assert.Equal(3, store.GetVersion(Subject, "latest").Id);
    }

    [Fact]
    public void registering_the_same_schema_again_returns_its_id_without_a_new_version()
    {
        var store = new SchemaRegistryStore();
        var id = store.Register(Subject, EventSchemas.V1Json);
        Assert.Equal(id, store.Register(Subject, EventSchemas.V1.ToNormalizedJson()));
        Assert.Single(store.Versions(Subject));
    }

    [Fact]
    public void one_schema_under_two_subjects_shares_one_id()
    {
        var store = new SchemaRegistryStore();
        Assert.Equal(store.Register("a-value", EventSchemas.V3Json), store.Register("b-value", EventSchemas.V3Json));
    }

    [Fact]
    public void forward_mode_refuses_v2_after_v1_and_says_why()
    {
        var store = new SchemaRegistryStore();
        store.SetLevel(CompatibilityLevel.Forward, Subject);
        store.Register(Subject, EventSchemas.V1Json);

        var ex = Assert.Throws<SchemaRegistryException>(() => store.Register(Subject, EventSchemas.V2Json));

        Assert.Equal(409, ex.HttpStatus);
        Assert.Contains("FORWARD: version 1 cannot read the new schema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("event_time", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void full_mode_accepts_v3_after_v2_but_full_transitive_refuses_it_after_v1()
    {
        var full = new SchemaRegistryStore();
        full.SetLevel(CompatibilityLevel.None, null);
        full.Register(Subject, EventSchemas.V1Json);
        full.Register(Subject, EventSchemas.V2Json);
        full.SetLevel(CompatibilityLevel.Full, Subject);
        Assert.Equal(3, full.Register(Subject, EventSchemas.V3Json));

        var transitive = new SchemaRegistryStore();
        transitive.SetLevel(CompatibilityLevel.None, null);
        transitive.Register(Subject, EventSchemas.V1Json);
        transitive.Register(Subject, EventSchemas.V2Json);
        transitive.SetLevel(CompatibilityLevel.FullTransitive, Subject);
        var ex = Assert.Throws<SchemaRegistryException>(() => transitive.Register(Subject, EventSchemas.V3Json));
        Assert.Contains("version 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void backward_transitive_checks_every_version_not_just_the_latest()
    {
        const string a = """{"type":"record","name":"R","fields":[{"name":"x","type":"int"}]}""";
        const string b = """{"type":"record","name":"R","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":0}]}""";
        const string c = """{"type":"record","name":"R","fields":[{"name":"y","type":"int"}]}""";
        var latestOnly = new SchemaRegistryStore();
        latestOnly.Register("s", a);
        latestOnly.Register("s", b);
        Assert.Equal(3, latestOnly.Register("s", c)); // c reads b's data: y is there

        var transitive = new SchemaRegistryStore();
        transitive.SetLevel(CompatibilityLevel.BackwardTransitive, null);
        transitive.Register("s", a);
        transitive.Register("s", b);
        var ex = Assert.Throws<SchemaRegistryException>(() => transitive.Register("s", c));
        Assert.Contains("cannot read version 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void an_invalid_schema_is_refused_with_422()
    {
        var ex = Assert.Throws<SchemaRegistryException>(() => new SchemaRegistryStore().Register("s", "{\"type\":\"nope\"}"));
        Assert.Equal(SchemaRegistryException.InvalidSchema, ex.ErrorCode);
    }

    [Fact]
    public void unknown_subjects_versions_and_ids_have_the_confluent_error_codes()
    {
        var store = new SchemaRegistryStore();
        store.Register("s", "\"int\"");
        Assert.Equal(SchemaRegistryException.SubjectNotFound, Assert.Throws<SchemaRegistryException>(() => store.Versions("t")).ErrorCode);
        Assert.Equal(SchemaRegistryException.VersionNotFound, Assert.Throws<SchemaRegistryException>(() => store.GetVersion("s", "2")).ErrorCode);
        Assert.Equal(SchemaRegistryException.InvalidVersion, Assert.Throws<SchemaRegistryException>(() => store.GetVersion("s", "x")).ErrorCode);
        Assert.Equal(SchemaRegistryException.SchemaNotFound, Assert.Throws<SchemaRegistryException>(() => store.GetSchema(7)).ErrorCode);
    }

    [Fact]
    public void state_survives_a_restart_from_the_file()
    {
        var path = Path.Combine(_dir, "registry.json");
        using (var first = new SchemaRegistryStore(path))
        {
            first.Register(Subject, EventSchemas.V1Json);
            first.Register(Subject, EventSchemas.V2Json);
            first.SetLevel(CompatibilityLevel.Full, Subject);
        }

        using var second = new SchemaRegistryStore(path);

        Assert.Equal([1, 2], second.Versions(Subject));
        Assert.Equal(CompatibilityLevel.Full, second.GetLevel(Subject));
        Assert.Equal(EventSchemas.V2.ToNormalizedJson(), second.GetSchema(2));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void a_second_writer_on_the_same_file_fails_at_once_naming_the_holder()
    {
        var path = Path.Combine(_dir, "registry.json");
        using var first = new SchemaRegistryStore(path);
        first.Register(Subject, EventSchemas.V1Json);

        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => new SchemaRegistryStore(path));

        Assert.Contains($"in use by pid {Environment.ProcessId} (sluice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--registry URL", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.False(ex.IsTransient);
        Assert.Equal([1], first.Versions(Subject)); // the first writer is untouched
    }

    [Fact]
    public void the_lock_goes_with_the_first_writer()
    {
        var path = Path.Combine(_dir, "registry.json");
        var first = new SchemaRegistryStore(path);
        var id = first.Register(Subject, EventSchemas.V1Json);
        first.Dispose();

        using var second = new SchemaRegistryStore(path);

        Assert.Equal(id, second.Register("other-value", EventSchemas.V3Json) - 1);
        Assert.Equal(EventSchemas.V1.ToNormalizedJson(), second.GetSchema(id));
        Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(path + ".holder"), StringComparison.Ordinal);
    }

    [Fact]
    public void a_write_cut_short_by_a_crash_leaves_the_previous_state()
    {
        // 1. A store writes two versions, then the process dies while writing a third: a torn temporary file is left.
        var path = Path.Combine(_dir, "registry.json");
        using (var store = new SchemaRegistryStore(path)) store.Register(Subject, EventSchemas.V1Json);
        using (var store = new SchemaRegistryStore(path)) store.Register(Subject, EventSchemas.V2Json);
        File.WriteAllText(path + ".tmp", "{\"format\":1,\"compatibility\":\"BACK");

        // 2. The next writer reads the last whole state, ignoring the torn file.
        using var next = new SchemaRegistryStore(path);
        Assert.Equal([1, 2], next.Versions(Subject));

        // 3. Its next write replaces both: the state file is whole and no temporary file is left.
        next.Register(Subject, EventSchemas.V3Json);
        Assert.False(File.Exists(path + ".tmp"));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        Assert.Equal(3, doc.RootElement.GetProperty("subjects").GetProperty(Subject).GetArrayLength());
    }

    [Fact]
    public void the_default_state_file_does_not_depend_on_the_working_directory()
    {
        var options = new Sluice.Core.Configuration.SchemaRegistryOptions();
        Assert.Equal("/srv/state/sluice/schemas.json", options.StateFilePath(k => k == "XDG_STATE_HOME" ? "/srv/state" : "/home/ann"));
        Assert.Equal("/home/ann/.local/state/sluice/schemas.json", options.StateFilePath(k => k == "HOME" ? "/home/ann" : null));
        options.StateFile = "reg/schemas.json";
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "reg", "schemas.json"), options.StateFilePath());
    }

    [Fact]
    public void a_corrupt_file_is_reported_with_what_to_do()
    {
        var path = Path.Combine(_dir, "registry.json");
        File.WriteAllText(path, "{\"format\":1,");
        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() => new SchemaRegistryStore(path));
        Assert.Contains("corrupt", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("BACKWARD", CompatibilityLevel.Backward)]
    [InlineData("forward_transitive", CompatibilityLevel.ForwardTransitive)]
    [InlineData("FULL_TRANSITIVE", CompatibilityLevel.FullTransitive)]
    [InlineData("NONE", CompatibilityLevel.None)]
    public void compatibility_levels_parse_and_print_their_wire_names(string name, CompatibilityLevel level)
    {
        Assert.True(SchemaCompatibility.TryParse(name, out var parsed));
        Assert.Equal(level, parsed);
        Assert.Equal(name.ToUpperInvariant(), parsed.ToWireName());
        Assert.False(SchemaCompatibility.TryParse("SIDEWAYS", out _));
    }

    [Fact]
    public void diff_of_v1_and_v3_shows_renames_additions_and_directions()
    {
        using var output = new StringWriter();
        Assert.Equal(SchemaCommand.Ok, SchemaCommand.Diff(new SchemaRef(EventVersion: 1), new SchemaRef(EventVersion: 3), output));
        var text = output.ToString();
        Assert.Contains("renamed from event_time", text, StringComparison.Ordinal);
        Assert.Contains("renamed from price", text, StringComparison.Ordinal);
        Assert.Contains("added (default null)", text, StringComparison.Ordinal);
        Assert.Matches(@"event schema v3 reads event schema v1 data \(BACKWARD\)\s+yes", text);
        Assert.Matches(@"event schema v1 reads event schema v3 data \(FORWARD\)\s+no", text);
    }

    [Fact]
    public void diff_of_a_missing_file_is_an_error_naming_it()
    {
        using var output = new StringWriter();
        var ex = Assert.Throws<Sluice.Core.Errors.SluiceException>(() =>
            SchemaCommand.Diff(new SchemaRef(File: Path.Combine(_dir, "none.avsc")), new SchemaRef(EventVersion: 3), output));
        Assert.Contains("none.avsc' does not exist", ex.Message, StringComparison.Ordinal);
    }
}
