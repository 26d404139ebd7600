namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Takes alerts from the processing threads; never blocks them and never throws at them.</summary>
public interface IQualityAlertSink
{
    /// <summary>Queues <paramref name="alert"/> for delivery, or drops and counts it when the queue is full.</summary>
    void Raise(QualityAlert alert);
}
