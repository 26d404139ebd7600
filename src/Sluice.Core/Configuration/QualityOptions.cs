using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>The <c>quality:</c> section: the per-window data-quality report, its thresholds and where alerts go.</summary>
public sealed class QualityOptions
{
    /// <summary>The optional event fields whose nulls are counted, by wire name, in the order rows list them.</summary>
    public static IReadOnlyList<string> TrackedFields { get; } =
    [
        "user_id", "product_id", "product_category", "price_cents", "quantity", "search_query", "page_url", "referrer",
        "user_agent", "ip_address", "geo_country", "geo_city", "user_segment", "device_type", "browser", "campaign_id",
    ];

    /// <summary>Whether the processor measures quality and writes <see cref="Topic"/>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where one row per window and partition is written.</summary>
    public string Topic { get; set; } = "clickstream.quality";

    /// <summary>Size of the event-time tumbling windows the report covers.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Windows before this one whose records_in make the volume baseline.</summary>
    public int VolumeHistory { get; set; } = 10;

    /// <summary>Fields every event is expected to carry, comma-separated: their null rates make completeness, and each has the null-rate check.</summary>
    public string RequiredFields { get; set; } = "page_url,user_agent,geo_country,device_type";

    /// <summary><see cref="RequiredFields"/> as a list, in the order written.</summary>
    public IReadOnlyList<string> RequiredFieldList =>
        RequiredFields.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public QualityThresholdOptions Thresholds { get; set; } = new();

    public QualityAlertOptions Alerts { get; set; } = new();

    /// <summary>Throws <see cref="ConfigurationException"/> naming the first invalid <c>quality.*</c> key.</summary>
    public void Validate()
    {
        Check.NotEmpty("quality.topic", Topic);
        Check.Positive("quality.window", Window, max: TimeSpan.FromDays(1));
        Check.Range("quality.volumeHistory", VolumeHistory, 1, 10_000);
        var required = RequiredFieldList;
        foreach (var field in required)
        {
            if (!TrackedFields.Contains(field, StringComparer.Ordinal))
                ThrowHelper.ThrowConfiguration("quality.requiredFields", $"'{field}' is not an optional event field; use any of {string.Join(", ", TrackedFields)}");
        }
        if (required.Distinct(StringComparer.Ordinal).Count() != required.Count)
            ThrowHelper.ThrowConfiguration("quality.requiredFields", "names a field twice; list each once");
        Thresholds.Validate();
        Alerts.Validate();
    }
}

/// <summary>The checks' thresholds (<c>quality.thresholds.*</c>); rates are shares from 0 to 1, and a check alerts when its value passes its threshold.</summary>
public sealed class QualityThresholdOptions
{
    /// <summary>Score below which the window alerts (0 to 100; 0 never alerts).</summary>
    public double MinScore { get; set; } = 90;
    /// <summary>Dead letters over records in, above which the window alerts.</summary>
    public double MaxInvalidRate { get; set; } = 0.05;
    /// <summary>Nulls of a required field over valid events, above which the window alerts (one check per required field).</summary>
    public double MaxNullRate { get; set; } = 0.05;
    /// <summary>Duplicates over records in.</summary>
    public double MaxDuplicateRate { get; set; } = 0.02;
    /// <summary>Late events over records in.</summary>
    public double MaxLateRate { get; set; } = 0.02;
    /// <summary>Bot events over records in.</summary>
    public double MaxBotRate { get; set; } = 0.10;
    /// <summary>Mean ingest lag (processing time minus event time) of the accepted events; zero turns the check off.</summary>
    public TimeSpan MaxIngestLag { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>records_in over the volume baseline below which the window alerts; zero turns the check off.</summary>
    public double MinVolumeRatio { get; set; } = 0.5;
    /// <summary>records_in over the volume baseline above which the window alerts; zero turns the check off.</summary>
    public double MaxVolumeRatio { get; set; } = 2.0;

    internal void Validate()
    {
        if (double.IsNaN(MinScore) || MinScore is < 0 or > 100)
            ThrowHelper.ThrowConfiguration("quality.thresholds.minScore", $"{MinScore} is out of range; allowed 0 to 100 (grades: EXCELLENT from 95, ACCEPTABLE from 90)");
        Check.Share("quality.thresholds.maxInvalidRate", MaxInvalidRate);
        Check.Share("quality.thresholds.maxNullRate", MaxNullRate);
        Check.Share("quality.thresholds.maxDuplicateRate", MaxDuplicateRate);
        Check.Share("quality.thresholds.maxLateRate", MaxLateRate);
        Check.Share("quality.thresholds.maxBotRate", MaxBotRate);
        if (MaxIngestLag < TimeSpan.Zero)
            ThrowHelper.ThrowConfiguration("quality.thresholds.maxIngestLag", $"{MaxIngestLag} is negative; write hh:mm:ss such as 00:05:00, or 00:00:00 to turn the check off");
        if (!double.IsFinite(MinVolumeRatio) || MinVolumeRatio < 0)
            ThrowHelper.ThrowConfiguration("quality.thresholds.minVolumeRatio", $"{MinVolumeRatio} must be zero (off) or positive, for example 0.5");
        if (!double.IsFinite(MaxVolumeRatio) || MaxVolumeRatio < 0)
            ThrowHelper.ThrowConfiguration("quality.thresholds.maxVolumeRatio", $"{MaxVolumeRatio} must be zero (off) or positive, for example 2");
        if (MaxVolumeRatio > 0 && MinVolumeRatio >= MaxVolumeRatio)
            ThrowHelper.ThrowConfiguration("quality.thresholds.minVolumeRatio", $"{MinVolumeRatio} is not below quality.thresholds.maxVolumeRatio ({MaxVolumeRatio}); lower it or raise the maximum");
    }
}

/// <summary>Where alerts go (<c>quality.alerts.*</c>), and how often one check of one partition may alert.</summary>
public sealed class QualityAlertOptions
{
    /// <summary>Log each alert as a warning.</summary>
    public bool Log { get; set; } = true;
    /// <summary>A file each alert is appended to as one JSON line; empty writes none.</summary>
    public string File { get; set; } = "";
    /// <summary>After an alert of one check and partition, further ones of the same are suppressed (counted) for this long.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Alerts waiting for delivery at most; beyond, new ones are dropped and counted (processing never waits for alerts).</summary>
    public int QueueCapacity { get; set; } = 1000;
    public WebhookOptions Webhook { get; set; } = new();

    internal void Validate()
    {
        if (Cooldown < TimeSpan.Zero || Cooldown > TimeSpan.FromDays(7))
            ThrowHelper.ThrowConfiguration("quality.alerts.cooldown", $"{Cooldown} is out of range; allowed 00:00:00 (no cooldown) to 7.00:00:00, written hh:mm:ss");
        Check.Range("quality.alerts.queueCapacity", QueueCapacity, 1, 1_000_000);
        if (File.Length > 0 && (File.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || Directory.Exists(File)))
            ThrowHelper.ThrowConfiguration("quality.alerts.file", $"'{File}' is not a file path; name a file such as ./data/quality-alerts.jsonl, or leave it empty");
        Webhook.Validate();
    }
}

/// <summary>An HTTP endpoint each alert is POSTed to as JSON (<c>quality.alerts.webhook.*</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>http(s) URL; empty posts nothing.</summary>
    public string Url { get; set; } = "";
    /// <summary>Attempts after the first failed one; then the alert is logged and dropped (counted).</summary>
    public int Retries { get; set; } = 3;
    /// <summary>Wait before the first retry; doubled for each next one.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How long one attempt may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        if (Url.Length > 0 && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            ThrowHelper.ThrowConfiguration("quality.alerts.webhook.url", $"is not an http(s) URL (not quoted: it may hold a token); write for example https://hooks.example.com/sluice, or leave it empty");
        Check.Range("quality.alerts.webhook.retries", Retries, 0, 20);
        Check.Positive("quality.alerts.webhook.retryDelay", RetryDelay, max: TimeSpan.FromMinutes(5));
        Check.Positive("quality.alerts.webhook.timeout", Timeout, max: TimeSpan.FromMinutes(5));
    }
}
