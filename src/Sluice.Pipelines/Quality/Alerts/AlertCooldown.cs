namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Lets one alert per check and partition through per cooldown period; the rest are suppressed.</summary>
/// <remarks>Processing time, from the dispatcher's clock: a metric flapping around its threshold window after window alerts once per period.</remarks>
public sealed class AlertCooldown(TimeSpan period)
{
    private readonly Dictionary<(string Check, int Partition), DateTimeOffset> _last = [];

    /// <summary>True, and the period starts again, when <paramref name="alert"/>'s check and partition last alerted a period or more before <paramref name="now"/> (or never).</summary>
    public bool TryPass(QualityAlert alert, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var key = alert.CooldownKey;
        if (_last.TryGetValue(key, out var last) && now - last < period) return false;
        _last[key] = now;
        return true;
    }
}
