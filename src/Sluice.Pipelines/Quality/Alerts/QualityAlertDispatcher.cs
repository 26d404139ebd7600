using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Core.Configuration;

namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Delivers alerts off the processing threads: a bounded queue, one background sender, a cooldown per check and partition.</summary>
/// <remarks>
/// <para><see cref="Raise"/> never blocks and never throws: a full queue drops the new alert and counts it in
/// <see cref="Dropped"/>. The sender applies the cooldown (<see cref="Suppressed"/>), then hands the alert to each
/// output in turn; an output that fails (a webhook after its retries) is logged with the alert and counted in
/// <see cref="Failed"/>, and the sender goes on with the next output and the next alert.</para>
/// <para>One per process, shared by its members' tasks. Alerts are raised again when a restored task re-emits a window
/// (at-least-once); the cooldown usually suppresses the repeat.</para>
/// </remarks>
public sealed partial class QualityAlertDispatcher : IQualityAlertSink, IAsyncDisposable
{
    private readonly Channel<QualityAlert> _queue;
    private readonly IReadOnlyList<IAlertOutput> _outputs;
    private readonly AlertCooldown _cooldown;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sender;
    private long _raised, _dropped, _suppressed, _delivered, _failed;

    /// <summary>A dispatcher to <paramref name="outputs"/> holding at most <paramref name="capacity"/> alerts, letting one per check and partition through per <paramref name="cooldown"/>.</summary>
    public QualityAlertDispatcher(IReadOnlyList<IAlertOutput> outputs, TimeSpan cooldown, int capacity, ILogger? logger = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _outputs = outputs;
        _cooldown = new AlertCooldown(cooldown);
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<QualityAlert>(new BoundedChannelOptions(capacity)
        {
            // Wait, not DropWrite: TryWrite then returns false on a full queue (it never waits), so the drop is counted.
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false,
        });
        _sender = Task.Run(SendAllAsync);
    }

    /// <summary>The dispatcher <c>quality.alerts</c> describes (log, file, webhook), or null when it names no output or quality is off.</summary>
    /// <param name="http">The client webhooks are posted with; one is created (and owned) when null.</param>
    public static QualityAlertDispatcher? FromOptions(QualityOptions options, ILoggerFactory loggers, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        if (!options.Enabled) return null;
        var a = options.Alerts;
        var logger = loggers.CreateLogger("Sluice.Quality");
        var outputs = new List<IAlertOutput>();
        if (a.Log) outputs.Add(new LogAlertOutput(logger));
        if (a.File.Length > 0) outputs.Add(new FileAlertOutput(a.File));
        HttpClient? owned = null;
        if (a.Webhook.Url.Length > 0) outputs.Add(new WebhookAlertOutput(http ?? (owned = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }), a.Webhook));
        if (outputs.Count == 0) return null;
        return new QualityAlertDispatcher(outputs, a.Cooldown, a.QueueCapacity, logger) { _ownedHttp = owned };
    }

    private HttpClient? _ownedHttp;

    /// <summary>Alerts raised by the checks.</summary>
    public long Raised => Interlocked.Read(ref _raised);

    /// <summary>Alerts dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Alerts not sent because their check and partition were in their cooldown.</summary>
    public long Suppressed => Interlocked.Read(ref _suppressed);

    /// <summary>Alerts handed to every output (some of which may have failed).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Deliveries to one output that failed for good (a webhook after its retries): logged and dropped.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public void Raise(QualityAlert alert)
    {
        if (alert is null) return;
        Interlocked.Increment(ref _raised);
        QualityAlertTotals.Add(QualityAlertTotals.Outcome.Raised);
        if (_queue.Writer.TryWrite(alert)) return;
        Interlocked.Increment(ref _dropped);
        QualityAlertTotals.Add(QualityAlertTotals.Outcome.Dropped);
    }

    /// <summary>Stops taking alerts and waits up to <paramref name="timeout"/> for the queued ones to be delivered; then gives up on the rest.</summary>
    public async Task CompleteAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _sender.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogAbandoned(_logger, timeout);
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _sender.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CompleteAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        _stopping.Dispose();
        _ownedHttp?.Dispose();
    }

    private async Task SendAllAsync()
    {
        var token = _stopping.Token;
        await foreach (var alert in _queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
        {
            if (!_cooldown.TryPass(alert, _clock.GetUtcNow()))
            {
                Interlocked.Increment(ref _suppressed);
                QualityAlertTotals.Add(QualityAlertTotals.Outcome.Suppressed);
                continue;
            }
            foreach (var output in _outputs)
            {
                try
                {
                    await output.SendAsync(alert, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Interlocked.Increment(ref _failed);
                    QualityAlertTotals.Add(QualityAlertTotals.Outcome.Failed);
                    LogOutputFailed(_logger, output.Name, alert.ToString(), ex.Message);
                }
            }
            Interlocked.Increment(ref _delivered);
            QualityAlertTotals.Add(QualityAlertTotals.Outcome.Delivered);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Quality alert not delivered to {Output}, dropped: {Alert}: {Reason}")]
    private static partial void LogOutputFailed(ILogger logger, string output, string alert, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quality alerts still queued after {Timeout} at shutdown were not delivered")]
    private static partial void LogAbandoned(ILogger logger, TimeSpan timeout);
}
