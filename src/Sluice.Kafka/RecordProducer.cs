using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Sluice.Core.Errors;

namespace Sluice.Kafka;

/// <summary>
/// A librdkafka producer for high-rate streams whose records are only counted once sent: bytes in, counts and the
/// first error out, nothing allocated per record.
/// </summary>
/// <remarks>
/// <para>Confluent.Kafka's <c>Produce</c> costs about 2 µs of CPU per message before librdkafka sees it: serializers,
/// three <see cref="GCHandle"/>s (pinned key, pinned value, the delivery handler), a handler object, the topic name
/// marshalled to UTF-8, and on the polling thread a structure marshal and four objects per delivery report. This
/// class calls <c>rd_kafka_produceva</c> with the caller's bytes (librdkafka copies them) and a topic handle, and counts
/// delivery reports in a callback that reads only the error code.</para>
/// <para>The configuration is a <see cref="ProducerConfig"/> from <see cref="KafkaClientFactory.ProducerConfig"/>, so
/// idempotence, acks, compression and batching are the same as every other Sluice producer. A thread of its own serves
/// delivery reports. Call <see cref="Produce"/> from one thread; the counters may be read from any.</para>
/// </remarks>
public sealed unsafe partial class RecordProducer : IDisposable
{
    private const int PollMs = 100;
    private const int QueueFullPollMs = 10;
    private const int MaxStackKey = 256;
    private const int MaxStackHeaders = 16;
    private const int MaxFixedArguments = 5;

    private readonly IntPtr _rk;
    private readonly GCHandle _self;
    private readonly ILogger? _logger;
    private readonly Dictionary<string, IntPtr> _topics = new(StringComparer.Ordinal);
    private readonly Thread _poller;
    private volatile bool _stopping;
    private long _delivered;
    private long _failed;
    private string? _firstError;
    private volatile bool _fatal;
    private bool _disposed;

    private RecordProducer(IntPtr rk, GCHandle self, ILogger? logger)
    {
        _rk = rk;
        _self = self;
        _logger = logger;
        _poller = new Thread(PollLoop) { IsBackground = true, Name = "sluice-producer-poll" };
        _poller.Start();
    }

    /// <summary>Creates the producer; <c>dotnet.*</c> keys, which only Confluent.Kafka reads, are skipped.</summary>
    public static RecordProducer Create(ProducerConfig config, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        NativeLibraries.EnsureLoaded();
        var conf = RdKafkaNative.ConfNew();
        var errstr = new byte[512];
        foreach (var (key, value) in config)
        {
            if (key.StartsWith("dotnet.", StringComparison.Ordinal) || value is null) continue;
            if (RdKafkaNative.ConfSet(conf, key, value, errstr, (nuint)errstr.Length) != 0)
            {
                RdKafkaNative.ConfDestroy(conf);
                ThrowHelper.ThrowConfiguration(key, Text(errstr));
            }
        }
        var holder = new StrongBox<RecordProducer?>();
        var self = GCHandle.Alloc(holder);
        RdKafkaNative.ConfSetOpaque(conf, GCHandle.ToIntPtr(self));
        RdKafkaNative.ConfSetDeliveryCallback(conf, (IntPtr)(delegate* unmanaged<IntPtr, IntPtr, IntPtr, void>)&OnDelivery);
        RdKafkaNative.ConfSetErrorCallback(conf, (IntPtr)(delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, void>)&OnError);
        // Always set: without a callback librdkafka prints its log lines to stderr itself.
        RdKafkaNative.ConfSetLogCallback(conf, (IntPtr)(delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, void>)&OnLog);
        // The callbacks may run before rd_kafka_new returns (logs); they find the holder empty and keep quiet.
        var rk = RdKafkaNative.KafkaNew(RdKafkaNative.RdKafkaProducer, conf, errstr, (nuint)errstr.Length);
        if (rk == IntPtr.Zero)
        {
            RdKafkaNative.ConfDestroy(conf);
            self.Free();
            ThrowHelper.Throw($"cannot create a Kafka producer: {Text(errstr)}");
        }
        var producer = new RecordProducer(rk, self, logger);
        holder.Value = producer;
        return producer;
    }

    /// <summary>Messages the broker acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages that could not be delivered.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The first delivery or fatal error seen, with its topic when known; null when none.</summary>
    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>True once the client hit a fatal error (an idempotent producer that lost its sequence): it delivers nothing more and must be replaced.</summary>
    public bool IsFatal => _fatal;

    /// <summary>The watch over the cluster: past its deadline a full queue or a flush stops waiting with <see cref="OperationCanceledException"/>, and during an outage librdkafka's lines go to debug.</summary>
    internal BrokerAvailability? Availability { get; set; }

    private CancellationToken GiveUp => Availability?.Expired ?? CancellationToken.None;

    /// <summary>Messages handed to librdkafka and not yet reported delivered or failed.</summary>
    public int InFlight => _disposed ? 0 : RdKafkaNative.OutQueueLength(_rk);

    /// <summary>Queues one message; waits while librdkafka's queue is full, and throws for any other refusal.</summary>
    /// <param name="topic">Topic name; a handle per name is made once and kept.</param>
    /// <param name="key">The key, UTF-8 encoded here.</param>
    /// <param name="value">The value bytes, copied by librdkafka before this returns.</param>
    /// <param name="timestampMs">CreateTime timestamp, epoch milliseconds.</param>
    /// <param name="headerName">Optional header: NUL-terminated UTF-8 name (a <c>u8</c> literal ending in <c>\0</c>).</param>
    /// <param name="headerValue">The header's value.</param>
    public void Produce(string topic, string? key, ReadOnlySpan<byte> value, long timestampMs,
        ReadOnlySpan<byte> headerName = default, ReadOnlySpan<byte> headerValue = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var keyLength = key is null ? 0 : Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> keyBuffer = keyLength <= MaxStackKey ? stackalloc byte[MaxStackKey] : new byte[keyLength];
        keyLength = key is null ? 0 : Encoding.UTF8.GetBytes(key, keyBuffer);
        var hasHeader = !headerName.IsEmpty;
        if (hasHeader && headerName[^1] != 0) throw new ArgumentException("the header name must end with a NUL byte", nameof(headerName));

        fixed (byte* pName = headerName)
        fixed (byte* pHeader = headerValue)
        {
            var header = new RdKafkaNative.Vu { Type = RdKafkaNative.VType.Header, Ptr = (IntPtr)pName, HeaderValue = (IntPtr)pHeader, HeaderSize = headerValue.Length };
            Send(topic, keyBuffer[..keyLength], key is not null, value, timestampMs, new ReadOnlySpan<RdKafkaNative.Vu>(&header, hasHeader ? 1 : 0));
        }
    }

    /// <summary>Queues one message whose key is already bytes, with any number of headers; waits while librdkafka's queue is full.</summary>
    /// <param name="topic">Topic name; a handle per name is made once and kept.</param>
    /// <param name="key">The key bytes, copied by librdkafka.</param>
    /// <param name="hasKey">False for a message without a key (a null key, which is not the same as an empty one).</param>
    /// <param name="value">The value bytes, copied by librdkafka before this returns.</param>
    /// <param name="timestampMs">CreateTime timestamp, epoch milliseconds.</param>
    /// <param name="headers">Headers in order, or null; the caller may clear and refill the same instance for the next message.</param>
    public void Produce(string topic, ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, long timestampMs, MessageHeaders? headers = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (headers is null || headers.Count == 0)
        {
            Send(topic, key, hasKey, value, timestampMs, default);
            return;
        }
        var count = headers.Count;
        var vus = count <= MaxStackHeaders ? stackalloc RdKafkaNative.Vu[count] : new RdKafkaNative.Vu[count];
        fixed (byte* bytes = headers.Bytes)
        {
            for (var i = 0; i < count; i++)
            {
                var (name, valueOffset, valueLength) = headers.Entry(i);
                vus[i].Type = RdKafkaNative.VType.Header;
                vus[i].Ptr = (IntPtr)(bytes + name);
                // A null value is a null pointer; an empty one points into the buffer with a length of 0.
                vus[i].HeaderValue = valueOffset < 0 ? IntPtr.Zero : (IntPtr)(bytes + valueOffset);
                vus[i].HeaderSize = valueLength;
            }
            Send(topic, key, hasKey, value, timestampMs, vus);
        }
    }

    private void Send(string topic, ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, long timestampMs, ReadOnlySpan<RdKafkaNative.Vu> headers)
    {
        var rkt = Topic(topic);
        var total = MaxFixedArguments + headers.Length;
        var arguments = total <= MaxFixedArguments + MaxStackHeaders ? stackalloc RdKafkaNative.Vu[total] : new RdKafkaNative.Vu[total];
        byte empty = 0;
        fixed (byte* pKey = key)
        fixed (byte* pValue = value)
        fixed (RdKafkaNative.Vu* vus = arguments)
        {
            var n = 0;
            vus[n].Type = RdKafkaNative.VType.Rkt;
            vus[n++].Ptr = rkt;
            vus[n].Type = RdKafkaNative.VType.MsgFlags;
            vus[n++].I32 = RdKafkaNative.MsgFlagCopy;
            vus[n].Type = RdKafkaNative.VType.Value;
            vus[n].Ptr = (IntPtr)pValue;
            vus[n++].Size = value.Length;
            if (hasKey)
            {
                vus[n].Type = RdKafkaNative.VType.Key;
                // librdkafka reads a null pointer as "no key": an empty key needs a real address.
                vus[n].Ptr = pKey is null ? (IntPtr)(&empty) : (IntPtr)pKey;
                vus[n++].Size = key.Length;
            }
            vus[n].Type = RdKafkaNative.VType.Timestamp;
            vus[n++].I64 = timestampMs;
            headers.CopyTo(arguments[n..]);
            n += headers.Length;
            while (true)
            {
                var error = RdKafkaNative.ProduceVa(_rk, vus, (nuint)n);
                if (error == IntPtr.Zero) return;
                var code = RdKafkaNative.ErrorCode(error);
                var text = code == RdKafkaNative.ErrQueueFull ? null : Marshal.PtrToStringUTF8(RdKafkaNative.ErrorString(error));
                RdKafkaNative.ErrorDestroy(error);
                // Back-pressure: serve delivery reports so the queue drains, then try again. Never drop.
                if (code != RdKafkaNative.ErrQueueFull) ThrowHelper.Throw($"Kafka refused a message for {topic}: {text}");
                GiveUp.ThrowIfCancellationRequested();
                RdKafkaNative.Poll(_rk, QueueFullPollMs);
            }
        }
    }

    /// <summary>Waits until every queued message is delivered or failed; false when cancelled first.</summary>
    public bool Flush(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (RdKafkaNative.Flush(_rk, PollMs) == RdKafkaNative.ErrTimedOut)
        {
            if (cancellationToken.IsCancellationRequested) return false;
            GiveUp.ThrowIfCancellationRequested();
        }
        return true;
    }

    /// <summary>Stops the polling thread and destroys the client; messages still queued are not waited for (call <see cref="Flush"/>).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _stopping = true;
        _poller.Join();
        _disposed = true;
        foreach (var rkt in _topics.Values) RdKafkaNative.TopicDestroy(rkt);
        RdKafkaNative.KafkaDestroy(_rk);
        _self.Free();
    }

    private IntPtr Topic(string topic)
    {
        if (_topics.TryGetValue(topic, out var rkt)) return rkt;
        rkt = RdKafkaNative.TopicNew(_rk, topic, IntPtr.Zero);
        if (rkt == IntPtr.Zero) ThrowHelper.Throw($"cannot open Kafka topic '{topic}'; check the name");
        _topics.Add(topic, rkt);
        return rkt;
    }

    private void PollLoop()
    {
        while (!_stopping) RdKafkaNative.Poll(_rk, PollMs);
    }

    private void Fail(string error)
    {
        Interlocked.CompareExchange(ref _firstError, error, null);
    }

    private static RecordProducer? From(IntPtr opaque) =>
        opaque == IntPtr.Zero ? null : ((StrongBox<RecordProducer?>)GCHandle.FromIntPtr(opaque).Target!).Value;

    // rd_kafka_message_t starts with the error code, then the topic handle.
    [UnmanagedCallersOnly]
    private static void OnDelivery(IntPtr rk, IntPtr message, IntPtr opaque)
    {
        var producer = From(opaque);
        if (producer is null) return;
        var err = *(int*)message;
        if (err == RdKafkaNative.ErrNoError)
        {
            Interlocked.Increment(ref producer._delivered);
            return;
        }
        Interlocked.Increment(ref producer._failed);
        if (Volatile.Read(ref producer._firstError) is null)
        {
            var topic = Marshal.PtrToStringUTF8(RdKafkaNative.TopicName(*(IntPtr*)((byte*)message + sizeof(long))));
            producer.Fail($"{topic}: {RdKafkaNative.ErrorText(err)}");
        }
    }

    // Fatal errors (an idempotent producer that lost its sequence) also fail every queued message, which the delivery
    // reports count; the reason is kept because it explains them.
    [UnmanagedCallersOnly]
    private static void OnError(IntPtr rk, int err, IntPtr reason, IntPtr opaque)
    {
        var producer = From(opaque);
        if (producer is null) return;
        var text = Marshal.PtrToStringUTF8(reason) ?? RdKafkaNative.ErrorText(err);
        if (err == RdKafkaNative.ErrFatal)
        {
            producer._fatal = true;
            producer.Fail($"fatal: {text}");
        }
        // Errors every client repeats while the brokers are away are reported once, by BrokerAvailability.
        var level = err == RdKafkaNative.ErrFatal ? LogLevel.Error : KafkaClientFactory.IsOutage((Confluent.Kafka.ErrorCode)err) ? LogLevel.Debug : LogLevel.Warning;
        LibrdkafkaLog.Write(producer._logger, level, "ERROR", "producer", text);
    }

    [UnmanagedCallersOnly]
    private static void OnLog(IntPtr rk, int level, IntPtr facility, IntPtr message)
    {
        var producer = From(RdKafkaNative.Opaque(rk));
        if (producer?._logger is not { } logger) return;
        LibrdkafkaLog.Write(logger, LibrdkafkaLog.Level(level, producer.Availability), Marshal.PtrToStringUTF8(facility), "producer", Marshal.PtrToStringUTF8(message));
    }

    private static string Text(byte[] errstr)
    {
        var end = Array.IndexOf(errstr, (byte)0);
        return Encoding.UTF8.GetString(errstr, 0, end < 0 ? errstr.Length : end);
    }
}
