using BenchmarkDotNet.Attributes;
using Sluice.Pipelines.Clickstream;

namespace Sluice.Benchmarks.Streaming;

/// <summary>The full clickstream chain in process over pre-encoded JSON events (see <see cref="EngineBenchmark"/>).</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickstreamEngineBenchmark
{
    private List<byte[]>[] _partitioned = null!;

    [Params(200_000)]
    public int Events { get; set; }

    [Params(1, 2)]
    public int Partitions { get; set; }

    [GlobalSetup]
    public void Setup() => _partitioned = EngineBenchmark.Split(SampleEvents.Generate(Events), Partitions);

    [Benchmark(OperationsPerInvoke = 200_000)]
    public double Process() => EngineBenchmark.RunPartitioned(_partitioned, warmUp: false).EventsPerSecond;
}

/// <summary>Decoding alone: JSON bytes to <see cref="Sluice.Core.Events.ClickEvent"/>.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class ClickEventDecodeBenchmark
{
    private List<byte[]> _payloads = null!;

    [GlobalSetup]
    public void Setup() => _payloads = SampleEvents.Generate(10_000);

    [Benchmark(OperationsPerInvoke = 10_000)]
    public int Decode()
    {
        var ok = 0;
        foreach (var p in _payloads)
            if (Sluice.Core.Events.ClickEventJson.TryRead(p, out _, out _)) ok++;
        return ok;
    }
}
