using Sluice.Core.Errors;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.UnitTests.Schemas;

/// <summary>Random and mutated frames: every one decodes to a valid event or lands in the DLQ with a known reason.</summary>
public sealed class AvroFuzzTests
{
    public const int Payloads = 100_000;

    [Fact]
    public void every_random_or_mutated_payload_decodes_or_gets_a_reason_code()
    {
        var deserializer = new ClickEventAvroDeserializer(new StaticSchemaSource().Add(1, EventSchemas.V1).Add(2, EventSchemas.V2).Add(3, EventSchemas.V3));
        var rng = new Random(20261121);
        var seeds = new[]
        {
            new ClickEventAvroSerializer(3).Serialize(SampleEvents.Purchase()),
            new ClickEventAvroSerializer(3).Serialize(SampleEvents.AnonymousSearch()),
            Frame(1, EventSchemas.V1), Frame(2, EventSchemas.V2),
        };
        // An event id the JSON decoder refuses too gets the same code from Avro.
        var known = new HashSet<string>([.. AvroReasonCodes.All, ReasonCodes.EmptyEventId, ReasonCodes.EventIdTooLong]);
        int decoded = 0, rejected = 0;
        var codes = new Dictionary<string, int>();

        for (var i = 0; i < Payloads; i++)
        {
            var payload = Next(rng, seeds, i);
            ClickEvent? e;
            DecodeError error;
            try
            {
                var ok = deserializer.TryDeserialize(payload, out e, out error);
                Assert.Equal(ok, e is not null);
            }
            catch (Exception ex)
            {
                Assert.Fail($"payload {Convert.ToHexString(payload)} threw {ex.GetType().Name}: {ex.Message}");
                throw;
            }
            if (e is not null)
            {
                decoded++;
                Assert.True(Enum.IsDefined(e.EventType));
                Assert.NotNull(e.SessionId);
            }
            else
            {
                rejected++;
                Assert.Contains(error.ReasonCode, known);
                Assert.False(string.IsNullOrEmpty(error.Detail));
                codes[error.ReasonCode] = codes.GetValueOrDefault(error.ReasonCode) + 1;
            }
        }

        Assert.Equal(Payloads, decoded + rejected);
        Assert.True(decoded > 0, "some mutations keep a frame valid");
        foreach (var code in new[] { AvroReasonCodes.BadMagic, AvroReasonCodes.UnknownSchema, AvroReasonCodes.Truncated, AvroReasonCodes.LengthOutOfRange, AvroReasonCodes.TrailingBytes })
        {
            Assert.True(codes.ContainsKey(code), $"no payload produced {code}");
        }
    }

    private static byte[] Frame(int id, AvroSchema schema)
    {
        var buffer = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(buffer, id);
        AvroEncoder.Encode(schema, ClickEventAvro.ToRecord(SampleEvents.Purchase(), (RecordSchema)schema), buffer);
        return buffer.ToArray();
    }

    internal static byte[] Next(Random rng, byte[][] seeds, int i)
    {
        var seed = seeds[i % seeds.Length];
        switch (i % 8)
        {
            case 0: // pure noise
                var noise = new byte[rng.Next(0, 200)];
                rng.NextBytes(noise);
                return noise;
            case 1: // noise behind a valid header
                var body = new byte[rng.Next(0, 200)];
                rng.NextBytes(body);
                return [.. seed[..5], .. body];
            case 2: // truncated
                return seed[..rng.Next(0, seed.Length)];
            case 3: // extended with garbage
                var tail = new byte[rng.Next(1, 8)];
                rng.NextBytes(tail);
                return [.. seed, .. tail];
            case 4: // one varint-sized slot set to extreme bytes
                var copy = (byte[])seed.Clone();
                var at = rng.Next(5, copy.Length);
                for (var k = at; k < Math.Min(copy.Length, at + rng.Next(1, 12)); k++) copy[k] = (byte)(rng.Next(2) == 0 ? 0xFF : 0x80);
                return copy;
            default: // a few random bit flips anywhere, header included
                var flipped = (byte[])seed.Clone();
                for (var k = rng.Next(1, 4); k > 0; k--) flipped[rng.Next(flipped.Length)] ^= (byte)(1 << rng.Next(8));
                return flipped;
        }
    }
}
