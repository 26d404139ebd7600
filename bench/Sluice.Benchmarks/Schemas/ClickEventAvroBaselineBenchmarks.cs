using BenchmarkDotNet.Attributes;
using Sluice.Generate;
using Sluice.Generate.Sinks;
using Sluice.Schemas.Avro;
using Sluice.Schemas.Events;

namespace Sluice.Benchmarks.Schemas;

/// <summary>The v3 body decode against a frozen copy of the previous decoder (Baseline/), on the same generated frames.</summary>
/// <remarks>
/// BenchmarkDotNet runs the two one after the other, so on a shared machine their ratio still drifts with the load; the
/// figures in docs/schemas.md come from alternating single passes of both in one process. Both are given the same
/// 20,000 frames as <see cref="ClickEventAvroDecodeBenchmarks"/> (cached after the first pass) and a 400,000-frame stream
/// (about 80,000 sessions, so new sessions miss as they would live).
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickEventAvroBaselineBenchmarks
{
    private const int Frames = 20_000;
    private const int StreamFrames = 400_000;
    private byte[][] _frames = null!;
    private byte[][] _stream = null!;
    private Baseline.ClickEventAvro _baseline = null!;
    private ClickEventAvro _current = null!;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new GeneratorSettings { MaxEvents = Frames, Cdc = false, MalformedRate = 0, LateRate = 0, DuplicateRate = 0 };
        _frames = Generate(settings);
        _stream = Generate(settings with { MaxEvents = StreamFrames });
        _baseline = new Baseline.ClickEventAvro();
        _current = new ClickEventAvro();
        if (Previous() != Frames || Current() != Frames || PreviousStream() != StreamFrames || CurrentStream() != StreamFrames)
            throw new InvalidOperationException("a generated frame did not decode");
    }

    private static byte[][] Generate(GeneratorSettings settings)
    {
        var frames = new List<byte[]>();
        using (var sink = new AvroSink(new Capture(frames), 3))
            GeneratorRunner.Run(new ClickstreamGenerator(settings), sink);
        return [.. frames];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames, Description = "v3 bodies, previous decoder")]
    public int Previous()
    {
        var ok = 0;
        foreach (var frame in _frames)
        {
            if (_baseline.TryRead(frame.AsSpan(ConfluentWireFormat.HeaderLength), out _, out _)) ok++;
        }
        return ok;
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "v3 bodies, current decoder")]
    public int Current()
    {
        var ok = 0;
        foreach (var frame in _frames)
        {
            if (_current.TryRead(frame.AsSpan(ConfluentWireFormat.HeaderLength), out _, out _)) ok++;
        }
        return ok;
    }

    [Benchmark(OperationsPerInvoke = StreamFrames, Description = "400,000-frame stream, previous decoder")]
    public int PreviousStream()
    {
        var ok = 0;
        foreach (var frame in _stream)
        {
            if (_baseline.TryRead(frame.AsSpan(ConfluentWireFormat.HeaderLength), out _, out _)) ok++;
        }
        return ok;
    }

    [Benchmark(OperationsPerInvoke = StreamFrames, Description = "400,000-frame stream, current decoder")]
    public int CurrentStream()
    {
        var ok = 0;
        foreach (var frame in _stream)
        {
            if (_current.TryRead(frame.AsSpan(ConfluentWireFormat.HeaderLength), out _, out _)) ok++;
        }
        return ok;
    }

    private sealed class Capture(List<byte[]> frames) : IRecordSink
    {
        public void Write(in GeneratedRecord record)
        {
            if (record.Kind == RecordKind.Click) frames.Add(record.Payload.ToArray());
        }

        public void Flush(CancellationToken cancellationToken = default) { }

        public void Dispose() { }
    }
}
