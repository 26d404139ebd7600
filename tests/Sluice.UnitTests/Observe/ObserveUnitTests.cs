using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Sluice.Core.Configuration;
using Sluice.Core.Diagnostics;
using Sluice.Core.Errors;
using Sluice.Serve;
using Sluice.Streaming.Diagnostics;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;
using Sluice.UnitTests.Streaming;

namespace Sluice.UnitTests.Observe;

/// <summary>The pieces behind the observe endpoint: task counters across task lifetimes, the instruments, the token gate, the keys, the Prometheus reader.</summary>
public sealed class ObserveUnitTests
{
    private static readonly string RepoConfig = Path.Combine(Sluice.TestKit.RepoRoot.Path, "config", "sluice.yaml");

    private static TopologyTestDriver Driver() =>
        new(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))), WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));

    [Fact]
    public void a_closed_tasks_counts_stay_in_the_totals_so_counters_never_go_back()
    {
        var telemetry = new TaskTelemetry();
        using var driver = Driver();
        telemetry.Attach(driver.TaskManager);
        driver.Assign(0, 1);
        driver.Pipe(TestTopology.Input("a", 10), partition: 0);
        driver.Pipe(TestTopology.Input("b", 20), partition: 0);
        driver.Pipe(TestTopology.Input("c", 30), partition: 1);
        Assert.Equal(2, telemetry.Counters("records_in")[("", 0)]);
        Assert.Equal(3, telemetry.Total("records_in"));

        driver.Revoke(0);
        Assert.Single(telemetry.LiveTasks);
        Assert.Equal(2, telemetry.Counters("records_in")[("", 0)]);
        driver.Assign(0);
        driver.Pipe(TestTopology.Input("d", 40), partition: 0);
        Assert.Equal(3, telemetry.Counters("records_in")[("", 0)]);
        Assert.Equal(4, telemetry.Total("records_in"));
    }

    [Fact]
    public void the_records_counter_reports_per_partition_what_the_tasks_counted_when_collected()
    {
        using var driver = Driver();
        TaskTelemetry.Shared.Attach(driver.TaskManager);
        var before = Collect("sluice.processor.records");
        driver.Assign(40, 41);
        for (var i = 0; i < 5; i++) driver.Pipe(TestTopology.Input("k", 10 + i), partition: 40);
        driver.Pipe(TestTopology.Input("k", 10), partition: 41);
        var after = Collect("sluice.processor.records");
        Assert.Equal(5, after.GetValueOrDefault(40) - before.GetValueOrDefault(40));
        Assert.Equal(1, after.GetValueOrDefault(41) - before.GetValueOrDefault(41));
    }

    [Fact]
    public void the_apis_totals_read_records_in_and_dead_letters_as_the_tasks_counted_them()
    {
        using var totals = new Sluice.Serve.Api.InstrumentTotals();
        using var driver = Driver();
        TaskTelemetry.Shared.Attach(driver.TaskManager);
        var before = totals.Read();
        driver.Assign(42);
        for (var i = 0; i < 4; i++) driver.Pipe(TestTopology.Input("k", 10 + i), partition: 42);
        driver.Pipe(System.Text.Encoding.UTF8.GetBytes("not,a-record"), partition: 42);
        var after = totals.Read();
        Assert.Equal(5, after.RecordsIn - before.RecordsIn);
        Assert.Equal(1, after.DeadLetters - before.DeadLetters);
        Assert.NotNull(after.WatermarkLagSeconds);
    }

    [Fact]
    public void the_records_counter_carries_the_input_topic_of_each_partition()
    {
        using var driver = new TopologyTestDriver(new TestTopology(TumblingWindows.Of(TimeSpan.FromMilliseconds(100))) { SourceTopics = ["in", "other"] },
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));
        TaskTelemetry.Shared.Attach(driver.TaskManager);
        // The shared telemetry keeps the counts of every task this process has run (other tests' too): compare deltas.
        Dictionary<(string?, int), long> Series()
        {
            var series = new Dictionary<(string?, int), long>();
            CollectTags("sluice.processor.records", (value, tags) => series[((string?)Tag(tags, "topic"), (int)Tag(tags, "partition")!)] = value);
            return series;
        }
        var before = Series();
        driver.Assign(42);
        for (var i = 0; i < 3; i++) driver.Pipe("in", 42, TestTopology.Input("k", 10 + i));
        driver.Pipe("other", 42, TestTopology.Input("k", 20));
        var after = Series();
        Assert.Equal(3, after[("in", 42)] - before.GetValueOrDefault(("in", 42)));
        Assert.Equal(1, after[("other", 42)] - before.GetValueOrDefault(("other", 42)));
    }

    [Fact]
    public void one_input_record_in_every_is_measured_from_its_event_time_and_from_its_kafka_timestamp()
    {
        // Latencies no other test produces: 1,234.5 s since the Kafka timestamp, 98,765.4 s since the event time.
        using var driver = Driver();
        var now = driver.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var samples = new List<(string From, double Seconds)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, StreamingInstruments.Latency)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (value is 1_234.5 or 98_765.4) lock (samples) samples.Add(((string)Tag(tags, "from")!, value));
        });
        listener.Start();
        var records = 2 * LatencySampler.Every + LatencySampler.Every / 2;
        for (var i = 0; i < records; i++)
            driver.Pipe("in", 43, TestTopology.Input("k", now - 98_765_400), brokerTimestamp: now - 1_234_500);
        Assert.Equal([("event_time", 98_765.4), ("produce_time", 1_234.5), ("event_time", 98_765.4), ("produce_time", 1_234.5)], samples);
    }

    [Fact]
    public void a_record_without_event_time_or_kafka_timestamp_adds_no_latency_sample()
    {
        using var driver = Driver();
        var count = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, StreamingInstruments.Latency)) l.EnableMeasurementEvents(instrument);
        };
        // Any sample from this thread is this test's: the driver processes on the caller's thread.
        var thread = Environment.CurrentManagedThreadId;
        listener.SetMeasurementEventCallback<double>((_, _, _, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread) count++;
        });
        listener.Start();
        for (var i = 0; i < 3 * LatencySampler.Every; i++) driver.Pipe("in", 44, "not a record"u8.ToArray());
        Assert.Equal(0, count);
        driver.Pipe("in", 44, TestTopology.Input("k", 10), brokerTimestamp: 0);
        for (var i = 1; i < LatencySampler.Every; i++) driver.Pipe("in", 44, TestTopology.Input("k", 10), brokerTimestamp: 0);
        Assert.Equal(1, count);
    }

    [Fact]
    public void latency_buckets_rise_from_a_millisecond_to_a_year_and_a_later_timestamp_counts_as_zero()
    {
        var buckets = LatencyBuckets.Seconds;
        Assert.Equal(0.001, buckets[0]);
        Assert.Equal(365 * 86_400, buckets[^1]);
        for (var i = 1; i < buckets.Count; i++) Assert.True(buckets[i] > buckets[i - 1], $"bucket {i} ({buckets[i]}) does not rise");
        Assert.Equal(1.5, LatencyBuckets.Between(8_500, 10_000));
        Assert.Equal(0, LatencyBuckets.Between(12_000, 10_000));
    }

    [Fact]
    public void state_bytes_are_unknown_until_a_snapshot_then_scale_with_the_entries()
    {
        using var driver = Driver();
        driver.Assign(45);
        for (var i = 0; i < 10; i++) driver.Pipe("in", 45, TestTopology.Input("k" + i, 1_000));
        var task = driver.Task(45);
        Assert.Null(task.EstimatedStateBytes(0));
        var snapshot = task.Snapshot();
        var ten = task.EstimatedStateBytes(0)!.Value;
        Assert.InRange(ten, 10 * 5, snapshot.Length);
        for (var i = 10; i < 20; i++) driver.Pipe("in", 45, TestTopology.Input("k" + i, 1_000));
        Assert.Equal(2.0 * ten, task.EstimatedStateBytes(0)!.Value, 1.0);
    }

    [Fact]
    public void session_stores_report_their_sessions_as_open_sessions()
    {
        using var driver = new TopologyTestDriver(new TestTopology(SessionWindows.WithGap(TimeSpan.FromSeconds(1))), WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.Zero));
        TaskTelemetry.Shared.Attach(driver.TaskManager);
        var before = CollectStore("sluice.processor.sessions.open");
        driver.Assign(46);
        driver.Pipe("in", 46, TestTopology.Input("a", 1_000));
        driver.Pipe("in", 46, TestTopology.Input("b", 1_100));
        driver.Pipe("in", 46, TestTopology.Input("a", 1_200));
        var after = CollectStore("sluice.processor.sessions.open");
        Assert.Equal(2, after - before);
    }

    private static long CollectStore(string instrumentName)
    {
        long sum = 0;
        CollectTags(instrumentName, (value, tags) =>
        {
            if ((string?)Tag(tags, "store") == "sum") sum += value;
        });
        return sum;
    }

    private static void CollectTags(string instrumentName, Action<long, ReadOnlySpan<KeyValuePair<string, object?>>> onValue)
    {
        StreamingInstruments.EnsureCreated();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamingInstruments.MeterName && instrument.Name == instrumentName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => onValue(value, tags));
        listener.Start();
        listener.RecordObservableInstruments();
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags) if (tag.Key == key) return tag.Value;
        return null;
    }

    private static Dictionary<int, long> Collect(string instrumentName)
    {
        StreamingInstruments.EnsureCreated();
        var values = new Dictionary<int, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == StreamingInstruments.MeterName && instrument.Name == instrumentName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "partition") values[(int)tag.Value!] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Theory]
    [InlineData("Bearer secret-token-0123456789", null, true)]
    [InlineData("bearer secret-token-0123456789", null, true)]
    [InlineData(null, "secret-token-0123456789", true)]
    [InlineData("Bearer secret-token-012345678", null, false)]
    [InlineData("Basic secret-token-0123456789", null, false)]
    [InlineData(null, null, false)]
    [InlineData(null, "", false)]
    public void the_token_gate_takes_a_bearer_header_or_a_token_query_and_nothing_else(string? header, string? query, bool allowed)
    {
        var gate = new TokenGate("secret-token-0123456789");
        var context = new DefaultHttpContext();
        if (header is not null) context.Request.Headers.Authorization = header;
        if (query is not null) context.Request.QueryString = QueryString.Create("token", query);
        Assert.Equal(allowed, gate.Allows(context.Request));
    }

    [Fact]
    public async Task a_right_token_query_gives_the_browser_a_cookie_that_alone_lets_its_next_requests_through()
    {
        var gate = new TokenGate("secret-token-0123456789");
        var first = new DefaultHttpContext();
        first.Request.QueryString = QueryString.Create("token", "secret-token-0123456789");
        await gate.InvokeAsync(first, _ => Task.CompletedTask);
        var setCookie = first.Response.Headers.SetCookie.ToString();
        Assert.StartsWith($"{TokenGate.Cookie}=secret-token-0123456789", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);

        var next = new DefaultHttpContext();
        next.Request.Headers.Cookie = $"{TokenGate.Cookie}=secret-token-0123456789";
        Assert.True(gate.Allows(next.Request));
        var wrong = new DefaultHttpContext();
        wrong.Request.Headers.Cookie = $"{TokenGate.Cookie}=secret-token-012345678";
        Assert.False(gate.Allows(wrong.Request));

        var refused = new DefaultHttpContext();
        refused.Request.QueryString = QueryString.Create("token", "nope");
        await gate.InvokeAsync(refused, _ => throw new InvalidOperationException("the gate let a wrong token through"));
        Assert.Equal(401, refused.Response.StatusCode);
        Assert.Empty(refused.Response.Headers.SetCookie.ToString());
    }

    [Fact]
    public void without_a_token_the_gate_lets_everything_through() => Assert.True(new TokenGate("").Allows(new DefaultHttpContext().Request));

    [Theory]
    [InlineData("http://127.0.0.1:9464")]
    [InlineData("http://127.0.0.2:0")]
    [InlineData("http://localhost:9464")]
    [InlineData("http://[::1]:9464")]
    [InlineData("")]
    public void loopback_or_nothing_needs_no_token(string listen)
    {
        var options = SluiceConfiguration.Load(RepoConfig, [$"observe.listen={listen}"]);
        Assert.Equal(listen.Length > 0, options.Observe.Enabled);
    }

    [Theory]
    [InlineData("http://0.0.0.0:9464")]
    [InlineData("http://192.168.1.5:9464")]
    [InlineData("http://[::]:9464")]
    public void any_other_address_needs_a_token_of_16_characters(string listen)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [$"observe.listen={listen}", "dashboard.token=short"]));
        Assert.Equal("dashboard.token", ex.Key);
        var options = SluiceConfiguration.Load(RepoConfig, [$"observe.listen={listen}", "dashboard.token=0123456789abcdef"]);
        Assert.False(options.Observe.IsLoopback);
    }

    [Theory]
    [InlineData("observe.listen=127.0.0.1:9464", "observe.listen")]
    [InlineData("observe.listen=http://127.0.0.1:9464/metrics", "observe.listen")]
    [InlineData("observe.listen=https://127.0.0.1:9464", "observe.listen")]
    [InlineData("observe.otlpProtocol=udp", "observe.otlpProtocol")]
    [InlineData("observe.otlpEndpoint=ftp://x:1", "observe.otlpEndpoint")]
    public void a_bad_observe_value_names_its_key(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void the_prometheus_reader_reads_names_labels_escapes_and_special_values()
    {
        var samples = PrometheusText.Parse("""
            # HELP sluice_processor_dead_letters_total Records routed
            # TYPE sluice_processor_dead_letters_total counter
            sluice_processor_dead_letters_total{otel_scope_name="Sluice.Streaming",reason="invalid_json"} 41 1700000000000
            sluice_processor_dead_letters_total{reason="a \"quoted\" \\ one"} 2
            sluice_checkpoint_duration_seconds_bucket{le="+Inf"} 6
            target_info 1
            up NaN

            """);
        Assert.Equal(43, PrometheusText.Sum(samples, "sluice_processor_dead_letters_total"));
        Assert.Equal("invalid_json", samples[0].Label("reason"));
        Assert.Equal("a \"quoted\" \\ one", samples[1].Label("reason"));
        Assert.Equal("+Inf", samples[2].Label("le"));
        Assert.True(double.IsNaN(samples[4].Value));
        Assert.Throws<FormatException>(() => PrometheusText.Parse("garbage"));
    }
}
