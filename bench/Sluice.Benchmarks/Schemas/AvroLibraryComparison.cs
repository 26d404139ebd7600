using System.Diagnostics;
using Avro.Generic;
using Avro.IO;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Schemas.Events;

namespace Sluice.Benchmarks.Schemas;

/// <summary>
/// Same-process A/B of the click event's decode: Sluice's v3 fast path (<see cref="ClickEventAvro"/>) against Apache.Avro's
/// <see cref="GenericDatumReader{T}"/> plus the copy into a <see cref="ClickEvent"/>, over one stream of generated frames.
/// </summary>
/// <remarks>
/// The fast path is kept only if it is clearly faster; this is the measurement that says so. Passes of each are
/// alternated so that load from other processes falls on both; the figure is process CPU time per event.
/// Run: <c>dotnet run -c Release --project bench/Sluice.Benchmarks -- avro-library [frames] [pairs]</c>.
/// </remarks>
internal static class AvroLibraryComparison
{
    public static int Run(string[] args)
    {
        var frames = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var pairs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var bodies = Generate(frames);
        Console.WriteLine($"{bodies.Length:N0} generated v3 bodies, {bodies.Sum(b => (long)b.Length) / bodies.Length} bytes on average");
        var schema = (Avro.RecordSchema)Avro.Schema.Parse(EventSchemas.V3Json);
        var fast = new List<double>();
        var library = new List<double>();
        for (var pair = 0; pair < pairs; pair++)
        {
            fast.Add(Measure(bodies, FastPass(new ClickEventAvro())));
            library.Add(Measure(bodies, LibraryPass(new GenericDatumReader<GenericRecord>(schema, schema))));
            Console.WriteLine($"pair {pair + 1}: fast path {fast[^1]:F0} ns/event, Apache.Avro {library[^1]:F0} ns/event");
        }
        fast.Sort();
        library.Sort();
        Console.WriteLine($"median: fast path {fast[pairs / 2]:F0} ns/event, Apache.Avro {library[pairs / 2]:F0} ns/event ({library[pairs / 2] / fast[pairs / 2]:F1}x)");
        return 0;
    }

    private static double Measure(byte[][] bodies, Func<byte[][], int> pass)
    {
        GC.Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var ok = pass(bodies);
        var spent = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (ok != bodies.Length) throw new InvalidOperationException($"{bodies.Length - ok} bodies did not decode");
        return spent.TotalNanoseconds / bodies.Length;
    }

    private static Func<byte[][], int> FastPass(ClickEventAvro codec) => bodies =>
    {
        var ok = 0;
        foreach (var body in bodies) if (codec.TryRead(body, out _, out _)) ok++;
        return ok;
    };

    private static Func<byte[][], int> LibraryPass(GenericDatumReader<GenericRecord> reader) => bodies =>
    {
        var ok = 0;
        foreach (var body in bodies)
        {
            var record = reader.Read(null!, new BinaryDecoder(new MemoryStream(body, writable: false)));
            if (ToEvent(record).EventId != Guid.Empty) ok++;
        }
        return ok;
    };

    // What a library path must do after reading: the same ClickEvent the fast path returns.
    private static ClickEvent ToEvent(GenericRecord r) => new()
    {
        EventId = (Guid)r["event_id"],
        EventType = (EventType)((GenericEnum)r["event_type"]).Schema.Ordinal(((GenericEnum)r["event_type"]).Value),
        Timestamp = new DateTimeOffset((DateTime)r["timestamp"]).ToUnixTimeMilliseconds(),
        UserId = (string?)r["user_id"],
        SessionId = (string)r["session_id"],
        ProductId = (string?)r["product_id"],
        ProductCategory = (string?)r["product_category"],
        PriceCents = (long?)r["price_cents"],
        Quantity = (int?)r["quantity"],
        SearchQuery = (string?)r["search_query"],
        PageUrl = (string?)r["page_url"],
        Referrer = (string?)r["referrer"],
        UserAgent = (string?)r["user_agent"],
        IpAddress = (string?)r["ip_address"],
        GeoCountry = (string?)r["geo_country"],
        GeoCity = (string?)r["geo_city"],
        UserSegment = (string?)r["user_segment"],
        DeviceType = (string?)r["device_type"],
        Browser = (string?)r["browser"],
        CampaignId = (string?)r["campaign_id"],
        SchemaVersion = (int)r["schema_version"],
    };

    private static byte[][] Generate(int frames)
    {
        var settings = new GeneratorSettings { MaxEvents = frames, Cdc = false, MalformedRate = 0, LateRate = 0, DuplicateRate = 0 };
        var capture = new Bodies();
        using (var sink = new AvroTrafficWriter(capture, 1))
            GeneratorRunner.Run(new ClickstreamGenerator(settings), sink);
        return [.. capture.List];
    }

    private sealed class Bodies : ITrafficWriter
    {
        public List<byte[]> List { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) List.Add(record.Payload.Span[5..].ToArray());
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
