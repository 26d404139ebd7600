using System.Diagnostics;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.App.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Generate.Domains;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Hosting;
using Sluice.Verification;

namespace Sluice.App.Demo;

/// <summary>How much a domain demo generates, from which seed, and with how many processor members.</summary>
public sealed record DomainDemoSettings
{
    /// <summary>Records to produce, duplicates included.</summary>
    public int Events { get; init; } = 20_000;

    /// <summary>The generator's seed: the same seed, the same readings.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Processor group members to run in this process.</summary>
    public int Processors { get; init; } = 1;

    /// <summary>How readings travel: Avro frames of the schema generated from the file (registered first), or JSON.</summary>
    public Generate.Writers.PayloadFormat Format { get; init; } = Generate.Writers.PayloadFormat.Avro;
}

/// <summary>What the pipeline wrote to the domain's topics, read back from them.</summary>
/// <param name="Rows">Every aggregate row by (aggregate, partition, window, group, metric).</param>
/// <param name="RowsWrittenTwice">Rows whose key appeared more than once: none in a correct run.</param>
public sealed record DomainDemoOutputs(
    long Valid, IReadOnlyDictionary<string, long> DeadLetters, long Late, IReadOnlyDictionary<ExpectedRowKey, double> Rows, long RowsWrittenTwice);

/// <summary>A finished domain demo: the ground truth, what the pipeline wrote, and how the run went.</summary>
public sealed record DomainDemoResult(
    string Domain, string InputTopic, int Partitions, long Produced, long Processed, TimeSpan Elapsed,
    SensorTraffic Traffic, SensorGroundTruth Truth, DomainDemoOutputs Outputs, IReadOnlyList<string> Aggregates)
{
    /// <summary>In Avro mode, the subject and id the generated schema was registered under, and the registry; null in JSON mode.</summary>
    public (string Subject, int Id, Uri Registry)? Schema { get; init; }

    /// <summary>Duplicates the pipeline dropped: what it processed and wrote nowhere.</summary>
    public long DuplicatesDropped => Processed - Outputs.Valid - Outputs.DeadLetters.Values.Sum() - Outputs.Late;

    /// <summary>Whether the aggregate's rows equal the ground truth's: the same keys, each value equal (sums and means to 1 part in 10^9, added in another order).</summary>
    public bool AggregateMatches(string aggregate)
    {
        var expected = Truth.Rows.Where(kv => kv.Key.Aggregate == aggregate).ToList();
        var actual = Outputs.Rows.Where(kv => kv.Key.Aggregate == aggregate).ToDictionary(kv => kv.Key, kv => kv.Value);
        return Outputs.RowsWrittenTwice == 0 && expected.Count == actual.Count &&
               expected.All(kv => actual.TryGetValue(kv.Key, out var v) && Math.Abs(v - kv.Value) <= 1e-9 * Math.Max(1, Math.Abs(kv.Value)));
    }

    /// <summary>True when every count and every aggregate row equals the ground truth.</summary>
    public bool Matches =>
        Produced == Truth.Records && Processed == Truth.Records && Outputs.Valid == Truth.Valid && Outputs.Late == Truth.Late &&
        DuplicatesDropped == Truth.Duplicates && SameCounts(Truth.DeadLetters, Outputs.DeadLetters) && Aggregates.All(AggregateMatches);

    private static bool SameCounts(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var n) && n == kv.Value);
}

/// <summary>
/// A domain that describes its own event, end to end in one process: the file's simulation generates readings, a
/// producer writes them to the domain's input topic, processor members run its <c>DomainTopology</c> until every
/// reading is processed and every window has closed, and a reader compares the domain's output topics with the ground
/// truth recomputed from the readings (<see cref="SensorGroundTruth"/>).
/// </summary>
/// <remarks>
/// The broker is the embedded one unless <c>kafka.bootstrapServers</c> is set (then the domain's topics must exist).
/// Readings are produced before the members start, stamped with their own time: every reading is in the past, and the
/// run is bounded. There is no live view, no dashboard and no sinks: the outputs are read from the topics.
/// </remarks>
public sealed class DomainDemo(SluiceOptions options, DomainDemoSettings settings, ILoggerFactory loggers)
{
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the demo to its end; throws a <see cref="ConfigurationException"/> for a domain it cannot simulate, before anything starts.</summary>
    public async Task<DomainDemoResult> RunAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        var topology = ClickstreamProcessor.TopologyOptions(options);
        var generator = Compile(options);
        var domain = generator.Domain;
        var topics = domain.Topics!;
        var logger = loggers.CreateLogger("Sluice.Demo");

        using var connection = KafkaConnection.Open(options, loggers);
        var factory = connection.Factory;
        using var reader = new TopicReader(factory, ReadTimeout);
        var partitions = reader.Logs(topics.Input).Count;

        // Every reading in the past (the file's timestamp_in_future rule), the start on a whole hour so windows line up with it.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var start = (now - (long)generator.Span(settings.Events).TotalMilliseconds) / 3_600_000 * 3_600_000 - 3_600_000;
        var traffic = generator.Generate(settings.Seed, settings.Events, start);
        var truth = SensorGroundTruth.Compute(generator, traffic, partitions);
        logger.LogInformation("generated {Records} readings of {Devices} devices from {Start:u}", traffic.Readings.Count, traffic.Devices,
            DateTimeOffset.FromUnixTimeMilliseconds(start));

        // In Avro mode the schema generated from the file is registered as a producer would, and every member reads
        // the frames through the registry.
        await using var registry = settings.Format == Generate.Writers.PayloadFormat.Avro
            ? new SchemaRegistryService(options.SchemaRegistry, DomainAvroSchema.SubjectFor(topics.Input), DomainAvroSchema.Json(domain))
            : null;
        if (registry is not null) await registry.StartAsync(cancellationToken).ConfigureAwait(false);
        var encode = registry is null ? null : AvroFrames(generator, registry.SchemaId);

        var clock = Stopwatch.StartNew();
        var produced = Produce(factory, topics.Input, traffic, encode);

        var group = $"sluice-demo-{domain.Name}-{Guid.NewGuid():N}";
        var members = Enumerable.Range(0, Math.Max(1, settings.Processors))
            .Select(i => new ClickstreamProcessor(factory, topology, group, $"processor-{i}", loggers, registry)).ToList();
        long Processed() => members.Sum(m => m.Processed);
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var runs = members.Select(m => m.RunAsync(stop.Token, () => Processed() >= produced)).ToList();
            var all = Task.WhenAll(runs);
            var last = (Processed: 0L, At: DateTime.UtcNow);
            while (!all.IsCompleted)
            {
                await Task.WhenAny(all, Task.Delay(250, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (Processed() != last.Processed) last = (Processed(), DateTime.UtcNow);
                else if (DateTime.UtcNow - last.At > StallTimeout)
                {
                    await stop.CancelAsync().ConfigureAwait(false);
                    throw new SluiceException($"processing stopped at {last.Processed:N0} of {produced:N0} readings for {StallTimeout.TotalSeconds:0} s", isTransient: true);
                }
            }
            await all.ConfigureAwait(false);
        }
        var outputs = ReadOutputs(reader, topics);
        clock.Stop();
        return new DomainDemoResult(domain.Name, topics.Input, partitions, produced, Processed(), clock.Elapsed, traffic, truth, outputs,
            [.. domain.Aggregates.Select(a => a.Name)])
        {
            Schema = registry is null ? null : (DomainAvroSchema.SubjectFor(topics.Input), registry.SchemaId, registry.Url!),
        };
    }

    /// <summary>Checks the <c>processor.*</c> keys and compiles the generator of <c>processor.domain</c>'s simulation, before anything starts.</summary>
    /// <exception cref="ConfigurationException">Naming the key, the file and the line: a domain without an event or a simulation section, or a simulation that does not fit it.</exception>
    public static SensorGenerator Compile(SluiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var topology = ClickstreamProcessor.TopologyOptions(options);
        topology.Validate();
        var domain = topology.Domain;
        if (domain.Topics is null)
            throw new ConfigurationException("processor.domain", $"the {domain.Name} domain ({domain.Source}) has no event section; demo --domain runs a domain that describes its own event");
        return new SensorGenerator(domain);
    }

    // The generator writes JSON; in Avro mode each reading is read as the processors would and written as an Avro frame.
    private static Func<byte[], byte[]> AvroFrames(SensorGenerator generator, int schemaId)
    {
        var schema = DomainSchema.Compile(generator.Domain);
        var json = new DomainRecordDecoder(schema);
        var avro = new DomainRecordAvro(schema);
        return payload => json.TryDecode(payload, out var record, out _) ? avro.Write(record!, schemaId) : payload;
    }

    // One producer in delivery order: each partition's offsets follow the generator's order, which the ground truth walks.
    private static long Produce(Kafka.KafkaClientFactory factory, string topic, SensorTraffic traffic, Func<byte[], byte[]>? encode)
    {
        Error? failure = null;
        long delivered = 0;
        using var producer = factory.CreateProducer("domain-demo");
        foreach (var r in traffic.Readings)
        {
            var message = new Message<string, byte[]> { Key = r.Key, Value = encode is null ? r.Value : encode(r.Value), Timestamp = new Timestamp(r.Timestamp, TimestampType.CreateTime) };
            producer.Produce(topic, message, report =>
            {
                if (report.Error.IsError) failure ??= report.Error;
                else Interlocked.Increment(ref delivered);
            });
        }
        producer.Flush(TimeSpan.FromSeconds(60));
        if (failure is { } error) throw new SluiceException($"producing to {topic} failed: {error.Reason}", isTransient: true);
        if (delivered != traffic.Readings.Count)
            throw new SluiceException($"only {delivered:N0} of {traffic.Readings.Count:N0} readings reached {topic} within 60 s", isTransient: true);
        return delivered;
    }

    private static DomainDemoOutputs ReadOutputs(TopicReader reader, Pipelines.Domains.TopicsSpec topics)
    {
        List<TopicRecord> All(string topic) => [.. reader.Read(reader.Logs(topic)).SelectMany(p => p)];
        var letters = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in All(topics.DeadLetters))
        {
            using var doc = JsonDocument.Parse(r.Value);
            var code = doc.RootElement.GetProperty("reason_code").GetString() ?? "";
            letters[code] = letters.GetValueOrDefault(code) + 1;
        }
        var rows = new Dictionary<ExpectedRowKey, double>();
        long twice = 0;
        foreach (var r in All(topics.Aggregated))
        {
            using var doc = JsonDocument.Parse(r.Value);
            var o = doc.RootElement;
            var key = new ExpectedRowKey(o.GetProperty("aggregate").GetString()!, o.GetProperty("partition").GetInt32(),
                o.GetProperty("window_start").GetInt64(), o.GetProperty("window_end").GetInt64(),
                o.GetProperty("dimension_value").GetString()!, o.GetProperty("metric").GetString()!);
            if (!rows.TryAdd(key, o.GetProperty("value").GetDouble())) twice++;
        }
        return new DomainDemoOutputs(All(topics.Valid).Count, letters, All(topics.Late).Count, rows, twice);
    }
}
