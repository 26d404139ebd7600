using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sluice.Core.Configuration;
using Sluice.IntegrationTests.Cli;
using Sluice.Kafka;
using Sluice.Serve;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Observe;

/// <summary>What <c>sluice process</c> serves over real HTTP, against a standalone embedded broker holding generated traffic (malformed records included).</summary>
public sealed partial class ObserveEndpointTests(ProcessInputFixture input, ITestOutputHelper output) : IClassFixture<ProcessInputFixture>
{
    private const string Token = "observe-test-token-0123456789";

    [Fact]
    public async Task process_serves_metrics_equal_to_the_input_and_is_ready_only_once_assigned()
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var group = $"observe-{Guid.NewGuid():N}";
        // A member of the group that holds every partition and then stops polling: the group cannot finish the rebalance
        // the processor's join starts, so the processor owns nothing until the holder leaves.
        var factory = new KafkaClientFactory(new KafkaOptions { BootstrapServers = input.Broker.BootstrapServers, SessionTimeout = TimeSpan.FromSeconds(6) },
            input.Broker.BootstrapServers);
        var holder = factory.CreateConsumer<byte[], byte[]>(group, "holder");
        holder.Subscribe(Topic);
        await PollAsync(() => Task.FromResult(holder.Consume(100) is not null && holder.Assignment.Count == 6 ? "" : null), "the holder's assignment");
        using var run = SluiceChild.Start(ProcessArgs(input.Broker.BootstrapServers, group, dir.Path));
        var url = await ServedUrlAsync(run);
        using var http = new HttpClient { BaseAddress = url };

        // Up while the processor owns nothing: alive, not ready, and the partitions check says why.
        var early = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
        var earlyJson = await early.Content.ReadAsStringAsync();
        output.WriteLine($"first /readyz: {(int)early.StatusCode} {earlyJson}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.False(Check(earlyJson, "partitions").Ok);
        Assert.Equal(["partitions", "broker", "sinks", "lag"], Checks(earlyJson).Select(c => c.Name));

        var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("alive", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());

        // Ready once the holder polls again (the rebalance completes, the processor gets partitions); then it leaves.
        var ready = await PollAsync(async () =>
        {
            holder.Consume(100);
            using var r = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            return r.StatusCode == HttpStatusCode.OK ? await r.Content.ReadAsStringAsync() : null;
        }, "/readyz 200", run);
        output.WriteLine($"ready: {ready}");
        Assert.All(Checks(ready), c => Assert.True(c.Ok, c.Name));
        factory.Close(holder);
        holder.Dispose();

        // Every produced record counted once it is processed: records in equals the input's log ends.
        var produced = EndOffsets(input.Broker.BootstrapServers).Values.Sum();
        var samples = await PollAsync(async () =>
        {
            var s = PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            return PrometheusText.Sum(s, "sluice_processor_records_total") >= produced ? s : null;
        }, $"{produced} records in /metrics");
        Assert.Equal(produced, (long)PrometheusText.Sum(samples, "sluice_processor_records_total"));
        Assert.Equal(6, samples.Count(s => s.Name == "sluice_processor_records_total"));
        // The generator's malformed records are dead letters, counted by reason code.
        var reasons = samples.Where(s => s.Name == "sluice_processor_dead_letters_total" && s.Value > 0).Select(s => s.Label("reason")).ToList();
        output.WriteLine($"dead letters by reason: {string.Join(", ", reasons)}");
        Assert.NotEmpty(reasons);
        Assert.True(PrometheusText.Sum(samples, "sluice_processor_outputs_total", s => s.Label("topic") == "clickstream.enriched") > 0);
        // Consumer lag per partition, refreshed at each commit: zero everywhere once the whole input is processed.
        var lag = await PollAsync(async () =>
        {
            var s = PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            var partitions = s.Where(x => x.Name == "sluice_kafka_consumer_lag").ToList();
            return partitions.Count == 12 && partitions.All(x => x.Value == 0) ? partitions : null;
        }, "zero consumer lag on 6 partitions of the events and 6 of the user changes");
        Assert.Equal(6, lag.Count(l => l.Label("topic") == Topic));
        Assert.Equal(6, lag.Count(l => l.Label("topic") == "clickstream.cdc.users"));

        await TerminateAsync(run);
    }

    [Fact]
    public async Task process_serves_latency_state_bytes_and_input_topics_and_sink_serves_its_rows_and_latency()
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var produced = EndOffsets(input.Broker.BootstrapServers).Values.Sum();
        IReadOnlyList<PrometheusSample> samples;
        using (var run = SluiceChild.Start(ProcessArgs(input.Broker.BootstrapServers, $"observe-{Guid.NewGuid():N}", dir.Path)))
        {
            using var http = new HttpClient { BaseAddress = await ServedUrlAsync(run) };
            // Every record in, and a checkpoint written since (state bytes are known from a task's last snapshot).
            samples = await PollAsync(async () =>
            {
                var s = PrometheusText.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
                return PrometheusText.Sum(s, "sluice_processor_records_total") >= produced && PrometheusText.Sum(s, "sluice_processor_state_size_bytes") > 0 ? s : null;
            }, $"{produced} records in and state bytes in /metrics", run);
            await TerminateAsync(run);
        }
        var records = samples.Where(s => s.Name == "sluice_processor_records_total").ToList();
        Assert.Equal(6, records.Count);
        Assert.All(records, r => Assert.Equal(Topic, r.Label("topic")));
        // One input record in 100 measured, from its event time and from its Kafka timestamp, in the latency buckets.
        foreach (var from in new[] { "event_time", "produce_time" })
        {
            var count = PrometheusText.Sum(samples, "sluice_processor_latency_seconds_count", s => s.Label("from") == from);
            output.WriteLine($"latency from {from}: {count} samples, {PrometheusText.Sum(samples, "sluice_processor_latency_seconds_sum", s => s.Label("from") == from) / count:0.0} s mean");
            Assert.InRange(count, produced / 100 / 2, produced / 100 + 6);
            Assert.Equal(count, PrometheusText.Sum(samples, "sluice_processor_latency_seconds_bucket", s => s.Label("from") == from && s.Label("le") == "+Inf"));
            Assert.Contains(samples, s => s.Name == "sluice_processor_latency_seconds_bucket" && double.TryParse(s.Label("le"), CultureInfo.InvariantCulture, out var le) && le == 86_400 * 365);
        }
        var bytes = samples.Where(s => s.Name == "sluice_processor_state_size_bytes").ToList();
        output.WriteLine($"state bytes: {string.Join(", ", bytes.Select(b => $"{b.Label("store")}={b.Value}"))}");
        Assert.Contains(bytes, b => b.Label("store") is { Length: > 0 } && b.Value > 0);
        // Sessions whose gap the watermark has not passed stay open at the end of the input.
        Assert.True(PrometheusText.Sum(samples, "sluice_processor_sessions_open") > 0);

        // The sink process serves the same endpoints: rows stored, its latency, ready once assigned with its circuit closed.
        using var warehouse = new TempDirectory("sluice-warehouse");
        using var sink = SluiceChild.Start(["sink", "--to", "duckdb", "--bootstrap-servers", input.Broker.BootstrapServers, "--warehouse", warehouse.File("w.duckdb"),
            "--set", "kafka.sessionTimeout=00:00:06"]);
        using var sinkHttp = new HttpClient { BaseAddress = await ServedUrlAsync(sink) };
        var stored = await PollAsync(async () =>
        {
            var s = PrometheusText.Parse(await sinkHttp.GetStringAsync(new Uri("/metrics", UriKind.Relative)));
            return PrometheusText.Sum(s, "sluice_sink_rows_total", x => x.Label("sink") == "duckdb") >= 1_000 ? s : null;
        }, "sink rows in /metrics", sink);
        var rows = PrometheusText.Sum(stored, "sluice_sink_rows_total");
        var sampled = PrometheusText.Sum(stored, "sluice_sink_latency_seconds_count", s => s.Label("sink") == "duckdb");
        output.WriteLine($"sink: {rows} rows, {sampled} latency samples");
        Assert.InRange(sampled, 1, rows / 100 + 1);
        var ready = await PollAsync(async () =>
        {
            using var r = await sinkHttp.GetAsync(new Uri("/readyz", UriKind.Relative));
            return r.StatusCode == HttpStatusCode.OK ? await r.Content.ReadAsStringAsync() : null;
        }, "sink /readyz 200", sink);
        Assert.Equal(["partitions", "sinks"], Checks(ready).Select(c => c.Name));
        await TerminateAsync(sink);
    }

    [Fact]
    public async Task a_bind_beyond_loopback_requires_the_token_on_every_request()
    {
        using var dir = new TempDirectory("sluice-ckpt");
        using var run = SluiceChild.Start(ProcessArgs(input.Broker.BootstrapServers, $"observe-{Guid.NewGuid():N}", dir.Path),
            new Dictionary<string, string> { ["SLUICE__OBSERVE__LISTEN"] = "http://0.0.0.0:0", ["SLUICE__DASHBOARD__TOKEN"] = Token });
        var bound = await ServedUrlAsync(run);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{bound.Port}") };
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            using var none = await http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token + "x") } };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "/healthz") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
        using var query = await http.GetAsync(new Uri($"/metrics?token={Token}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        await TerminateAsync(run);
    }

    [Theory]
    [InlineData("observe.listen=http://0.0.0.0:9464", "dashboard.token")]
    [InlineData("observe.listen=ftp://127.0.0.1:9464", "observe.listen")]
    [InlineData("observe.readyMaxLag=-1", "observe.readyMaxLag")]
    [InlineData("observe.otlpEndpoint=not a url", "observe.otlpEndpoint")]
    public async Task an_observe_config_error_names_its_key_before_anything_starts(string setting, string key)
    {
        using var dir = new TempDirectory("sluice-ckpt");
        var result = await SluiceProcess.RunAsync([.. ProcessArgs("127.0.0.1:1", "g", dir.Path), "--set", setting], Long);
        output.WriteLine(result.StdErr);
        CliErrorTests.AssertOneLineError(result, 1, key);
        Assert.DoesNotContain("no Kafka broker", result.StdErr, StringComparison.Ordinal);
    }

    private static async Task<Uri> ServedUrlAsync(SluiceChild run)
    {
        var line = await run.WaitForLineAsync(l => l.Contains("observe: serving", StringComparison.Ordinal), Long, "the observe URL");
        return new Uri(UrlPattern().Match(line).Groups[1].Value);
    }

    private async Task<T> PollAsync<T>(Func<Task<T?>> attempt, string what, SluiceChild? run = null) where T : class
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            if (await attempt() is { } done) return done;
            await Task.Delay(200);
        }
        if (run is not null) foreach (var l in run.Lines.TakeLast(30)) output.WriteLine(l);
        throw new TimeoutException($"no {what} within {Long}");
    }

    private static List<(string Name, bool Ok)> Checks(string json) =>
        [.. JsonDocument.Parse(json).RootElement.GetProperty("checks").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("ok").GetBoolean()))];

    private static (string Name, bool Ok) Check(string json, string name) => Checks(json).Single(c => c.Name == name);

    [GeneratedRegex(@" at (http://\S+?)(?: |$)")]
    private static partial Regex UrlPattern();
}
