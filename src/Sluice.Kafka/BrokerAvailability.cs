using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Kafka;

/// <summary>
/// Whether the cluster answers, watched from a thread of its own: the readiness of a command that talks to Kafka, and
/// the deadline after which it stops waiting for the brokers to come back.
/// </summary>
/// <remarks>
/// <para>A metadata request goes to the cluster about twice a second, each waiting at most a quarter of
/// <c>kafka.connectTimeout</c> (between 0.25 and 2 s). When none has been answered for <c>kafka.connectTimeout</c> the
/// cluster is unavailable: one warning names the bootstrap servers, <see cref="IsAvailable"/> turns false, and the
/// clients keep retrying on their own. An answer ends the outage (one line). If none comes within
/// <c>kafka.unavailableDeadline</c> of the last answer, <see cref="Expired"/> is cancelled and <see cref="Failure"/> holds
/// the one line to exit with; producers made by the factory stop waiting on it. While the outage lasts, the clients'
/// own librdkafka lines (connection failures, request timeouts, every few seconds per client) go to debug.</para>
/// <para>The watch is needed because the clients themselves cannot tell: librdkafka retries forever, a producer whose
/// queue is full blocks its caller, and the processor's and demo's own progress checks do not run while they wait.</para>
/// </remarks>
public sealed partial class BrokerAvailability : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly KafkaClientFactory _factory;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _deadline;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _expired = new();
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private volatile bool _available = true;
    private volatile string? _failure;

    /// <summary>A watch over <paramref name="factory"/>'s cluster; <see cref="Start"/> begins it.</summary>
    public BrokerAvailability(KafkaClientFactory factory, TimeSpan connectTimeout, TimeSpan deadline, ILogger? logger = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _connectTimeout = connectTimeout;
        _deadline = deadline;
        _logger = logger ?? NullLogger.Instance;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Readiness: false from the moment no broker has answered for <c>kafka.connectTimeout</c> until one answers again.</summary>
    public bool IsAvailable => _available;

    /// <summary>Cancelled once the brokers have been unreachable for <c>kafka.unavailableDeadline</c>.</summary>
    public CancellationToken Expired => _expired.Token;

    /// <summary>Once <see cref="Expired"/>: the one line to stop with, naming the servers and the deadline; null before.</summary>
    public string? Failure => _failure;

    /// <summary>Starts watching; also makes the factory's producers give up waiting once the deadline has passed.</summary>
    public BrokerAvailability Start()
    {
        if (_thread is not null) return this;
        _factory.Availability = this;
        _thread = new Thread(Run) { IsBackground = true, Name = "sluice-broker-watch" };
        _thread.Start();
        return this;
    }

    private void Run()
    {
        using var probe = _factory.CreateProbeClient("watch");
        var timeout = TimeSpan.FromTicks(Math.Clamp(_connectTimeout.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(2).Ticks));
        var lastAnswer = _clock.GetUtcNow();
        while (!_stop.IsCancellationRequested)
        {
            var answered = Answers(probe, timeout);
            var now = _clock.GetUtcNow();
            if (answered)
            {
                if (!_available)
                {
                    _available = true;
                    LogBack(_logger, _factory.BootstrapServers, (now - lastAnswer).TotalSeconds);
                }
                lastAnswer = now;
            }
            else if (_available && now - lastAnswer >= _connectTimeout)
            {
                _available = false;
                LogUnreachable(_logger, _factory.BootstrapServers, (now - lastAnswer).TotalSeconds, _deadline);
            }
            else if (!_available && now - lastAnswer >= _deadline)
            {
                _failure = $"no Kafka broker at {_factory.BootstrapServers} has answered for {(now - lastAnswer).TotalSeconds:0} s, past kafka.unavailableDeadline " +
                           $"({_deadline}); giving up. Check the brokers and the network, or raise kafka.unavailableDeadline to wait longer";
                _expired.Cancel();
                return;
            }
            _stop.Token.WaitHandle.WaitOne(Interval);
        }
    }

    private static bool Answers(Confluent.Kafka.IAdminClient probe, TimeSpan timeout)
    {
        try
        {
            return probe.GetMetadata(timeout).Brokers.Count > 0;
        }
        catch (Confluent.Kafka.KafkaException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread?.Join();
        _stop.Dispose();
        // _expired stays: producers made by the factory may still read its token.
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Kafka broker at {Bootstrap} has answered for {Seconds:0} s: not ready; the clients keep retrying until kafka.unavailableDeadline ({Deadline}) runs out")]
    private static partial void LogUnreachable(ILogger logger, string bootstrap, double seconds, TimeSpan deadline);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka brokers at {Bootstrap} answer again after {Seconds:0} s: ready")]
    private static partial void LogBack(ILogger logger, string bootstrap, double seconds);
}
