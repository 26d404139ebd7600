using BenchmarkDotNet.Attributes;
using Sluice.Core.Configuration;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Kafka;

namespace Sluice.Benchmarks.Generate;

/// <summary>Generation speed: to a null writer (the generator alone) and through the embedded broker (the Kafka client too).</summary>
/// <remarks>Each operation is one click record; a run produces <see cref="Events"/> of them with the default fault rates and CDC.</remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class GeneratorBenchmarks
{
    private const int Events = 500_000;
    private EmbeddedBroker? _broker;
    private KafkaClientFactory? _factory;
    private ClickstreamGenerator _generator = null!;

    private static GeneratorSettings Settings => new() { MaxEvents = Events };

    [GlobalSetup(Target = nameof(EmbeddedBroker))]
    public void StartBroker()
    {
        var settings = Settings;
        _broker = Sluice.Kafka.EmbeddedBroker.Start(1, [new TopicSpec(settings.EventsTopic, 6), new TopicSpec(settings.CdcTopic, 6)]);
        _factory = new KafkaClientFactory(new KafkaOptions(), _broker.BootstrapServers);
    }

    [GlobalCleanup(Target = nameof(EmbeddedBroker))]
    public void StopBroker() => _broker?.Dispose();

    // The pool and catalog take milliseconds to build; they are not what is measured.
    [IterationSetup]
    public void NewGenerator() => _generator = new ClickstreamGenerator(Settings);

    [Benchmark(OperationsPerInvoke = Events)]
    public long NullTrafficWriter()
    {
        var writer = new NullTrafficWriter();
        GeneratorRunner.Run(_generator, writer);
        return writer.Bytes;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public long EmbeddedBroker()
    {
        using var writer = KafkaTrafficWriter.Create(_factory!, "bench");
        GeneratorRunner.Run(_generator, writer);
        return writer.Delivered;
    }
}
