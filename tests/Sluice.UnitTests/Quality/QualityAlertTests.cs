using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Sluice.Core.Configuration;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.TestKit;

namespace Sluice.UnitTests.Quality;

public class QualityAlertTests
{
    private static QualityAlert Alert(string check = "invalid_rate", int partition = 0, long window = 1_767_218_400_000) =>
        new(check, 0.12, 0.05, QualityAlert.AboveThreshold, window, window + 60_000, partition, "POOR", 87.5, 1000, 42);

    [Fact]
    public async Task within_the_cooldown_a_check_of_a_partition_alerts_once_and_the_repeats_are_suppressed()
    {
        var clock = new SettableClock();
        var output = new CapturingOutput();
        var dispatcher = new QualityAlertDispatcher([output], TimeSpan.FromMinutes(5), capacity: 100, clock: clock);
        dispatcher.Raise(Alert());
        dispatcher.Raise(Alert(window: 1_767_218_460_000)); // the same check flapping in the next window
        dispatcher.Raise(Alert(partition: 1)); // another partition
        dispatcher.Raise(Alert(check: "bot_rate")); // another check
        await WaitFor(() => dispatcher.Delivered + dispatcher.Suppressed == 4);
        clock.Now += TimeSpan.FromMinutes(5);
        dispatcher.Raise(Alert(window: 1_767_218_700_000)); // the period has passed
        await dispatcher.CompleteAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([("invalid_rate", 0), ("invalid_rate", 1), ("bot_rate", 0), ("invalid_rate", 0)], output.Sent.Select(a => (a.Check, a.Partition)));
        Assert.Equal((5L, 4L, 1L, 0L, 0L), (dispatcher.Raised, dispatcher.Delivered, dispatcher.Suppressed, dispatcher.Dropped, dispatcher.Failed));
    }

    [Fact]
    public async Task a_full_queue_drops_new_alerts_and_counts_them_without_blocking_the_caller()
    {
        var output = new CapturingOutput { Gate = new TaskCompletionSource() };
        var dispatcher = new QualityAlertDispatcher([output], TimeSpan.Zero, capacity: 2);
        var started = DateTime.UtcNow;
        for (var i = 0; i < 50; i++) dispatcher.Raise(Alert(partition: i));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        output.Gate.SetResult();
        await dispatcher.CompleteAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(50, dispatcher.Raised);
        Assert.InRange(dispatcher.Dropped, 47, 48); // the sender may have taken one before the queue filled
        Assert.Equal(50 - dispatcher.Dropped, dispatcher.Delivered);
    }

    [Fact]
    public async Task an_output_that_throws_is_logged_and_counted_and_the_others_still_get_the_alert()
    {
        var good = new CapturingOutput();
        var dispatcher = new QualityAlertDispatcher([new ThrowingOutput(), good], TimeSpan.Zero, capacity: 10);
        dispatcher.Raise(Alert());
        await dispatcher.CompleteAsync(TimeSpan.FromSeconds(10));
        Assert.Single(good.Sent);
        Assert.Equal((1L, 1L), (dispatcher.Failed, dispatcher.Delivered));
    }

    [Fact]
    public async Task the_file_output_appends_one_json_line_per_alert()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "alerts", "quality.jsonl");
        var file = new FileAlertOutput(path);
        await file.SendAsync(Alert(), CancellationToken.None);
        await file.SendAsync(Alert(check: "late_rate", partition: 3), CancellationToken.None);
        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        using var json = JsonDocument.Parse(lines[1]);
        var root = json.RootElement;
        Assert.Equal(("late_rate", 0.12, 0.05, "above", 3, "POOR"), (root.GetProperty("check").GetString(), root.GetProperty("value").GetDouble(),
            root.GetProperty("threshold").GetDouble(), root.GetProperty("comparison").GetString(), root.GetProperty("partition").GetInt32(),
            root.GetProperty("grade").GetString()));
        Assert.Equal((1_767_218_400_000, 1_767_218_460_000), (root.GetProperty("window_start").GetInt64(), root.GetProperty("window_end").GetInt64()));
    }

    [Fact]
    public async Task the_webhook_is_retried_with_backoff_until_the_endpoint_answers_and_gets_the_alert_as_json()
    {
        using var endpoint = new WebhookEndpoint(failFirst: 2);
        using var http = new HttpClient();
        var webhook = new WebhookAlertOutput(http, new WebhookOptions { Url = endpoint.Url, Retries = 3, RetryDelay = TimeSpan.FromMilliseconds(50) });
        var dispatcher = new QualityAlertDispatcher([webhook], TimeSpan.FromMinutes(5), capacity: 10);
        dispatcher.Raise(Alert(check: "duplicate_rate", partition: 2));
        dispatcher.Raise(Alert(check: "duplicate_rate", partition: 2)); // within the cooldown: not posted
        await dispatcher.CompleteAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, webhook.Attempts);
        Assert.Equal((1L, 1L, 0L), (dispatcher.Delivered, dispatcher.Suppressed, dispatcher.Failed));
        var posted = Assert.Single(endpoint.Accepted);
        Assert.Equal("application/json", posted.ContentType);
        using var json = JsonDocument.Parse(posted.Body);
        Assert.Equal(("duplicate_rate", 2, 0.05), (json.RootElement.GetProperty("check").GetString(), json.RootElement.GetProperty("partition").GetInt32(),
            json.RootElement.GetProperty("threshold").GetDouble()));
        Assert.Equal(3, endpoint.Requests);
    }

    [Fact]
    public async Task a_webhook_that_keeps_failing_is_given_up_after_its_retries_and_the_alert_is_counted_failed()
    {
        using var endpoint = new WebhookEndpoint(failFirst: int.MaxValue);
        using var http = new HttpClient();
        var webhook = new WebhookAlertOutput(http, new WebhookOptions { Url = endpoint.Url, Retries = 2, RetryDelay = TimeSpan.FromMilliseconds(20) });
        var dispatcher = new QualityAlertDispatcher([webhook], TimeSpan.Zero, capacity: 10);
        dispatcher.Raise(Alert());
        dispatcher.Raise(Alert(partition: 1));
        await dispatcher.CompleteAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(6, endpoint.Requests); // 1 + 2 retries, for each alert
        Assert.Equal((2L, 2L), (dispatcher.Failed, dispatcher.Delivered));
        Assert.Empty(endpoint.Accepted);
    }

    [Fact]
    public async Task the_dispatcher_from_options_writes_the_configured_file_and_nothing_without_outputs()
    {
        using var dir = new TempDirectory();
        var options = new QualityOptions();
        options.Alerts.Log = false;
        Assert.Null(QualityAlertDispatcher.FromOptions(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));
        options.Alerts.File = Path.Combine(dir.Path, "a.jsonl");
        await using (var dispatcher = QualityAlertDispatcher.FromOptions(options, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance))
        {
            Assert.NotNull(dispatcher);
            dispatcher.Raise(Alert());
        }
        Assert.Single(await File.ReadAllLinesAsync(options.Alerts.File));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(10);
        }
    }

    private sealed class SettableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class CapturingOutput : IAlertOutput
    {
        public ConcurrentQueue<QualityAlert> Sent { get; } = new();

        public TaskCompletionSource? Gate { get; init; }

        public string Name => "capture";

        public async Task SendAsync(QualityAlert alert, CancellationToken cancellationToken)
        {
            if (Gate is not null) await Gate.Task.WaitAsync(cancellationToken);
            Sent.Enqueue(alert);
        }
    }

    private sealed class ThrowingOutput : IAlertOutput
    {
        public string Name => "broken";

        public Task SendAsync(QualityAlert alert, CancellationToken cancellationToken) => throw new IOException("disk full");
    }

    /// <summary>A real HTTP listener on a free loopback port that answers 500 to its first requests, then 200.</summary>
    private sealed class WebhookEndpoint : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly int _failFirst;
        private readonly Task _loop;
        private int _requests;

        public WebhookEndpoint(int failFirst)
        {
            _failFirst = failFirst;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hooks/quality/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(ServeAsync);
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        public ConcurrentQueue<(string? ContentType, string Body)> Accepted { get; } = new();

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                var n = Interlocked.Increment(ref _requests);
                if (n <= _failFirst)
                {
                    context.Response.StatusCode = 500;
                }
                else
                {
                    Accepted.Enqueue((context.Request.ContentType, body));
                    context.Response.StatusCode = 204;
                }
                context.Response.Close();
            }
        }
    }
}
