using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sluice.Pipelines.Hosting;

/// <summary>One processor group member as a hosted service: runs until the host stops (or its input ends), then checkpoints, commits and leaves the group.</summary>
/// <remarks>
/// <para>The member is created when the service starts, not when the host is built, so it can use what services started
/// before it provide (the cluster's client factory, a schema registry); it joins <paramref name="group"/> then.</para>
/// <para>A member that fails records why and stops the host, so the other members also checkpoint and leave cleanly and
/// the command can exit with that one error, instead of the host logging a stack trace and running on one member short.</para>
/// </remarks>
/// <param name="endOfInput">For a bounded run (the demo): says when the input is exhausted, so every window closes and the member stops by itself.</param>
public sealed partial class ProcessorMemberService(
    Func<ClickstreamProcessor> create, ProcessorGroup group, IHostApplicationLifetime lifetime, ProcessorFailures failures, ILogger logger,
    Func<bool>? endOfInput = null)
    : BackgroundService
{
    /// <summary>The member, once the service has started; null before.</summary>
    public ClickstreamProcessor? Member { get; private set; }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Member = create();
        group.Add(this);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var member = Member!;
        try
        {
            await member.RunAsync(stoppingToken, endOfInput).ConfigureAwait(false);
            if (member.ExactlyOnce) LogStoppedExactlyOnce(logger, member.Name, member.Processed, member.CheckpointsWritten, member.TransactionsCommitted);
            else LogStopped(logger, member.Name, member.Processed, member.CheckpointsWritten);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(logger, member.Name, ex.Message);
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
