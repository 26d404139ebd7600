using BenchmarkDotNet.Attributes;
using Sluice.Core.Events;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.Benchmarks.Schemas;

/// <summary>Avro encode and decode of the v3 click event: the fast path, and the resolving path for a v1 writer.</summary>
[MemoryDiagnoser]
[OperationsPerSecond]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickEventAvroBenchmarks
{
    private const int Varied = 1024;
    private readonly ClickEventAvro _codec = new();
    private readonly AvroBuffer _buffer = new(512);
    private ClickEventAvroDeserializer _deserializer = null!;
    private ClickEvent _event = null!;
    private byte[] _body = null!;
    private byte[] _frame = null!;
    private byte[] _v1Frame = null!;
    private AvroDecoder _generic = null!;
    private byte[][] _variedBodies = null!;

    [GlobalSetup]
    public void Setup()
    {
        _event = new ClickEvent
        {
            EventId = Guid.Parse("3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
            EventType = EventType.Purchase,
            Timestamp = 1_763_700_000_000,
            UserId = "u-0004217",
            SessionId = "s-7f3a9c2e",
            ProductId = "p-000731",
            ProductCategory = "books",
            PriceCents = 1999,
            Quantity = 2,
            PageUrl = "https://shop.example/product/p-000731",
            Referrer = "https://search.example/",
            UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
            IpAddress = "10.1.2.0",
            GeoCountry = "DE",
            GeoCity = "Berlin",
            UserSegment = "returning",
            DeviceType = "desktop",
            Browser = "firefox",
        };
        _body = ClickEventAvro.ToBytes(_event);
        _frame = new ClickEventAvroSerializer(3).Serialize(_event);
        var v1 = new AvroBuffer();
        ConfluentWireFormat.WriteHeader(v1, 1);
        AvroEncoder.Encode(EventSchemas.V1, ClickEventAvro.ToRecord(_event, (RecordSchema)EventSchemas.V1), v1);
        _v1Frame = v1.ToArray();
        _deserializer = new ClickEventAvroDeserializer(new StaticSchemaSource().Add(1, EventSchemas.V1).Add(3, EventSchemas.V3));
        _generic = AvroDecoder.Create(EventSchemas.V3);

        // Distinct ids per event, products from a 5,000-item catalog, a handful of countries, devices and
        // browsers: what the string cache sees in real traffic, not one event repeated.
        var rng = new Random(42);
        string[] countries = ["DE", "FR", "US", "GB", "PL", "NL", "ES", "IT"];
        string[] devices = ["desktop", "mobile", "tablet"];
        string[] browsers = ["firefox", "chrome", "safari", "edge"];
        string[] segments = ["new", "returning", "loyal", "at_risk"];
        _variedBodies = new byte[Varied][];
        for (var i = 0; i < Varied; i++)
        {
            var e = _event with
            {
                EventId = Guid.NewGuid(),
                EventType = (EventType)(i % 6),
                Timestamp = _event.Timestamp + i * 37,
                UserId = i % 5 == 0 ? null : $"u-{rng.Next(1_000_000):D7}",
                SessionId = $"s-{rng.Next():x8}",
                ProductId = $"p-{rng.Next(5_000):D6}",
                PriceCents = i % 3 == 0 ? null : rng.Next(100, 100_000),
                PageUrl = $"https://shop.example/product/p-{rng.Next(5_000):D6}",
                GeoCountry = countries[rng.Next(countries.Length)],
                DeviceType = devices[rng.Next(devices.Length)],
                Browser = browsers[rng.Next(browsers.Length)],
                UserSegment = segments[rng.Next(segments.Length)],
            };
            _variedBodies[i] = ClickEventAvro.ToBytes(e);
        }
    }

    [Benchmark(Baseline = true, Description = "decode v3 body (fast path)")]
    public ClickEvent? DecodeV3()
    {
        _codec.TryRead(_body, out var e, out _);
        return e;
    }

    [Benchmark(OperationsPerInvoke = Varied, Description = "decode v3 body, 1024 varied events")]
    public int DecodeV3Varied()
    {
        var ok = 0;
        foreach (var body in _variedBodies)
        {
            if (_codec.TryRead(body, out _, out _)) ok++;
        }
        return ok;
    }

    [Benchmark(Description = "deserialize v3 frame (header + plan + fast path)")]
    public ClickEvent? DeserializeV3Frame()
    {
        _deserializer.TryDeserialize(_frame, out var e, out _);
        return e;
    }

    [Benchmark(Description = "encode v3 body")]
    public int EncodeV3()
    {
        _buffer.Reset();
        ClickEventAvro.Write(_event, _buffer);
        return _buffer.Length;
    }

    [Benchmark(Description = "deserialize v1 frame resolved to v3 (generic)")]
    public ClickEvent? DeserializeV1Frame()
    {
        _deserializer.TryDeserialize(_v1Frame, out var e, out _);
        return e;
    }

    [Benchmark(Description = "decode v3 body to a generic record")]
    public object? DecodeV3Generic()
    {
        _generic.TryDecode(_body, out var value, out _);
        return value;
    }
}
