using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>A topic to create: name and partition count.</summary>
public readonly record struct TopicSpec(string Name, int Partitions);

/// <summary>An in-process, in-memory Kafka-protocol broker: librdkafka's mock cluster.</summary>
/// <remarks>
/// Clients reach it over TCP on 127.0.0.1 exactly as they would a real cluster, through
/// <see cref="BootstrapServers"/>. What it does not do (seen on librdkafka 2.15.1 and in 2.16.0's rdkafka_mock.c): create topics through
/// the admin API (use <see cref="CreateTopic"/>), isolate aborted transactions, or store offsets sent inside
/// a transaction. Its group coordinator completes a rebalance only after about the members' session
/// timeout, so consumers against it use short session timeouts (<see cref="KafkaClientFactory"/>).
/// </remarks>
public sealed unsafe class EmbeddedBroker : IDisposable
{
    private readonly Lock _gate = new();
    private IntPtr _rk;
    private IntPtr _cluster;
    private GCHandle _logger;
    private readonly Dictionary<string, int> _topics = new(StringComparer.Ordinal);

    private EmbeddedBroker(IntPtr rk, IntPtr cluster, GCHandle logger, int brokers, string bootstrap)
    {
        _rk = rk;
        _cluster = cluster;
        _logger = logger;
        BrokerCount = brokers;
        BootstrapServers = bootstrap;
    }

    /// <summary>Comma-separated host:port of every mock broker.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>Topics created through this instance with their partition counts.</summary>
    public IReadOnlyDictionary<string, int> Topics
    {
        get { lock (_gate) return new Dictionary<string, int>(_topics); }
    }

    /// <summary>Starts a mock cluster with <paramref name="brokers"/> brokers and creates <paramref name="topics"/>.</summary>
    /// <param name="brokers">Brokers in the cluster, 1 to 16.</param>
    /// <param name="topics">Topics to create.</param>
    /// <param name="logger">Where the cluster's own librdkafka log lines (errors only) go; null drops them.</param>
    public static EmbeddedBroker Start(int brokers = 1, IEnumerable<TopicSpec>? topics = null, ILogger? logger = null)
    {
        if (brokers is < 1 or > 16) ThrowHelper.ThrowConfiguration("kafka.embedded.brokers", $"{brokers} is out of range; allowed 1 to 16");
        NativeLibraries.EnsureLoaded();

        var errstr = new byte[512];
        var conf = RdKafkaNative.ConfNew();
        // The handle only hosts the cluster's threads; keep its own logging to errors.
        if (RdKafkaNative.ConfSet(conf, "log_level", "3", errstr, (nuint)errstr.Length) != 0)
        {
            RdKafkaNative.ConfDestroy(conf);
            ThrowHelper.Throw($"embedded broker: {Text(errstr)}");
        }
        // Without a callback librdkafka prints its lines to stderr itself, past the chosen log format.
        var log = GCHandle.Alloc(logger);
        RdKafkaNative.ConfSetOpaque(conf, GCHandle.ToIntPtr(log));
        RdKafkaNative.ConfSetLogCallback(conf, (IntPtr)(delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, void>)&OnLog);
        var rk = RdKafkaNative.KafkaNew(RdKafkaNative.RdKafkaProducer, conf, errstr, (nuint)errstr.Length);
        if (rk == IntPtr.Zero)
        {
            RdKafkaNative.ConfDestroy(conf);
            log.Free();
            ThrowHelper.Throw($"embedded broker: could not create the librdkafka handle: {Text(errstr)}");
        }
        // The cluster's thread must not take signals: see BlockedSignals.
        var cluster = BlockedSignals.Around(() => MockClusterNative.ClusterNew(rk, brokers));
        if (cluster == IntPtr.Zero)
        {
            RdKafkaNative.KafkaDestroy(rk);
            log.Free();
            ThrowHelper.Throw("embedded broker: the mock cluster did not start (no free loopback port?); free a port or retry");
        }
        // Groups start as soon as the first member joins instead of waiting 3 s for more.
        MockClusterNative.GroupInitialRebalanceDelayMs(cluster, 0);
        var bootstrap = Marshal.PtrToStringUTF8(MockClusterNative.ClusterBootstraps(cluster)) ?? "";

        var broker = new EmbeddedBroker(rk, cluster, log, brokers, bootstrap);
        try
        {
            foreach (var topic in topics ?? []) broker.CreateTopic(topic.Name, topic.Partitions);
        }
        catch
        {
            broker.Dispose();
            throw;
        }
        return broker;
    }

    /// <summary>Creates a topic; creating an existing topic with the same partition count is a no-op.</summary>
    public void CreateTopic(string name, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (partitions < 1) ThrowHelper.ThrowConfiguration("kafka.partitions", $"{partitions} is out of range; a topic needs at least 1 partition");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            if (_topics.TryGetValue(name, out var existing))
            {
                if (existing != partitions)
                    ThrowHelper.Throw($"embedded broker: topic {name} exists with {existing} partitions, not {partitions}");
                return;
            }
            var replication = Math.Min(BrokerCount, 3);
            var err = MockClusterNative.TopicCreate(_cluster, name, partitions, replication);
            if (err != 0) ThrowHelper.Throw($"embedded broker: creating topic {name} failed: {RdKafkaNative.ErrorText(err)}");
            _topics[name] = partitions;
        }
    }

    /// <summary>Makes a broker refuse connections (to test what clients do when a broker is down).</summary>
    public void SetBrokerDown(int brokerId) => BrokerCall(brokerId, MockClusterNative.BrokerSetDown);

    /// <summary>Makes a broker accept connections again.</summary>
    public void SetBrokerUp(int brokerId) => BrokerCall(brokerId, MockClusterNative.BrokerSetUp);

    private void BrokerCall(int brokerId, Func<IntPtr, int, int> call)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
            var err = call(_cluster, brokerId);
            if (err != 0) ThrowHelper.Throw($"embedded broker: broker {brokerId}: {RdKafkaNative.ErrorText(err)}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster != IntPtr.Zero) MockClusterNative.ClusterDestroy(_cluster);
            if (_rk != IntPtr.Zero) RdKafkaNative.KafkaDestroy(_rk);
            _cluster = IntPtr.Zero;
            _rk = IntPtr.Zero;
            // Freed only after rd_kafka_destroy: its threads may log until then.
            if (_logger.IsAllocated) _logger.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static void OnLog(IntPtr rk, int level, IntPtr facility, IntPtr message)
    {
        var opaque = RdKafkaNative.Opaque(rk);
        if (opaque == IntPtr.Zero) return;
        LibrdkafkaLog.Write(GCHandle.FromIntPtr(opaque).Target as ILogger, LibrdkafkaLog.Level(level),
            Marshal.PtrToStringUTF8(facility), "embedded-broker", Marshal.PtrToStringUTF8(message));
    }

    private static string Text(byte[] errstr) => Encoding.UTF8.GetString(errstr, 0, Math.Max(0, Array.IndexOf(errstr, (byte)0)));
}
