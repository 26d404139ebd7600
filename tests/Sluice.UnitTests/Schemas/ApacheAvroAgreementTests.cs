using System.Globalization;
using System.Text;
using Avro.Generic;
using Avro.IO;
using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using ApacheSchema = Avro.Schema;

namespace Sluice.UnitTests.Schemas;

/// <summary>
/// Sluice's Avro code against Apache.Avro over seeded random schemas and values: the same bytes, the same resolved values,
/// the same canonical form; the click event's fast path decodes what Apache.Avro decodes; hostile bytes never throw.
/// </summary>
/// <remarks>Bytes are the bridge between the two value models: a value is equal when both write it the same way.</remarks>
public sealed class ApacheAvroAgreementTests
{
    private const int Schemas = 300;
    private const int ValuesPerSchema = 20;

    [Fact]
    public void random_schemas_and_values_encode_decode_and_canonicalise_as_apache_avro_does()
    {
        var rng = new Random(20261201);
        for (var s = 0; s < Schemas; s++)
        {
            var json = new SchemaMaker(rng).Make();
            var apache = ApacheSchema.Parse(json);
            var sluice = AvroSchema.Parse(json);
            Assert.Equal(Avro.SchemaNormalization.ToParsingForm(apache), sluice.ToCanonicalJson());
            var decoder = AvroDecoder.Create(sluice);
            for (var v = 0; v < ValuesPerSchema; v++)
            {
                var bytes = Write(apache, RandomValue(rng, apache, 0));
                Assert.True(decoder.TryDecode(bytes, out var value, out var error), $"{json}\n{Convert.ToHexString(bytes)}: {error.ReasonCode} {error.Detail}");
                Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(AvroEncoder.Encode(sluice, value)));
            }
        }
    }

    [Fact]
    public void data_resolved_from_an_evolved_writer_equals_apache_avros_resolution()
    {
        var rng = new Random(7);
        var resolved = 0;
        for (var s = 0; s < Schemas; s++)
        {
            var maker = new SchemaMaker(rng);
            var (writerJson, readerJson) = maker.MakeEvolvedPair();
            var (writer, reader) = (ApacheSchema.Parse(writerJson), ApacheSchema.Parse(readerJson));
            var decoder = AvroDecoder.Create(AvroSchema.Parse(writerJson), AvroSchema.Parse(readerJson));
            Assert.True(decoder.Issues.Count == 0, $"{writerJson}\n{readerJson}\n{string.Join("; ", decoder.Issues)}");
            for (var v = 0; v < ValuesPerSchema; v++)
            {
                var bytes = Write(writer, RandomValue(rng, writer, 0));
                var expected = Write(reader, new GenericDatumReader<object>(writer, reader).Read(null!, new BinaryDecoder(new MemoryStream(bytes))));
                Assert.True(decoder.TryDecode(bytes, out var value, out var error), error.Detail);
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(AvroEncoder.Encode(decoder.Reader, value)));
                resolved++;
            }
        }
        Assert.Equal(Schemas * ValuesPerSchema, resolved);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void the_click_event_fast_path_decodes_exactly_what_apache_avro_decodes(int writerVersion)
    {
        var rng = new Random(writerVersion);
        var writer = ApacheSchema.Parse(EventSchemas.ForVersionJson(writerVersion));
        var deserializer = new ClickEventAvroDeserializer(new StaticSchemaSource().Add(1, EventSchemas.V1).Add(2, EventSchemas.V2).Add(3, EventSchemas.V3));
        // Apache.Avro's resolving reader ignores field aliases, so it reads the writer's own fields and the renames
        // (event_time, price, category) and defaults of v3 are applied here.
        var reader = new GenericDatumReader<GenericRecord>(writer, writer);

        for (var i = 0; i < 2_000; i++)
        {
            var body = Write(writer, RandomValue(rng, writer, 0));
            var expected = ToEvent(reader.Read(null!, new BinaryDecoder(new MemoryStream(body))), writerVersion);

            Assert.True(deserializer.TryDeserialize([0, 0, 0, 0, (byte)writerVersion, .. body], out var actual, out var error), error.Detail);
            Assert.Equal(expected, actual);
            if (writerVersion == 3) Assert.Equal(Convert.ToHexString(body), Convert.ToHexString(ClickEventAvro.ToBytes(actual!)));
        }
    }

    [Fact]
    public void hostile_bytes_never_throw_from_sluices_readers_and_get_a_reason_code()
    {
        var rng = new Random(11);
        // An event id the JSON decoder refuses too gets the same code from Avro.
        var known = new HashSet<string>([.. AvroReasonCodes.All, ReasonCodes.EmptyEventId, ReasonCodes.EventIdTooLong]);
        var cases = new List<(AvroDecoder Decoder, byte[] Bytes)>();
        for (var s = 0; s < 100; s++)
        {
            var json = new SchemaMaker(rng).Make();
            cases.Add((AvroDecoder.Create(AvroSchema.Parse(json)), Write(ApacheSchema.Parse(json), RandomValue(rng, ApacheSchema.Parse(json), 0))));
        }
        var eventSchema = ApacheSchema.Parse(EventSchemas.V3Json);
        var frames = Enumerable.Range(0, 50).Select(_ => (byte[])[0, 0, 0, 0, 3, .. Write(eventSchema, RandomValue(rng, eventSchema, 0))]).ToArray();
        var deserializer = new ClickEventAvroDeserializer(new StaticSchemaSource().Add(3, EventSchemas.V3));
        var rejected = new Dictionary<string, int>();

        for (var i = 0; i < 50_000; i++)
        {
            var (decoder, bytes) = cases[i % cases.Count];
            // The frame mutator truncates, flips bits, writes huge lengths and bad branches; here on a fake 5-byte header.
            var mutated = AvroFuzzTests.Next(rng, [[0, 0, 0, 0, 0, .. bytes]], i);
            var payload = mutated.Length > 5 ? mutated[5..] : [];
            var frame = AvroFuzzTests.Next(rng, frames, i);
            try
            {
                if (!decoder.TryDecode(payload, out _, out var error)) Count(rejected, known, error);
                if (!deserializer.TryDeserialize(frame, out _, out error)) Count(rejected, known, error);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"threw {ex.GetType().Name} on {Convert.ToHexString(payload)} or {Convert.ToHexString(frame)}: {ex.Message}");
            }
        }

        foreach (var code in new[] { AvroReasonCodes.Truncated, AvroReasonCodes.LengthOutOfRange, AvroReasonCodes.UnionOutOfRange, AvroReasonCodes.TrailingBytes })
        {
            Assert.True(rejected.ContainsKey(code), $"no hostile input produced {code}");
        }
    }

    private static void Count(Dictionary<string, int> rejected, HashSet<string> known, DecodeError error)
    {
        Assert.Contains(error.ReasonCode, known);
        rejected[error.ReasonCode] = rejected.GetValueOrDefault(error.ReasonCode) + 1;
    }

    private static byte[] Write(ApacheSchema schema, object? value)
    {
        using var stream = new MemoryStream();
        new GenericDatumWriter<object?>(schema).Write(value, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    // The v3 event for a record Apache.Avro read with the writer's schema: v3's names or their aliases, else v3's
    // defaults (schema_version: the writer's, before v3).
    private static ClickEvent ToEvent(GenericRecord r, int writerVersion)
    {
        object? F(string name, string? alias = null) =>
            r.TryGetValue(name, out var v) ? v : alias is not null && r.TryGetValue(alias, out v) ? v : null;
        var type = (GenericEnum)r["event_type"];
        return new ClickEvent
        {
            EventId = (Guid)r["event_id"],
            EventType = (EventType)type.Schema.Ordinal(type.Value),
            Timestamp = (long)(((DateTime)F("timestamp", "event_time")!) - DateTime.UnixEpoch).TotalMilliseconds,
            UserId = (string?)F("user_id"),
            SessionId = (string?)F("session_id") ?? "",
            ProductId = (string?)F("product_id"),
            ProductCategory = (string?)F("product_category", "category"),
            PriceCents = (long?)F("price_cents", "price"),
            Quantity = (int?)F("quantity"),
            SearchQuery = (string?)F("search_query"),
            PageUrl = (string?)F("page_url"),
            Referrer = (string?)F("referrer"),
            UserAgent = (string?)F("user_agent"),
            IpAddress = (string?)F("ip_address"),
            GeoCountry = (string?)F("geo_country"),
            GeoCity = (string?)F("geo_city"),
            UserSegment = (string?)F("user_segment"),
            DeviceType = (string?)F("device_type"),
            Browser = (string?)F("browser"),
            CampaignId = (string?)F("campaign_id"),
            SchemaVersion = writerVersion < 3 ? writerVersion : (int)r["schema_version"],
        };
    }

    private static readonly string[] Words = ["a", "shop", "Köln", "日本", "", "https://shop.example/p/7", "x y z", "éé"];

    /// <summary>A random value of <paramref name="schema"/> as Apache.Avro's generic writer takes it.</summary>
    private static object? RandomValue(Random rng, ApacheSchema schema, int depth)
    {
        switch (schema)
        {
            case Avro.LogicalSchema { LogicalTypeName: "uuid" }:
                return new Guid(rng.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16));
            case Avro.LogicalSchema { LogicalTypeName: "timestamp-millis" }:
                return DateTime.UnixEpoch.AddMilliseconds(rng.NextInt64(-10_000_000_000_000, 10_000_000_000_000));
            case Avro.RecordSchema record:
                var r = new GenericRecord(record);
                foreach (var f in record.Fields) r.Add(f.Name, RandomValue(rng, f.Schema, depth + 1));
                return r;
            case Avro.EnumSchema e:
                return new GenericEnum(e, e.Symbols[rng.Next(e.Count)]);
            case Avro.FixedSchema f:
                var fixedBytes = new byte[f.Size];
                rng.NextBytes(fixedBytes);
                return new GenericFixed(f, fixedBytes);
            case Avro.ArraySchema a:
                return Enumerable.Range(0, depth > 3 ? 0 : rng.Next(4)).Select(_ => RandomValue(rng, a.ItemSchema, depth + 1)).ToArray();
            case Avro.MapSchema m:
                var map = new Dictionary<string, object?>();
                for (var i = depth > 3 ? 0 : rng.Next(4); i > 0; i--) map[Words[rng.Next(Words.Length)] + i.ToString(CultureInfo.InvariantCulture)] = RandomValue(rng, m.ValueSchema, depth + 1);
                return map;
            case Avro.UnionSchema u:
                return RandomValue(rng, u.Schemas[rng.Next(u.Count)], depth + 1);
        }
        return schema.Tag switch
        {
            ApacheSchema.Type.Null => null,
            ApacheSchema.Type.Boolean => rng.Next(2) == 1,
            ApacheSchema.Type.Int => rng.Next(4) switch { 0 => int.MinValue, 1 => int.MaxValue, _ => rng.Next(-1000, 1000) },
            ApacheSchema.Type.Long => rng.Next(3) switch { 0 => long.MinValue, 1 => long.MaxValue, _ => rng.NextInt64(-100_000, 100_000) },
            ApacheSchema.Type.Float => (float)(rng.NextDouble() * 1000 - 500),
            ApacheSchema.Type.Double => rng.NextDouble() * 1e9 - 5e8,
            ApacheSchema.Type.Bytes => Encoding.UTF8.GetBytes(Words[rng.Next(Words.Length)]),
            ApacheSchema.Type.String => Words[rng.Next(Words.Length)],
            var t => throw new InvalidOperationException($"no values for {t}"),
        };
    }

    /// <summary>Random schemas: every Avro type, nested up to four levels, unions of distinct kinds.</summary>
    private sealed class SchemaMaker(Random rng)
    {
        private static readonly string[] Primitives = ["\"null\"", "\"boolean\"", "\"int\"", "\"long\"", "\"float\"", "\"double\"", "\"bytes\"", "\"string\""];
        private int _names;

        public string Make() => Record(0);

        // A writer and a reader that can read it: the reader drops some fields, adds some with defaults and promotes
        // int/long/float to wider types. No renames: Apache.Avro 1.12's resolving reader ignores field aliases (the
        // click event's renames are checked against the writer's own fields below).
        public (string Writer, string Reader) MakeEvolvedPair()
        {
            var fields = new List<(string Name, string Type)>();
            for (var i = rng.Next(1, 6); i > 0; i--) fields.Add(($"f{i}", Type(1)));
            var writer = RecordOf("W", fields.Select(f => $"{{\"name\":\"{f.Name}\",\"type\":{f.Type}}}"));
            var readerFields = new List<string>();
            foreach (var (name, type) in fields)
            {
                switch (rng.Next(3))
                {
                    case 0: continue; // dropped
                    case 1:
                        var wider = type switch { "\"int\"" => "\"long\"", "\"long\"" => "\"float\"", "\"float\"" => "\"double\"", _ => type };
                        readerFields.Add($"{{\"name\":\"{name}\",\"type\":{wider}}}");
                        break;
                    default:
                        readerFields.Add($"{{\"name\":\"{name}\",\"type\":{type}}}");
                        break;
                }
            }
            readerFields.Add("{\"name\":\"added\",\"type\":[\"null\",\"string\"],\"default\":null}");
            readerFields.Add("{\"name\":\"count\",\"type\":\"long\",\"default\":42}");
            return (writer, RecordOf("W", readerFields));
        }

        private string Record(int depth)
        {
            var fields = Enumerable.Range(0, rng.Next(1, 5)).Select(i => $"{{\"name\":\"f{i}\",\"type\":{Type(depth + 1)}}}");
            return RecordOf("R" + (_names++).ToString(CultureInfo.InvariantCulture), fields);
        }

        private static string RecordOf(string name, IEnumerable<string> fields) =>
            $"{{\"type\":\"record\",\"name\":\"{name}\",\"namespace\":\"t\",\"fields\":[{string.Join(",", fields)}]}}";

        private string Type(int depth)
        {
            var kind = depth >= 4 ? 0 : rng.Next(10);
            var n = (_names++).ToString(CultureInfo.InvariantCulture);
            return kind switch
            {
                4 => $"{{\"type\":\"enum\",\"name\":\"E{n}\",\"symbols\":[{string.Join(",", Enumerable.Range(0, rng.Next(1, 5)).Select(i => $"\"S{i}\""))}]}}",
                5 => $"{{\"type\":\"fixed\",\"name\":\"F{n}\",\"size\":{rng.Next(1, 9)}}}",
                6 => $"{{\"type\":\"array\",\"items\":{Type(depth + 1)}}}",
                7 => $"{{\"type\":\"map\",\"values\":{Type(depth + 1)}}}",
                8 => Record(depth),
                9 => $"[\"null\",{Primitives[rng.Next(2, Primitives.Length)]}]",
                _ => Primitives[rng.Next(Primitives.Length)],
            };
        }
    }
}
