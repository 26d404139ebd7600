using System.Diagnostics;
using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Writers;
using Sluice.Pipelines.Clickstream;
using Sluice.Schemas.Events;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Kafka;
using Sluice.Streaming.Processing;
using Sluice.Streaming.Time;

namespace Sluice.App.Bench;

/// <summary>What one engine benchmark run measured.</summary>
/// <param name="Events">Payloads processed (timed run).</param>
/// <param name="Partitions">Tasks, one per partition, each on its own thread when there are several.</param>
/// <param name="AllocatedBytesPerEvent">Managed bytes allocated by all threads during the timed run, per event.</param>
/// <param name="CpuMicrosPerEvent">Process CPU time (all threads, GC included) per event: steadier than wall time on a shared machine.</param>
/// <param name="Outputs">Records written per output topic.</param>
public sealed record EngineBenchmarkResult(
    long Events, int Partitions, TimeSpan Elapsed, double EventsPerSecond, double AllocatedBytesPerEvent, double CpuMicrosPerEvent,
    int Gen0Collections, int Gen1Collections, int Gen2Collections, IReadOnlyDictionary<string, long> Outputs)
{
    /// <summary>Time the runtime held every thread for garbage collection during the timed run.</summary>
    public TimeSpan GcPause { get; init; }

    /// <summary>Bytes of output keys and values serialised (0 unless the run serialised its outputs).</summary>
    public long OutputBytes { get; init; }

    /// <summary>Events per second of every timed pass, in the order they ran; this result is their median.</summary>
    public IReadOnlyList<double> Runs { get; init; } = [];

    public override string ToString() =>
        $"{Events:N0} events, {Partitions} partition(s), {Elapsed.TotalSeconds:F3} s: {EventsPerSecond:N0} events/s, " +
        $"{CpuMicrosPerEvent:F2} us CPU/event, {AllocatedBytesPerEvent:F0} B allocated/event, GC gen0/1/2 = {Gen0Collections}/{Gen1Collections}/{Gen2Collections}, " +
        $"GC pauses {GcPause.TotalMilliseconds:F0} ms";
}

/// <summary>Benchmark input: payloads already spread over partitions (index = partition), and the schemas Avro frames refer to.</summary>
/// <param name="Schemas">The schema source of the Avro frames; null when every payload is JSON.</param>
public sealed record EngineBenchmarkInput(List<byte[]>[] Partitions, ISchemaSource? Schemas)
{
    public long Events
    {
        get
        {
            long n = 0;
            foreach (var p in Partitions) n += p.Count;
            return n;
        }
    }
}

/// <summary>Runs the full clickstream chain in process (decode → validate → dedupe → bots → enrich → every aggregate) over pre-encoded payloads.</summary>
/// <remarks>
/// Output records are counted, and with <c>serialize</c> also written as the processor writes them to Kafka (JSON, into
/// reused buffers), but never sent: this measures the engine, not Kafka. Payloads are spread
/// over partitions by a stable hash of the partition key (user_id, else session_id), as the producer does, before
/// the clock starts. With several partitions each task runs on its own thread, which is how a processor scales
/// on one machine. A warm-up pass runs first on separate tasks, and every timed pass starts from empty state.
/// </remarks>
public static partial class EngineBenchmark
{
    /// <summary>Processes <paramref name="payloads"/> and reports throughput, allocation and GC counts.</summary>
    public static EngineBenchmarkResult Run(IReadOnlyList<byte[]> payloads, int partitions = 1, ClickstreamOptions? options = null, bool warmUp = true)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return RunPartitioned(Split(payloads, partitions), options, warmUp);
    }

    /// <summary>As <see cref="Run"/>, over payloads already spread by <see cref="Split"/> (index = partition).</summary>
    /// <param name="warmUp">Process the whole input once, untimed, first.</param>
    /// <param name="schemas">Where Avro frames find their schemas; null reads JSON only.</param>
    /// <param name="iterations">Timed passes over the input, each on fresh tasks; the result is the median pass by
    /// throughput, and <see cref="EngineBenchmarkResult.Runs"/> lists every pass.</param>
    /// <param name="progress">Called with the number of passes finished (warm-up included).</param>
    /// <param name="serialize">Also serialise every output record with the topology's JSON serialisers.</param>
    /// <remarks>
    /// A processor runs for hours, so the figure that matters is the steady state: the warm-up is a whole pass because
    /// a short one ends before the runtime has finished recompiling the hot methods with their profiles (tiered
    /// compilation works in the background after a delay), and that compiling would otherwise be timed.
    /// </remarks>
    public static EngineBenchmarkResult RunPartitioned(
        List<byte[]>[] split, ClickstreamOptions? options = null, bool warmUp = true, ISchemaSource? schemas = null, int iterations = 1,
        Action<int>? progress = null, bool serialize = false)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(split.Length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var topology = new ClickstreamTopology(options, schemas);
        var passes = 0;
        if (warmUp)
        {
            RunAll(topology, split, new CountingCollector[split.Length], serialize, null);
            progress?.Invoke(++passes);
        }
        var runs = new List<EngineBenchmarkResult>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            runs.Add(TimedPass(topology, split, serialize, null));
            progress?.Invoke(++passes);
        }
        return Median(runs);
    }

    // The median pass by throughput, with every pass's rate in run order.
    private static EngineBenchmarkResult Median(List<EngineBenchmarkResult> runs)
    {
        var perSecond = new double[runs.Count];
        for (var i = 0; i < runs.Count; i++) perSecond[i] = runs[i].EventsPerSecond;
        var sorted = runs.OrderBy(r => r.EventsPerSecond).ToList();
        return sorted[sorted.Count / 2] with { Runs = perSecond };
    }

    private static EngineBenchmarkResult TimedPass(ClickstreamTopology topology, List<byte[]>[] split, bool serialize, CheckpointPass? checkpoints)
    {
        var partitions = split.Length;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var collectors = new CountingCollector[partitions];
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var paused = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        RunAll(topology, split, collectors, serialize, checkpoints);
        watch.Stop();
        var cpuDelta = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var allocatedDelta = GC.GetTotalAllocatedBytes(precise: true) - allocated;

        var outputs = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long outputBytes = 0;
        foreach (var c in collectors)
        {
            outputBytes += c.Bytes;
            foreach (var (topic, count) in c.Counts) outputs[topic] = outputs.GetValueOrDefault(topic) + count;
        }
        long events = 0;
        foreach (var part in split) events += part.Count;
        var perSecond = events / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        return new EngineBenchmarkResult(
            events, partitions, watch.Elapsed, perSecond,
            events == 0 ? 0 : (double)allocatedDelta / events,
            events == 0 ? 0 : cpuDelta.TotalMilliseconds * 1000 / events,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, outputs)
        {
            GcPause = GC.GetTotalPauseDuration() - paused,
            OutputBytes = outputBytes,
            Runs = [perSecond],
        };
    }

    /// <summary>
    /// The generator's default traffic (every fault kind), click records only, as the processor's input topic would
    /// hold it: in <paramref name="format"/> and spread over <paramref name="partitions"/> by the record key.
    /// </summary>
    /// <remarks>Avro frames carry schema id 1, which the returned schema source maps to the v3 event schema.</remarks>
    /// <param name="count">Click records.</param>
    /// <param name="partitions">Partitions to spread them over.</param>
    /// <param name="format">Their wire format.</param>
    /// <param name="progress">Called with the records made so far.</param>
    /// <param name="users">The generator's user pool; null for its default (10,000).</param>
    /// <param name="concurrentSessions">Sessions in progress at once; null for the generator's default (users / 100). More of them leaves more sessions open in the processor's state.</param>
    public static EngineBenchmarkInput Generate(int count, int partitions, PayloadFormat format = PayloadFormat.Avro, Action<int>? progress = null,
        int? users = null, int? concurrentSessions = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var capture = new CapturingSink(partitions, count);
        using ITrafficWriter writer = format == PayloadFormat.Avro ? new AvroTrafficWriter(capture, AvroSchemaId) : capture;
        // CDC records are skipped, so the limit leaves room and the loop stops on the click count.
        var defaults = new GeneratorSettings();
        var settings = defaults with { MaxEvents = 2L * count, Users = users ?? defaults.Users, ConcurrentSessions = concurrentSessions ?? defaults.ConcurrentSessions };
        settings.Validate();
        var generator = new ClickstreamGenerator(settings);
        while (capture.Count < count && generator.MoveNext())
        {
            var record = generator.Current;
            if (record.Kind != RecordKind.Click) continue;
            writer.Write(record);
            if ((capture.Count & 0xFFFF) == 0) progress?.Invoke(capture.Count);
        }
        progress?.Invoke(capture.Count);
        return new EngineBenchmarkInput(capture.Partitions,
            format == PayloadFormat.Avro ? new StaticSchemaSource().Add(AvroSchemaId, EventSchemas.V3) : null);
    }

    /// <summary>The schema id of the Avro frames <see cref="Generate"/> writes.</summary>
    public const int AvroSchemaId = 1;

    /// <summary>The partition of a Kafka key: a stable hash (FNV-1a over its characters), as the producer spreads keys.</summary>
    public static int PartitionOfKey(string key, int partitions)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return (int)(hash % (uint)partitions);
    }

    /// <summary>Reads a file of JSON lines (v3 field names), one payload per non-blank line.</summary>
    public static List<byte[]> LoadJsonLines(string path)
    {
        var list = new List<byte[]>();
        foreach (var line in File.ReadLines(path))
        {
            if (!string.IsNullOrWhiteSpace(line)) list.Add(System.Text.Encoding.UTF8.GetBytes(line));
        }
        return list;
    }

    /// <summary>The partition of a payload: a stable hash of its partition key; undecodable payloads by position.</summary>
    public static int PartitionOf(byte[] payload, int index, int partitions)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (partitions == 1) return 0;
        return ClickEventJson.TryRead(payload, out var e, out _) ? PartitionOfKey(e!.PartitionKey, partitions) : index % partitions;
    }

    /// <summary>Spreads payloads over <paramref name="partitions"/> by <see cref="PartitionOf"/>, keeping their order within each partition.</summary>
    public static List<byte[]>[] Split(IReadOnlyList<byte[]> payloads, int partitions)
    {
        ArgumentNullException.ThrowIfNull(payloads);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var split = new List<byte[]>[partitions];
        for (var p = 0; p < partitions; p++) split[p] = new List<byte[]>(payloads.Count / partitions + 1);
        for (var i = 0; i < payloads.Count; i++) split[PartitionOf(payloads[i], i, partitions)].Add(payloads[i]);
        return split;
    }

    private static void RunAll(ClickstreamTopology topology, List<byte[]>[] split, CountingCollector[] collectors, bool serialize, CheckpointPass? checkpoints)
    {
        if (split.Length == 1)
        {
            collectors[0] = RunPartition(topology, 0, split[0], serialize, checkpoints);
            return;
        }
        var threads = new Thread[split.Length];
        for (var p = 0; p < split.Length; p++)
        {
            var partition = p;
            threads[p] = new Thread(() => collectors[partition] = RunPartition(topology, partition, split[partition], serialize, checkpoints)) { IsBackground = true };
            threads[p].Start();
        }
        foreach (var t in threads) t.Join();
    }

    private static CountingCollector RunPartition(ClickstreamTopology topology, int partition, List<byte[]> payloads, bool serialize, CheckpointPass? checkpoints)
    {
        // Serialisers per partition: the JSON ones share a writer, and each partition runs on its own thread.
        var collector = new CountingCollector(serialize ? ClickstreamJson.RegisterAll(new RecordSerializers()) : null);
        using var tasks = new TaskManager(topology, topology.WatermarkStrategy, TimeProvider.System, collector);
        Volatile.Read(ref _telemetry)?.Attach(tasks);
        var topic = topology.SourceTopics[0];
        var input = new TopicPartition(topic, partition);
        tasks.OnAssigned([input]);
        // The same clock check runs with checkpoints off, so both passes execute the same loop.
        var due = checkpoints?.FirstDue() ?? long.MaxValue;
        for (var i = 0; i < payloads.Count; i++)
        {
            tasks.Process(new SourceRecord(topic, partition, i, 0, null, payloads[i]));
            if ((i & CheckpointCheckMask) == 0 && Stopwatch.GetTimestamp() >= due) due = checkpoints!.Checkpoint(tasks, input, i + 1, final: false);
        }
        if (checkpoints is { TakesFinal: true }) checkpoints.Checkpoint(tasks, input, payloads.Count, final: true);
        tasks.AdvanceWatermarkTo(EventTime.EndOfTime);
        return collector;
    }

    /// <summary>Keeps a copy of each payload in the list of its key's partition.</summary>
    private sealed class CapturingSink : ITrafficWriter
    {
        public CapturingSink(int partitions, int expected)
        {
            Partitions = new List<byte[]>[partitions];
            for (var p = 0; p < partitions; p++) Partitions[p] = new List<byte[]>(expected / partitions + 1);
        }

        public List<byte[]>[] Partitions { get; }

        public int Count { get; private set; }

        public void Write(in GeneratedRecord record)
        {
            Partitions[PartitionOfKey(record.Key, Partitions.Length)].Add(record.Payload.ToArray());
            Count++;
        }

        public void Flush(CancellationToken cancellationToken = default)
        {
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Counts records per topic without keeping them; with serialisers, also writes each into reused buffers and counts the bytes.</summary>
    private sealed class CountingCollector(RecordSerializers? serializers = null) : IRecordCollector
    {
        private readonly Dictionary<string, long[]> _counts = new(StringComparer.Ordinal);
        private readonly RecordBuffers _buffers = new();
        private string? _lastTopic;
        private long[]? _lastCount;

        public Dictionary<string, long> Counts
        {
            get
            {
                var d = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var (topic, count) in _counts) d[topic] = count[0];
                return d;
            }
        }

        public long Bytes { get; private set; }

        public void Send<TKey, TValue>(string topic, in Record<TKey, TValue> record)
        {
            // Topics are the topology's own string instances: a reference check skips the lookup on repeats.
            if (!ReferenceEquals(topic, _lastTopic))
            {
                _lastCount = CounterOf(topic);
                _lastTopic = topic;
            }
            _lastCount![0]++;
            if (serializers is not null) Serialize(record, serializers.For<TKey>(), serializers.For<TValue>());
        }

        public IRecordSender<TKey, TValue> SenderFor<TKey, TValue>(string topic) =>
            serializers is null
                ? new Sender<TKey, TValue>(CounterOf(topic), null, null!, null!)
                : new Sender<TKey, TValue>(CounterOf(topic), this, serializers.For<TKey>(), serializers.For<TValue>());

        private void Serialize<TKey, TValue>(in Record<TKey, TValue> record, BufferSerializer<TKey> keys, BufferSerializer<TValue> values)
        {
            _buffers.Fill(record, keys, values);
            Bytes += _buffers.Key.Length + _buffers.Value.Length;
        }

        private long[] CounterOf(string topic)
        {
            if (!_counts.TryGetValue(topic, out var count)) _counts[topic] = count = new long[1];
            return count;
        }

        private sealed class Sender<TKey, TValue>(long[] count, CountingCollector? serializing, BufferSerializer<TKey> keys, BufferSerializer<TValue> values)
            : IRecordSender<TKey, TValue>
        {
            public void Send(in Record<TKey, TValue> record)
            {
                count[0]++;
                serializing?.Serialize(record, keys, values);
            }
        }
    }
}
