using System.Globalization;
using System.Text;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.UnitTests.Streaming;

/// <summary>Counts values per key; the result is the sum and the values seen, for assertions.</summary>
internal sealed class SumAggregator : IAggregator<long, List<long>, string>
{
    public List<long> CreateAccumulator() => [];

    public List<long> Add(List<long> accumulator, in long value, long timestamp)
    {
        accumulator.Add(value);
        return accumulator;
    }

    public List<long> Merge(List<long> target, List<long> source)
    {
        target.AddRange(source);
        return target;
    }

    public string GetResult(List<long> accumulator, Window window)
    {
        var sorted = new List<long>(accumulator);
        sorted.Sort();
        return string.Join(",", sorted);
    }
}

/// <summary>The same sums, with accumulators the window operator may clear and reuse.</summary>
internal sealed class RecyclingSumAggregator : IAggregator<long, List<long>, string>, IRecyclingAggregator<List<long>>
{
    private readonly SumAggregator _sum = new();

    public int Resets { get; private set; }

    public List<long> CreateAccumulator() => _sum.CreateAccumulator();

    public List<long> Add(List<long> accumulator, in long value, long timestamp) => _sum.Add(accumulator, value, timestamp);

    public List<long> Merge(List<long> target, List<long> source) => _sum.Merge(target, source);

    public string GetResult(List<long> accumulator, Window window) => _sum.GetResult(accumulator, window);

    public void Reset(List<long> accumulator)
    {
        Resets++;
        accumulator.Clear();
    }
}

/// <summary>The same sums, with accumulators that can be subtracted (a multiset difference), so hopping windows slide.</summary>
internal sealed class InvertibleSumAggregator : IAggregator<long, List<long>, string>, IInvertibleAggregator<List<long>>
{
    private readonly SumAggregator _sum = new();

    public int Subtractions { get; private set; }

    public List<long> CreateAccumulator() => _sum.CreateAccumulator();

    public List<long> Add(List<long> accumulator, in long value, long timestamp) => _sum.Add(accumulator, value, timestamp);

    public List<long> Merge(List<long> target, List<long> source) => _sum.Merge(target, source);

    public string GetResult(List<long> accumulator, Window window) => _sum.GetResult(accumulator, window);

    public List<long> Subtract(List<long> target, List<long> source)
    {
        Subtractions++;
        foreach (var v in source)
            if (!target.Remove(v)) throw new InvalidOperationException($"subtracted {v}, which the total did not hold");
        return target;
    }
}

/// <summary>Lists of longs in snapshots.</summary>
internal sealed class LongListSerde : IStateSerde<List<long>>
{
    public static LongListSerde Instance { get; } = new();

    public void Write(SnapshotWriter writer, in List<long> value)
    {
        writer.WriteCount(value.Count);
        foreach (var v in value) writer.WriteVarInt64(v);
    }

    public List<long> Read(ref SnapshotReader reader)
    {
        var count = reader.ReadCount();
        var list = new List<long>(count);
        for (var i = 0; i < count; i++) list.Add(reader.ReadVarInt64());
        return list;
    }
}

/// <summary>
/// A tiny topology for engine tests. Input payloads are UTF-8 "key,timestamp,value" (value optional, default 1);
/// "key,timestamp,end" marks a session end event; "boom" throws; anything else is dead-lettered as "bad_input".
/// Results go to "out" as "key [start,end) values final?", late events to "late".
/// </summary>
internal sealed class TestTopology : ITopology
{
    private readonly TimeWindows? _windows;
    private readonly SessionWindows? _sessions;
    private readonly EmitStrategy _emit;
    private readonly int _maxEntries;

    public TestTopology(TimeWindows windows, EmitStrategy emit = EmitStrategy.OnWindowClose, int maxEntries = 10_000)
    {
        _windows = windows;
        _emit = emit;
        _maxEntries = maxEntries;
    }

    public TestTopology(SessionWindows sessions, EmitStrategy emit = EmitStrategy.OnWindowClose, int maxEntries = 10_000)
    {
        _sessions = sessions;
        _emit = emit;
        _maxEntries = maxEntries;
    }

    public string Name => "test";

    /// <summary>When set, windows and sessions aggregate with this (shared by every task) instead of a fresh <see cref="SumAggregator"/>.</summary>
    public RecyclingSumAggregator? Recycling { get; init; }

    /// <summary>When set, time windows aggregate with this instead.</summary>
    public InvertibleSumAggregator? Invertible { get; init; }

    public IReadOnlyList<string> SourceTopics { get; init; } = ["in"];

    public string DeadLetterTopic => "dlq";

    public static byte[] Input(string key, long timestamp, long value = 1) =>
        Encoding.UTF8.GetBytes($"{key},{timestamp},{value}");

    public static byte[] End(string key, long timestamp) => Encoding.UTF8.GetBytes($"{key},{timestamp},end");

    public TaskTopology Build(TaskId taskId)
    {
        var b = new TaskTopologyBuilder();
        var output = b.Add(new ResultFormatter(b.Add(new SinkProcessor<string, string>("out"))));
        var late = b.Add(new SinkProcessor<string, LateRecord<long>>("late"));
        IProcessor<string, long> aggregate = _windows is not null
            ? b.Add(new WindowAggregateProcessor<string, long, List<long>, string>("sum", _windows,
                Invertible ?? Recycling ?? (IAggregator<long, List<long>, string>)new SumAggregator(),
                b.Store(new WindowStore<string, List<long>>("sum", _maxEntries, valueSerde: LongListSerde.Instance)), output, late, _emit))
            : b.Add(new SessionWindowProcessor<string, long, List<long>, string>("sum", _sessions!,
                Recycling ?? (IAggregator<long, List<long>, string>)new SumAggregator(),
                b.Store(new SessionStore<string, SessionState<List<long>>>("sum", _maxEntries, valueSerde: new SessionStateSerde<List<long>>(LongListSerde.Instance))), output, late,
                _sessions!.EndEventTimeoutMs is null ? null : v => v < 0, _emit));
        return b.Build(b.Add(new ParseProcessor(aggregate)));
    }

    private sealed class ParseProcessor(IProcessor<string, long> next) : IProcessor<byte[]?, byte[]>
    {
        private IProcessorContext _context = null!;

        public void Init(IProcessorContext context) => _context = context;

        public void Process(in Record<byte[]?, byte[]> record)
        {
            var text = Encoding.UTF8.GetString(record.Value);
            if (text == "boom") throw new InvalidOperationException("boom");
            var parts = text.Split(',');
            if (parts.Length != 3 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ts))
            {
                _context.DeadLetter("bad_input", text);
                return;
            }
            // End events carry a negative value so that the session predicate can see them.
            var value = parts[2] == "end" ? -1 : long.Parse(parts[2], CultureInfo.InvariantCulture);
            _context.ReportEventTime(ts);
            next.Process(new Record<string, long>(parts[0], value, ts, record.Source));
        }

        public void Close()
        {
        }
    }

    private sealed class ResultFormatter(IProcessor<string, string> next) : IProcessor<string, WindowResult<string, string>>
    {
        public void Init(IProcessorContext context)
        {
        }

        public void Process(in Record<string, WindowResult<string, string>> record)
        {
            var r = record.Value;
            var text = $"{r.Key} [{r.Window.Start},{r.Window.End}) {r.Result}{(r.IsFinal ? "" : " early")}";
            next.Process(record.With(record.Key, text));
        }

        public void Close()
        {
        }
    }
}
