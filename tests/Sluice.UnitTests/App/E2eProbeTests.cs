using System.Text;
using Sluice.App.Bench;
using Sluice.Generate;
using Sluice.Generate.Faults;
using Sluice.Generate.Writers;
using Sluice.Sinks;

namespace Sluice.UnitTests.App;

/// <summary>The measuring points of <c>bench e2e</c>: the latency probe and the per-thread CPU sampler.</summary>
public class E2eProbeTests
{
    private const string Enriched = "clickstream.enriched";

    [Fact]
    public void latency_probe_counts_each_sampled_event_once_per_place_and_ignores_the_rest()
    {
        var probe = new LatencyProbe(Enriched);
        var ids = Ids(sampled: true).Take(20).ToList();
        var unsampled = Ids(sampled: false).First();
        using var writer = probe.WrapProducer(new NullWriter());
        foreach (var id in ids.Append(unsampled)) writer.Write(Click(id));

        foreach (var id in ids) probe.Visible("output reader", Enriched, Json(id));
        probe.Visible("output reader", Enriched, Json(ids[0]));          // read again: counted once
        probe.Visible("output reader", Enriched, Json(unsampled));        // not stamped
        probe.Visible("output reader", "clickstream.dlq", Json(ids[1]));  // another topic
        probe.Visible("output reader", Enriched, Json(Guid.NewGuid()));   // never produced
        probe.Visible("output reader", Enriched, "not json"u8.ToArray());

        var sink = probe.WrapSink("postgres", new RecordingSink());
        sink.Write(new SinkBatch("g", ids.Take(5).Select((id, i) => new SinkRecord(Enriched, 0, i, 0, null, Json(id))).ToList()));

        var summaries = probe.Summaries();
        Assert.Equal(["output reader", "sink postgres"], summaries.Select(s => s.Where));
        Assert.Equal(20, summaries[0].Samples);
        Assert.Equal(5, summaries[1].Samples);
        foreach (var s in summaries) Assert.True(s.P50 <= s.P99 && s.P99 <= s.Max && s.P50 >= TimeSpan.Zero, s.ToString());
    }

    [Fact]
    public void latency_probe_marks_a_sink_batch_visible_only_after_the_store_wrote_it()
    {
        var probe = new LatencyProbe(Enriched);
        var id = Ids(sampled: true).First();
        using (var writer = probe.WrapProducer(new NullWriter())) writer.Write(Click(id));
        var failing = probe.WrapSink("lake", new RecordingSink { Fail = true });
        Assert.Throws<IOException>(() => failing.Write(new SinkBatch("g", [new SinkRecord(Enriched, 0, 0, 0, null, Json(id))])));
        Assert.Empty(probe.Summaries());
    }

    [Fact]
    public void thread_sampler_reports_a_named_thread_with_the_cpu_it_used()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var sampler = new ThreadCpuSampler();
        sampler.Start(TimeSpan.FromMilliseconds(20));
        using var burnt = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            // Burn until this thread's own CPU clock has passed 100 ms (a condition, not a timing), then stay alive until
            // the sampler has taken its last sample: a thread that ends between two samples is not seen.
            var start = ThreadTicks();
            var x = 0.0;
            while (ThreadTicks() - start < 10) for (var i = 0; i < 100_000; i++) x += Math.Sqrt(i);
            GC.KeepAlive(x);
            burnt.Set();
            release.Wait();
        }) { Name = "sl-test-burner" };
        thread.Start();
        burnt.Wait();
        var threads = sampler.Stop();
        release.Set();
        thread.Join();
        var burner = Assert.Single(threads, t => t.Name == "sl-test-burner");
        Assert.True(burner.Seconds >= 0.1, burner.ToString());
    }

    // This thread's utime + stime in clock ticks (1/100 s).
    private static long ThreadTicks()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]);
    }

    private static IEnumerable<Guid> Ids(bool sampled)
    {
        while (true)
        {
            var id = Guid.NewGuid();
            if (((id.GetHashCode() & (LatencyProbe.SampleEvery - 1)) == 0) == sampled) yield return id;
        }
    }

    private static GeneratedRecord Click(Guid id) =>
        new(RecordKind.Click, "clickstream.events", "u1", ReadOnlyMemory<byte>.Empty, 0, 0, FaultKind.None, id, null);

    private static byte[] Json(Guid id) => Encoding.UTF8.GetBytes($"{{\"event_id\":\"{id}\",\"event_type\":\"page_view\"}}");

    private sealed class NullWriter : ITrafficWriter
    {
        public void Write(in GeneratedRecord record)
        {
        }

        public void Flush(CancellationToken cancellationToken = default)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class RecordingSink : ISink
    {
        public bool Fail { get; init; }

        public string Name => "recording";

        public void Open(CancellationToken cancellationToken = default)
        {
        }

        public IReadOnlyDictionary<SinkPartition, long> ReadOffsets(string groupId, CancellationToken cancellationToken = default) =>
            new Dictionary<SinkPartition, long>();

        public void Write(SinkBatch batch, CancellationToken cancellationToken = default)
        {
            if (Fail) throw new IOException("store down");
        }

        public void Dispose()
        {
        }
    }
}
