using BenchmarkDotNet.Attributes;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;

namespace Sluice.Benchmarks.Schemas;

/// <summary>Decode speed of generated v3 click events in the Confluent wire format, through the processor's decoder.</summary>
/// <remarks>
/// The frames are what <c>sluice produce --format avro</c> sends: the generator's sessions (users, anonymous visitors,
/// bots, the product catalogue, searches) re-encoded by <see cref="AvroTrafficWriter"/>, faults off so every frame decodes.
/// Each operation is one frame through <see cref="ClickEventDecoder"/>: magic byte, schema id, plan, v3 fast path and
/// the field-length check. The target is under 333 ns per frame, 3 million decodes per second on one core.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickEventAvroDecodeBenchmarks
{
    private const int Frames = 20_000;
    private const int StreamFrames = 400_000;
    private const int SchemaId = 3;
    private byte[][] _frames = null!;
    private byte[][] _stream = null!;
    private ClickEventDecoder _decoder = null!;
    private ClickEventAvro _fieldByField = null!;
    private ClickEventAvro _withRuns = null!;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new GeneratorSettings
        {
            MaxEvents = Frames,
            Cdc = false,
            MalformedRate = 0,
            LateRate = 0,
            DuplicateRate = 0,
        };
        _frames = Generate(settings);
        _stream = Generate(settings with { MaxEvents = StreamFrames });
        _decoder = new ClickEventDecoder(new StaticSchemaSource().Add(SchemaId, EventSchemas.V3));
        _fieldByField = new ClickEventAvro(runCaches: false);
        _withRuns = new ClickEventAvro();
        if (Decode() != _frames.Length || BodiesFieldByField() != _frames.Length || BodiesWithRunCaches() != _frames.Length
            || DecodeStream() != _stream.Length)
        {
            throw new InvalidOperationException("a generated frame did not decode");
        }
    }

    private static byte[][] Generate(GeneratorSettings settings)
    {
        var capture = new CaptureSink();
        using (var sink = new AvroTrafficWriter(capture, SchemaId))
            GeneratorRunner.Run(new ClickstreamGenerator(settings), sink);
        return [.. capture.Frames];
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "decode generated v3 frames (ClickEventDecoder)")]
    public int Decode()
    {
        var ok = 0;
        var decoder = _decoder;
        foreach (var frame in _frames)
        {
            if (decoder.TryDecode(frame, out _, out _)) ok++;
        }
        return ok;
    }

    // The 20,000 frames above repeat, so after the first pass every session and visitor is cached. A stream does not
    // repeat: 400,000 frames hold about 80,000 sessions, more than the caches keep, so new sessions miss as they would
    // live. This is the figure to expect in a processor; the one above is the decoder's best case.
    [Benchmark(OperationsPerInvoke = StreamFrames, Description = "decode a 400,000-frame stream (ClickEventDecoder)")]
    public int DecodeStream()
    {
        var ok = 0;
        var decoder = _decoder;
        foreach (var frame in _stream)
        {
            if (decoder.TryDecode(frame, out _, out _)) ok++;
        }
        return ok;
    }

    // The v3 body alone (no header, plan or length check), to compare the string lookups side by side in one run.
    [Benchmark(OperationsPerInvoke = Frames, Description = "v3 bodies, every string field looked up on its own")]
    public int BodiesFieldByField() => DecodeBodies(_fieldByField);

    [Benchmark(OperationsPerInvoke = Frames, Description = "v3 bodies, runs of fields looked up together")]
    public int BodiesWithRunCaches() => DecodeBodies(_withRuns);

    private int DecodeBodies(ClickEventAvro codec)
    {
        var ok = 0;
        foreach (var frame in _frames)
        {
            if (codec.TryRead(frame.AsSpan(ConfluentWireFormat.HeaderLength), out _, out _)) ok++;
        }
        return ok;
    }

    private sealed class CaptureSink : ITrafficWriter
    {
        public List<byte[]> Frames { get; } = [];

        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) Frames.Add(record.Payload.ToArray());
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
