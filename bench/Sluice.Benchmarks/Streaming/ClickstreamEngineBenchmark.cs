using BenchmarkDotNet.Attributes;
using Sluice.App.Bench;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;

namespace Sluice.Benchmarks.Streaming;

/// <summary>The full clickstream chain in process over generator traffic, pre-encoded in either wire format (see <see cref="EngineBenchmark"/>).</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickstreamEngineBenchmark
{
    private EngineBenchmarkInput _input = null!;

    [Params(200_000)]
    public int Events { get; set; }

    [Params(1, 2)]
    public int Partitions { get; set; }

    [Params(PayloadFormat.Avro, PayloadFormat.Json)]
    public PayloadFormat Format { get; set; }

    [GlobalSetup]
    public void Setup() => _input = EngineBenchmark.Generate(Events, Partitions, Format);

    [Benchmark(OperationsPerInvoke = 200_000)]
    public double Process() => EngineBenchmark.RunPartitioned(_input.Partitions, warmUp: false, schemas: _input.Schemas).EventsPerSecond;
}

/// <summary>Decoding alone: generator JSON bytes to <see cref="Sluice.Core.Events.ClickEvent"/>.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickEventDecodeBenchmark
{
    private List<byte[]> _payloads = null!;

    [GlobalSetup]
    public void Setup() => _payloads = EngineBenchmark.Generate(10_000, 1, PayloadFormat.Json).Partitions[0];

    [Benchmark(OperationsPerInvoke = 10_000)]
    public int Decode()
    {
        var ok = 0;
        foreach (var p in _payloads)
            if (Sluice.Core.Events.ClickEventJson.TryRead(p, out _, out _)) ok++;
        return ok;
    }
}
