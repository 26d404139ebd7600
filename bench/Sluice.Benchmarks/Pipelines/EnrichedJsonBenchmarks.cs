using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.App.Bench;
using Sluice.Pipelines.Clickstream;

namespace Sluice.Benchmarks.Pipelines;

/// <summary>clickstream.enriched's JSON, written for every valid event: generated traffic decoded from Avro, as the processor holds it.</summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 5)]
public class EnrichedJsonBenchmarks
{
    private const int Events = 16_384;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private List<EnrichedEvent> _events = null!;

    [GlobalSetup]
    public void Setup()
    {
        var input = EngineBenchmark.Generate(20_000, 1);
        var decoder = new ClickEventDecoder(input.Schemas!);
        _events = [];
        foreach (var payload in input.Partitions[0])
        {
            if (_events.Count == Events) break;
            if (!decoder.TryDecode(payload, out var e, out _) || e!.Timestamp <= 0) continue;
            _events.Add(new EnrichedEvent
            {
                Event = e, Country = EnrichProcessor.NormalizeCountryCode(e.GeoCountry), SearchQuery = EnrichProcessor.NormalizeQuery(e.SearchQuery),
                EventHour = 12, EventDate = new DateOnly(2026, 11, 21), ProcessingTimeMs = 1_795_000_000_000, IngestLagMs = 1_500, Partition = 1, Offset = 42,
            });
        }
        if (_events.Count < Events) throw new InvalidOperationException($"only {_events.Count} valid events generated");
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long Write()
    {
        long bytes = 0;
        foreach (var e in _events)
        {
            _buffer.ResetWrittenCount();
            ClickstreamJson.Write(e, _buffer);
            bytes += _buffer.WrittenCount;
        }
        return bytes;
    }
}
