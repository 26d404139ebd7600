using Sluice.Schemas.Avro;
using Sluice.Schemas.Registry;

namespace Sluice.UnitTests.Schemas;

/// <summary>
/// Sluice's compatibility checker against the cases Confluent documents for Avro: each change, its BACKWARD and FORWARD
/// verdicts. Apache.Avro's <c>Schema.CanRead</c> (a yes or no, no reasons) is compared too: it is too lenient for enums
/// and unions (it passes an old reader that would meet an unknown symbol or branch) and too strict for string/bytes, which
/// is why Sluice keeps its own checker; the cases where it differs are listed, so a fixed Apache.Avro shows up here.
/// </summary>
public sealed class SchemaCompatibilityTests
{
    private static string Record(params string[] fields) =>
        $"{{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[{string.Join(",", fields)}]}}";

    private const string A = "{\"name\":\"a\",\"type\":\"int\"}";

    public static TheoryData<string, string, string, bool, bool> Changes() => new()
    {
        // change, old schema, new schema, BACKWARD (new reads old), FORWARD (old reads new)
        { "add a field with a default", Record(A), Record(A, "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}"), true, true },
        { "add a field without a default", Record(A), Record(A, "{\"name\":\"b\",\"type\":\"string\"}"), false, true },
        { "remove a field with a default", Record(A, "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}"), Record(A), true, true },
        { "remove a field without a default", Record(A, "{\"name\":\"b\",\"type\":\"string\"}"), Record(A), true, false },
        { "rename a field with an alias", Record(A), Record("{\"name\":\"z\",\"type\":\"int\",\"aliases\":[\"a\"]}"), true, false },
        { "rename a field without an alias", Record(A), Record("{\"name\":\"z\",\"type\":\"int\"}"), false, false },
        { "promote int to long", Record(A), Record("{\"name\":\"a\",\"type\":\"long\"}"), true, false },
        { "promote long to float", Record("{\"name\":\"a\",\"type\":\"long\"}"), Record("{\"name\":\"a\",\"type\":\"float\"}"), true, false },
        { "promote float to double", Record("{\"name\":\"a\",\"type\":\"float\"}"), Record("{\"name\":\"a\",\"type\":\"double\"}"), true, false },
        { "promote int to double", Record(A), Record("{\"name\":\"a\",\"type\":\"double\"}"), true, false },
        { "narrow long to int", Record("{\"name\":\"a\",\"type\":\"long\"}"), Record(A), false, true },
        { "string to bytes", Record("{\"name\":\"a\",\"type\":\"string\"}"), Record("{\"name\":\"a\",\"type\":\"bytes\"}"), true, true },
        { "int to string", Record(A), Record("{\"name\":\"a\",\"type\":\"string\"}"), false, false },
        { "add an enum symbol", Enum("X", "Y"), Enum("X", "Y", "Z"), true, false },
        { "remove an enum symbol", Enum("X", "Y", "Z"), Enum("X", "Y"), false, true },
        { "widen a union", Union("\"null\",\"int\""), Union("\"null\",\"int\",\"string\""), true, false },
        { "narrow a union", Union("\"null\",\"int\",\"string\""), Union("\"null\",\"int\""), false, true },
        { "make a field optional", Record(A), Union("\"null\",\"int\""), true, false },
    };

    // (BACKWARD, FORWARD) as Apache.Avro 1.12's CanRead answers where it differs from the Avro specification's resolution rules.
    private static readonly Dictionary<string, (bool, bool)> ApacheAvroVerdicts = new()
    {
        ["string to bytes"] = (false, false),
        ["add an enum symbol"] = (true, true),
        ["remove an enum symbol"] = (true, true),
        ["widen a union"] = (true, true),
        ["narrow a union"] = (true, true),
        ["make a field optional"] = (true, true),
    };

    private static string Enum(params string[] symbols) =>
        Record($"{{\"name\":\"e\",\"type\":{{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[{string.Join(",", symbols.Select(s => $"\"{s}\""))}]}}}}");

    private static string Union(string branches) => Record($"{{\"name\":\"a\",\"type\":[{branches}]}}");

    [Theory]
    [MemberData(nameof(Changes))]
    public void each_documented_change_gets_confluents_verdict_and_apache_avro_agrees(string change, string old, string @new, bool backward, bool forward)
    {
        var oldSchema = AvroSchema.Parse(old);
        var newSchema = AvroSchema.Parse(@new);
        IReadOnlyList<(int, AvroSchema)> existing = [(1, oldSchema)];

        Assert.True(backward == (SchemaCompatibility.Check(CompatibilityLevel.Backward, newSchema, existing).Count == 0), $"{change}: BACKWARD");
        Assert.True(forward == (SchemaCompatibility.Check(CompatibilityLevel.Forward, newSchema, existing).Count == 0), $"{change}: FORWARD");
        Assert.True((backward && forward) == (SchemaCompatibility.Check(CompatibilityLevel.Full, newSchema, existing).Count == 0), $"{change}: FULL");
        Assert.Empty(SchemaCompatibility.Check(CompatibilityLevel.None, newSchema, existing));

        var apacheOld = Avro.Schema.Parse(old);
        var apacheNew = Avro.Schema.Parse(@new);
        var apache = ApacheAvroVerdicts.GetValueOrDefault(change, (backward, forward));
        Assert.Equal(apache, (apacheNew.CanRead(apacheOld), apacheOld.CanRead(apacheNew)));
    }

    [Fact]
    public void a_refusal_names_the_field_and_the_version()
    {
        var problems = SchemaCompatibility.Check(CompatibilityLevel.Backward, AvroSchema.Parse(Record(A, "{\"name\":\"b\",\"type\":\"string\"}")),
            [(4, AvroSchema.Parse(Record(A)))]);

        var problem = Assert.Single(problems);
        Assert.Contains("version 4", problem, StringComparison.Ordinal);
        Assert.Contains("'b'", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CompatibilityLevel.Backward, true)]
    [InlineData(CompatibilityLevel.BackwardTransitive, false)]
    [InlineData(CompatibilityLevel.Full, true)]
    [InlineData(CompatibilityLevel.FullTransitive, false)]
    public void a_chain_fine_step_by_step_can_still_break_transitively(CompatibilityLevel level, bool accepted)
    {
        // v1 {a}; v2 adds b with a default; v3 drops b's default. v2 -> v3 is fine (v2 data has b), v1 -> v3 is not.
        var v1 = Record(A);
        var v2 = Record(A, "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}");
        var v3 = Record(A, "{\"name\":\"b\",\"type\":\"string\"}");
        var store = new SchemaRegistryStore();
        store.SetLevel(level, null);
        store.Register("s", v1);
        store.Register("s", v2);

        if (accepted)
        {
            Assert.Equal(3, store.Register("s", v3));
        }
        else
        {
            var ex = Assert.Throws<SchemaRegistryException>(() => store.Register("s", v3));
            Assert.Equal(SchemaRegistryException.Incompatible, ex.ErrorCode);
            Assert.Contains("version 1", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("version 2", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void forward_transitive_checks_that_every_old_reader_reads_the_new_data()
    {
        // v1 reads b with no default; v2 gives b a default; v3 drops b: v2 reads v3 data, v1 does not.
        var store = new SchemaRegistryStore();
        store.SetLevel(CompatibilityLevel.ForwardTransitive, "s");
        store.Register("s", Record(A, "{\"name\":\"b\",\"type\":\"string\"}"));
        store.SetLevel(CompatibilityLevel.None, "s");
        store.Register("s", Record(A, "{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}"));
        store.SetLevel(CompatibilityLevel.Forward, "s");
        Assert.Empty(store.TestCompatibility("s", Record(A), "latest"));

        store.SetLevel(CompatibilityLevel.ForwardTransitive, "s");
        var problems = store.TestCompatibility("s", Record(A), "latest");
        Assert.Contains(problems, p => p.Contains("version 1 cannot read the new schema", StringComparison.Ordinal));
    }
}
