namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>One place alerts are delivered to (the log, a file, a webhook), called by the dispatcher's sender, one alert at a time.</summary>
public interface IAlertOutput
{
    /// <summary>A short name for logs: log, file, webhook.</summary>
    string Name { get; }

    /// <summary>Delivers <paramref name="alert"/>, retrying as the output sees fit; throws when it could not.</summary>
    Task SendAsync(QualityAlert alert, CancellationToken cancellationToken);
}
