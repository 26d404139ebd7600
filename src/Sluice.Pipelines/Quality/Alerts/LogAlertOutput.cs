using Microsoft.Extensions.Logging;

namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Writes each alert to the log as a warning.</summary>
public sealed partial class LogAlertOutput(ILogger logger) : IAlertOutput
{
    public string Name => "log";

    public Task SendAsync(QualityAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        LogAlert(logger, alert.Check, alert.Value, alert.Comparison, alert.Threshold, Streaming.Time.EventTime.Format(alert.WindowStart),
            Streaming.Time.EventTime.Format(alert.WindowEnd), alert.Partition, alert.Grade, alert.Score);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quality alert: {Check} {Value} is {Comparison} the threshold {Threshold} in window [{WindowStart}, {WindowEnd}) of partition {Partition}; grade {Grade} (score {Score})")]
    private static partial void LogAlert(ILogger logger, string check, double value, string comparison, double threshold, string windowStart,
        string windowEnd, int partition, string grade, double score);
}
