using System.Net.Http.Headers;
using Sluice.Core.Configuration;

namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>POSTs each alert as JSON to a URL; a failed attempt (an error, a timeout or a status other than 2xx) is retried with doubling waits.</summary>
/// <remarks>After the last retry it throws, and the dispatcher logs the alert and counts it failed: an alert is never retried forever.</remarks>
public sealed class WebhookAlertOutput(HttpClient http, WebhookOptions options) : IAlertOutput
{
    private readonly Uri _url = new(options.Url);

    public string Name => "webhook";

    /// <summary>Attempts made so far, successful or not (tests and diagnostics).</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    private long _attempts;

    public async Task SendAsync(QualityAlert alert, CancellationToken cancellationToken)
    {
        var body = QualityJson.Bytes(alert);
        var delay = options.RetryDelay;
        for (var attempt = 0; ; attempt++)
        {
            string failure;
            Interlocked.Increment(ref _attempts);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.Timeout);
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync(_url, content, timeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode) return;
                    failure = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {options.Timeout}";
                }
                catch (HttpRequestException ex)
                {
                    failure = ex.Message;
                }
            }
            if (attempt >= options.Retries)
                throw new HttpRequestException($"webhook at {_url.GetLeftPart(UriPartial.Authority)} failed {attempt + 1} times, the last: {failure}");
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
