using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.App.Demo;
using Sluice.App.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Hosting;

namespace Sluice.App.Bench;

/// <summary>What <c>bench e2e</c> runs: events per round, members, rounds, wire format, and which stores.</summary>
/// <param name="Sinks">Stores by name (<see cref="Hosting.SinkCatalog.Names"/>); null for the demo's default (<see cref="DemoSinks.Default"/>), empty for none.</param>
/// <param name="Rate">Click records per second; 0 as fast as possible.</param>
public sealed record E2eBenchmarkSettings(long Events, int Processors, int Rounds, PayloadFormat Format, IReadOnlyList<string>? Sinks, int Rate = 0);

/// <summary>One round: the pipeline over fresh topics, then a plain consumer over the same input on the same broker.</summary>
/// <param name="Produced">Click records produced.</param>
/// <param name="Pipeline">From the first record produced until every output was read and every sink had stored it.</param>
/// <param name="BareMessages">Input records the plain consumer read: what the broker still held (it keeps 5 MiB per partition).</param>
/// <param name="Bare">The plain consumer's time from its assignment to its last record.</param>
/// <param name="CpuSeconds">The process's CPU time over the pipeline's run (host start to end, joining the group included).</param>
/// <param name="BareCpuSeconds">The process's CPU time while the plain consumer read (nothing else runs then).</param>
/// <param name="Threads">CPU per thread over the same span.</param>
public sealed record E2eRound(
    long Produced, TimeSpan Pipeline, long BareMessages, TimeSpan Bare, double CpuSeconds, double BareCpuSeconds,
    IReadOnlyList<LatencySummary> Latency, IReadOnlyList<ThreadCpu> Threads, PipelineDemoSnapshot Snapshot, IReadOnlyList<string> Sinks)
{
    public double PipelineRate => Produced / Math.Max(Pipeline.TotalSeconds, 1e-9);
    public double BareRate => BareMessages / Math.Max(Bare.TotalSeconds, 1e-9);
    public double Ratio => PipelineRate / Math.Max(BareRate, 1e-9);
    public double CpuMicrosPerEvent => CpuSeconds * 1e6 / Math.Max(1, Produced);
    public double BareCpuMicrosPerRecord => BareCpuSeconds * 1e6 / Math.Max(1, BareMessages);
}

/// <summary>
/// <c>bench e2e</c>: the demo's own composition (<see cref="PipelineDemo"/>: generator → embedded broker → processor members →
/// the stores <see cref="DemoSinks"/> registers, and the output reader) over a fresh embedded broker per round, measured from
/// the first event produced to the last output stored; then, on the same broker, a plain consumer reads the same input
/// topic, so the ratio of the two rates is taken under the same load. Rounds alternate the two.
/// </summary>
public static class E2eBenchmark
{
    /// <summary>Checks the settings before anything starts: the demo's checks, the stores' among them.</summary>
    /// <exception cref="ConfigurationException">Naming the key or the store.</exception>
    public static void Validate(SluiceOptions options, E2eBenchmarkSettings settings, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        PipelineDemo.Validate(options, DemoSettings(options, settings, null));
    }

    /// <summary>Runs <see cref="E2eBenchmarkSettings.Rounds"/> rounds; each checks its outputs against the ground truth.</summary>
    public static IReadOnlyList<E2eRound> Run(SluiceOptions options, E2eBenchmarkSettings settings, ILoggerFactory loggers,
        Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        Validate(options, settings, loggers);
        var rounds = new List<E2eRound>();
        for (var i = 1; i <= settings.Rounds; i++)
        {
            progress?.Invoke($"round {i} of {settings.Rounds}: pipeline");
            rounds.Add(RunRound(options, settings, loggers, () => progress?.Invoke($"round {i} of {settings.Rounds}: bare consume"), cancellationToken));
        }
        return rounds;
    }

    private static PipelineDemoSettings DemoSettings(SluiceOptions options, E2eBenchmarkSettings settings, PipelineProbes? probes) => new()
    {
        Events = settings.Events,
        Processors = settings.Processors,
        Rate = settings.Rate,
        Format = settings.Format,
        Sinks = settings.Sinks ?? DemoSinks.Default(options),
        Probes = probes,
    };

    private static E2eRound RunRound(SluiceOptions options, E2eBenchmarkSettings settings, ILoggerFactory loggers, Action bare, CancellationToken ct)
    {
        using var connection = KafkaConnection.OpenEmbedded(options, loggers);
        foreach (var topic in PipelineTopics.All(options)) connection.Embedded!.CreateTopic(topic, options.Kafka.Partitions);

        var probe = new LatencyProbe(PipelineDemo.TopologyOptions(options).EnrichedTopic);
        var probes = new PipelineProbes
        {
            Producer = probe.WrapProducer,
            OutputRead = r => probe.Visible("output reader", r.Topic, r.Message.Value),
            Sink = probe.WrapSink,
        };
        var demoSettings = DemoSettings(options, settings, probes);
        var sinks = demoSettings.Sinks;
        var demo = new PipelineDemo(options, connection.Factory, demoSettings, loggers);

        using var sampler = new ThreadCpuSampler();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        sampler.Start(TimeSpan.FromMilliseconds(200));
        demo.RunAsync(ct).GetAwaiter().GetResult();
        var threads = sampler.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var snapshot = demo.Snapshot();
        var elapsed = demo.StoredElapsed ?? throw new SluiceException("the pipeline ended before every output was stored", isTransient: true);

        bare();
        process.Refresh();
        var bareBefore = process.TotalProcessorTime;
        var (messages, took) = ConsumeInput(connection, options, ct);
        process.Refresh();
        var bareCpu = (process.TotalProcessorTime - bareBefore).TotalSeconds;
        return new E2eRound(snapshot.Produced, elapsed, messages, took, cpu, bareCpu, probe.Summaries(), threads, snapshot, sinks);
    }

    // A plain consumer reads what the broker holds of the input topic as fast as it can, with the client settings the members
    // use. It is assigned the partitions (no group to join), and timed from the assignment: what it prefetches counts.
    private static (long Messages, TimeSpan Elapsed) ConsumeInput(KafkaConnection connection, SluiceOptions options, CancellationToken ct)
    {
        var factory = connection.Factory;
        var topic = options.Kafka.Topics.Events;
        var consumer = factory.CreateConsumer($"bench-bare-{Guid.NewGuid():N}", "bare");
        try
        {
            long held = 0;
            var start = new List<TopicPartitionOffset>();
            for (var p = 0; p < options.Kafka.Partitions; p++)
            {
                var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
                held += w.High.Value - w.Low.Value;
                start.Add(new TopicPartitionOffset(topic, p, w.Low));
            }
            if (held == 0) return (0, TimeSpan.Zero);
            var watch = Stopwatch.StartNew();
            consumer.Assign(start);
            long consumed = 0;
            while (consumed < held && !ct.IsCancellationRequested)
            {
                var r = consumer.Consume(TimeSpan.FromSeconds(30));
                if (r is null)
                    throw new SluiceException($"the plain consumer read {consumed:N0} of the {held:N0} input records the broker holds, then nothing for 30 s", isTransient: true);
                if (!r.IsPartitionEOF) consumed++;
            }
            return (consumed, watch.Elapsed);
        }
        finally
        {
            factory.Close(consumer);
        }
    }
}
