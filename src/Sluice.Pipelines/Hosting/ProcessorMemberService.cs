using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Kafka;

namespace Sluice.Pipelines.Hosting;

/// <summary>The first failure of any member of a processor host, for the command to report once the others have stopped cleanly.</summary>
public sealed class ProcessorFailures
{
    private Exception? _first;

    /// <summary>The first failure recorded, or null.</summary>
    public Exception? First => Volatile.Read(ref _first);

    public void Record(Exception exception) => Interlocked.CompareExchange(ref _first, exception, null);
}

/// <summary>Whether a processor host can do its work now: what a readiness probe (<c>/readyz</c>) reports.</summary>
/// <remarks>Not ready while no broker answers (<see cref="BrokerAvailability"/>) or once a member has failed.</remarks>
public sealed class ProcessorReadiness(BrokerAvailability? brokers, ProcessorFailures failures)
{
    /// <summary>True when the brokers answer and every member is running.</summary>
    public bool IsReady => Reason is null;

    /// <summary>Why it is not ready, or null.</summary>
    public string? Reason =>
        failures.First is { } failed ? $"a member failed: {failed.Message}"
        : brokers is { IsAvailable: false } ? "no Kafka broker answers"
        : null;
}

/// <summary>One processor group member as a hosted service: runs until the host stops, then checkpoints, commits and leaves the group.</summary>
/// <remarks>
/// A member that fails records why and stops the host, so the other members also checkpoint and leave cleanly and
/// the command can exit with that one error, instead of the host logging a stack trace and running on one member short.
/// </remarks>
public sealed partial class ProcessorMemberService(ClickstreamProcessor member, IHostApplicationLifetime lifetime, ProcessorFailures failures, ILogger logger)
    : BackgroundService
{
    public ClickstreamProcessor Member { get; } = member;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Member.RunAsync(stoppingToken).ConfigureAwait(false);
            if (Member.ExactlyOnce) LogStoppedExactlyOnce(logger, Member.Name, Member.Processed, Member.CheckpointsWritten, Member.TransactionsCommitted);
            else LogStopped(logger, Member.Name, Member.Processed, Member.CheckpointsWritten);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(logger, Member.Name, ex.Message);
            failures.Record(ex);
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member} stopped after {Records} records and {Checkpoints} task checkpoints; it has left the group")]
    private static partial void LogStopped(ILogger logger, string member, long records, long checkpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Member} stopped after {Records} records, {Checkpoints} task checkpoints and {Transactions} committed transactions; it has left the group")]
    private static partial void LogStoppedExactlyOnce(ILogger logger, string member, long records, long checkpoints, long transactions);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Member} failed: {Reason}; stopping the other members")]
    private static partial void LogFailed(ILogger logger, string member, string reason);
}
