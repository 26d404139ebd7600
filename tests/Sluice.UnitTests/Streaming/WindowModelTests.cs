using Sluice.Streaming.Errors;
using Sluice.Streaming.Testing;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

/// <summary>The window operators against brute-force models that keep every record of every window, over seeded disordered input.</summary>
/// <remarks>
/// The models share no code with the operators: every window (or session) is a plain list of the records it counted.
/// Their rules are the operators' contract. A record counts in each window containing it that has not fired yet; it is
/// late when its latest window ends (plus the allowed lateness) at or before the watermark, or has fired. After every
/// record, each window holding data whose end plus lateness the watermark has reached fires, earliest first, once.
/// Sessions: a record joins (and merges) the key's open sessions it is within the gap of; otherwise it is late when its
/// own session would already be closed, or when it falls inside a session of the key that has closed.
/// </remarks>
public class WindowModelTests
{
    private const int OutOfOrdernessMs = 20;

    [Theory]
    [InlineData(100, 100, 0, false)]
    [InlineData(100, 100, 30, false)]
    [InlineData(50, 10, 0, false)]
    [InlineData(50, 10, 0, true)]
    [InlineData(60, 20, 35, true)]
    [InlineData(60, 20, 35, false)]
    [InlineData(30, 30, 0, true)]
    [InlineData(60, 40, 10, true)]
    [InlineData(60, 40, 10, false)]
    public void time_windows_equal_a_brute_force_recount_of_every_window_under_disorder(int sizeMs, int advanceMs, int latenessMs, bool invertible)
    {
        var windows = HoppingWindows.Of(TimeSpan.FromMilliseconds(sizeMs), TimeSpan.FromMilliseconds(advanceMs))
            .WithAllowedLateness(TimeSpan.FromMilliseconds(latenessMs));
        var topology = new TestTopology(windows) { Invertible = invertible ? new InvertibleSumAggregator() : null };
        using var d = new TopologyTestDriver(topology, WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(OutOfOrdernessMs)));
        var model = new TimeWindowModel(sizeMs, advanceMs, latenessMs);

        var random = new Random(sizeMs * 31 + advanceMs * 7 + latenessMs + (invertible ? 1 : 0));
        long newest = 1_000;
        for (var i = 0; i < 6_000; i++)
        {
            // Mostly a few ms apart, now and then a jump past several windows; now and then far behind the bound, so
            // records are late for all, or only some, of their windows.
            newest += random.Next(25) == 0 ? random.Next(0, 400) : random.Next(0, 4);
            var ts = newest - random.Next(0, random.Next(6) == 0 ? 200 : 15);
            var key = $"k{random.Next(5)}";
            var value = random.Next(1, 1000);
            d.Pipe(TestTopology.Input(key, ts, value));
            model.Process(key, ts, value);
        }
        d.EndOfInput();
        model.EndOfInput();

        Assert.Equal(model.Late, d.Output<LateRecord<long>>("late").Count);
        Assert.Equal(model.Late, d.Task().Metrics.Get("late_events.sum"));
        Assert.Equal(model.Output, d.Output<string>("out").Order(StringComparer.Ordinal).ToList());
        // Each window (and key) once, in start order.
        var starts = d.Collector.Records("out").Select(r => r.Timestamp).ToList();
        Assert.Equal(starts.Order().ToList(), starts);
        Assert.True(model.Late > 50, $"only {model.Late} late records");
        if (advanceMs < sizeMs) Assert.True(model.Partial > 50, $"only {model.Partial} partly late records");
    }

    [Theory]
    [InlineData(50, 0)]
    [InlineData(50, 25)]
    [InlineData(7, 0)]
    public void sessions_equal_a_brute_force_model_under_disorder_with_bridging_merges(int gapMs, int latenessMs)
    {
        var sessions = SessionWindows.WithGap(TimeSpan.FromMilliseconds(gapMs)).WithAllowedLateness(TimeSpan.FromMilliseconds(latenessMs));
        using var d = new TopologyTestDriver(new TestTopology(sessions, maxEntries: 1_000_000),
            WatermarkStrategy.ForBoundedOutOfOrderness(TimeSpan.FromMilliseconds(OutOfOrdernessMs)));
        var model = new SessionModel(gapMs, latenessMs);

        var random = new Random(gapMs * 13 + latenessMs);
        long newest = 1_000;
        for (var i = 0; i < 5_000; i++)
        {
            // Each key's events are about a gap apart, so sessions break often and delayed events bridge them.
            newest += random.Next(20) == 0 ? random.Next(0, 300) : random.Next(0, gapMs / 2 + 1);
            var ts = newest - random.Next(0, random.Next(5) == 0 ? 150 : gapMs);
            var key = $"u{random.Next(4)}";
            var value = random.Next(1, 1000);
            d.Pipe(TestTopology.Input(key, ts, value));
            model.Process(key, ts, value);
        }
        d.EndOfInput();
        model.EndOfInput();

        Assert.Equal(model.Late, d.Output<LateRecord<long>>("late").Count);
        Assert.Equal(model.Output, d.Output<string>("out").Order(StringComparer.Ordinal).ToList());
        Assert.True(model.Merges > 20, $"only {model.Merges} bridging merges");
        Assert.True(model.Late > 20, $"only {model.Late} late records");
    }

    private abstract class Model(long latenessMs)
    {
        private long _maxTs = long.MinValue;

        protected long LatenessMs { get; } = latenessMs;

        protected long Watermark { get; private set; } = EventTime.NoWatermark;

        public int Late { get; protected set; }

        public List<string> Output { get; } = [];

        public void Process(string key, long ts, long value)
        {
            Add(key, ts, value);
            _maxTs = Math.Max(_maxTs, ts);
            Watermark = Math.Max(Watermark, _maxTs - OutOfOrdernessMs);
            Fire();
        }

        public void EndOfInput()
        {
            Watermark = EventTime.EndOfTime;
            Fire();
            Output.Sort(StringComparer.Ordinal);
        }

        protected abstract void Add(string key, long ts, long value);

        protected abstract void Fire();

        protected static string Format(string key, long start, long end, List<long> values) =>
            $"{key} [{start},{end}) {string.Join(",", values.Order())}";
    }

    private sealed class TimeWindowModel(long size, long advance, long lateness) : Model(lateness)
    {
        private readonly SortedDictionary<long, Dictionary<string, List<long>>> _open = [];
        private long _lastFired = long.MinValue;

        public int Partial { get; private set; }

        protected override void Add(string key, long ts, long value)
        {
            var last = ts - (((ts % advance) + advance) % advance);
            if (last <= _lastFired || last + size + LatenessMs <= Watermark)
            {
                Late++;
                return;
            }
            var counted = false;
            var skipped = false;
            for (var start = last; start > ts - size; start -= advance)
            {
                if (start <= _lastFired)
                {
                    skipped = true;
                    continue;
                }
                if (!_open.TryGetValue(start, out var window)) _open[start] = window = [];
                if (!window.TryGetValue(key, out var values)) window[key] = values = [];
                values.Add(value);
                counted = true;
            }
            Assert.True(counted);
            if (skipped) Partial++;
        }

        protected override void Fire()
        {
            while (_open.Count > 0)
            {
                var (start, window) = _open.First();
                if (start + size + LatenessMs > Watermark) return;
                foreach (var (key, values) in window) Output.Add(Format(key, start, start + size, values));
                _open.Remove(start);
                _lastFired = start;
            }
        }
    }

    private sealed class SessionModel(long gap, long lateness) : Model(lateness)
    {
        private readonly List<Session> _open = [];
        private readonly Dictionary<string, long> _closedEnd = [];

        public int Merges { get; private set; }

        protected override void Add(string key, long ts, long value)
        {
            var joined = _open.Where(s => s.Key == key && ts < s.MaxTs + gap && ts + gap > s.Start).ToList();
            if (joined.Count == 0)
            {
                // Late too: inside a session of the key that has closed (opening another would overlap it).
                if (ts + gap + LatenessMs <= Watermark || (_closedEnd.TryGetValue(key, out var closedEnd) && ts < closedEnd))
                {
                    Late++;
                    return;
                }
                _open.Add(new Session(key) { Start = ts, MaxTs = ts, Values = [value] });
                return;
            }
            if (joined.Count > 1) Merges++;
            var into = joined[0];
            foreach (var other in joined.Skip(1))
            {
                into.Start = Math.Min(into.Start, other.Start);
                into.MaxTs = Math.Max(into.MaxTs, other.MaxTs);
                into.Values.AddRange(other.Values);
                _open.Remove(other);
            }
            into.Start = Math.Min(into.Start, ts);
            into.MaxTs = Math.Max(into.MaxTs, ts);
            into.Values.Add(value);
        }

        protected override void Fire()
        {
            foreach (var s in _open.Where(s => s.MaxTs + gap + LatenessMs <= Watermark).ToList())
            {
                Output.Add(Format(s.Key, s.Start, s.MaxTs + gap, s.Values));
                _open.Remove(s);
                _closedEnd[s.Key] = Math.Max(_closedEnd.GetValueOrDefault(s.Key, long.MinValue), s.MaxTs + gap);
            }
        }

        private sealed class Session(string key)
        {
            public string Key { get; } = key;
            public long Start { get; set; }
            public long MaxTs { get; set; }
            public List<long> Values { get; set; } = [];
        }
    }
}
