using System.Text.Json;
using Sluice.Schemas.Avro;
using Sluice.UnitTests.Schemas.Golden;

namespace Sluice.UnitTests.Schemas;

/// <summary>Cross-checks the codec against avsc: vectors written by golden/make-vectors.mjs.</summary>
public sealed class GoldenVectorTests
{
    private static readonly Dictionary<string, JsonElement> Vectors = Load();

    private static Dictionary<string, JsonElement> Load()
    {
        var doc = JsonDocument.Parse(GoldenVectors.Json);
        var map = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var v in doc.RootElement.EnumerateArray()) map.Add(v.GetProperty("name").GetString()!, v);
        return map;
    }

    public static TheoryData<string> EncodingVectors() => Names("encoding");

    public static TheoryData<string> ResolutionVectors() => Names("resolution");

    private static TheoryData<string> Names(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var (name, v) in Vectors)
        {
            if (v.GetProperty("kind").GetString() == kind) data.Add(name);
        }
        return data;
    }

    [Fact]
    public void the_vector_file_holds_every_vector_the_script_wrote()
    {
        Assert.Equal(GoldenVectors.Count, Vectors.Count);
        Assert.True(Vectors.Count >= 100);
    }

    [Theory]
    [MemberData(nameof(EncodingVectors))]
    public void sluice_decodes_avsc_bytes_and_encodes_the_same_bytes(string name)
    {
        var v = Vectors[name];
        var schema = AvroSchema.Parse(v.GetProperty("schema").GetRawText());
        var expected = AvroJson.ToValue(schema, v.GetProperty("value").GetString()!);
        var avscBytes = Convert.FromHexString(v.GetProperty("hex").GetString()!);

        Assert.True(AvroDecoder.Create(schema).TryDecode(avscBytes, out var decoded, out var error), error.Detail);
        Assert.True(AvroValue.DeepEquals(expected, decoded), $"{name}: decoded value differs from avsc's");
        Assert.Equal(v.GetProperty("hex").GetString(), Convert.ToHexStringLower(AvroEncoder.Encode(schema, decoded)));
        Assert.Equal(v.GetProperty("hex").GetString(), Convert.ToHexStringLower(AvroEncoder.Encode(schema, expected)));
    }

    [Theory]
    [MemberData(nameof(EncodingVectors))]
    public void sluice_parsing_canonical_form_has_avsc_fingerprint(string name)
    {
        var v = Vectors[name];
        var canonical = AvroSchema.Parse(v.GetProperty("schema").GetRawText()).ToCanonicalJson();
        var sha256 = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical));
        Assert.Equal(v.GetProperty("fingerprint").GetString(), Convert.ToHexStringLower(sha256));
    }

    [Theory]
    [MemberData(nameof(ResolutionVectors))]
    public void sluice_resolves_writer_data_to_the_value_avsc_resolves(string name)
    {
        var v = Vectors[name];
        var writer = AvroSchema.Parse(v.GetProperty("schema").GetRawText());
        var reader = AvroSchema.Parse(v.GetProperty("reader").GetRawText());
        var written = AvroJson.ToValue(writer, v.GetProperty("value").GetString()!);
        var expected = AvroJson.ToValue(reader, v.GetProperty("resolved").GetString()!);
        var avscBytes = Convert.FromHexString(v.GetProperty("hex").GetString()!);
        Assert.Equal(v.GetProperty("hex").GetString(), Convert.ToHexStringLower(AvroEncoder.Encode(writer, written)));

        var decoder = AvroDecoder.Create(writer, reader);

        Assert.Empty(decoder.Issues);
        Assert.True(decoder.TryDecode(avscBytes, out var resolved, out var error), error.Detail);
        Assert.True(AvroValue.DeepEquals(expected, resolved), $"{name}: resolved value differs from avsc's");
    }
}
