using Sluice.Core.Configuration;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Schemas.Registry;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Time;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Domains.Topology;

/// <summary>A topology described entirely by a domain file: decode → validate → dedupe → late gate → valid output and one windowed aggregate per <c>aggregates</c> entry.</summary>
/// <remarks>
/// <code>
/// input ─► decode ─► validate ─► dedupe ─► late? ─┬─► NAME.valid
///            │          │                 │       ├─► aggregate 1 (tumbling | hopping | session) ─┐
///            └──────────┴─► NAME.dlq       │       └─► aggregate n                                  ├─► NAME.aggregated
///                                          └─► NAME.late (once per record)                           ┘
/// </code>
/// <para>Everything is compiled once from the file (<see cref="DomainSchema"/>, <see cref="CompiledAggregate{T}"/>): the
/// decoder matches names to slots, the rules and measures read slots through delegates, and a record is never
/// interpreted by name. A record is late when its window of the late gate has closed: tumbling windows of the
/// greatest common divisor of every time window's size and advance, which ends no later than any other window of
/// the record, so whatever passes is on time for every time-window aggregate. A late record goes to the late output
/// once and is neither written as valid nor aggregated; the one exception is sessions, whose operator sends a record
/// that falls in a session it has already closed to the late output itself, as the clickstream's does.</para>
/// <para>Aggregates are per partition (task), grouped within the task by the groupBy values, and written as
/// <see cref="AggregateRow"/>s keyed by (aggregate, window, dimension, partition, metric), as the clickstream's are, so
/// the same sinks and API carry them; readers sum the partitions' rows (a mean through its sum and count). All state
/// is in state stores and operators with checkpoint serdes, so a task restored from a snapshot writes what an
/// uninterrupted one would.</para>
/// </remarks>
public sealed class DomainTopology : ITopology
{
    /// <summary>The deduplication store's name.</summary>
    public const string DedupStore = "dedup";

    private readonly ProcessorOptions _limits;
    private readonly ISchemaSource? _schemas;
    private readonly TimeWindows? _gate;
    private readonly string _gateName;

    /// <summary>The topology of <paramref name="domain"/>, which must describe its own event; <paramref name="limits"/> gives the
    /// state limits and idle timeout (<c>processor.*</c>: dedupMaxEntries, maxWindowEntries, maxOpenSessions, idleTimeout);
    /// with <paramref name="schemas"/> (the registry client) it also reads Avro frames of the schema generated from the file.</summary>
    public DomainTopology(DomainDefinition domain, ProcessorOptions? limits = null, ISchemaSource? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        _limits = limits ?? new ProcessorOptions();
        _schemas = schemas;
        Schema = DomainSchema.Compile(domain);
        Topics = domain.Topics!;
        Aggregates = [.. domain.Aggregates.Select(a => new CompiledAggregate<DomainRecord>(a, Schema.AggregateFields))];
        SourceTopics = [Topics.Input];
        var timed = Aggregates.Where(a => a.TimeWindows is not null).Select(a => a.TimeWindows!).ToList();
        if (timed.Count > 0)
        {
            var pane = timed.Select(w => Gcd(w.SizeMs, w.AdvanceMs)).Aggregate(Gcd);
            _gate = TumblingWindows.Of(TimeSpan.FromMilliseconds(pane)).WithAllowedLateness(domain.Event!.AllowedLateness);
            // Named after the aggregate whose windows it is, when one has exactly those; otherwise by what it is.
            _gateName = Aggregates.FirstOrDefault(a => a.TimeWindows is { IsTumbling: true } w && w.SizeMs == pane)?.Name ?? "late_gate";
        }
        else
        {
            _gateName = "";
        }
    }

    public string Name => Schema.Domain.Name;

    public IReadOnlyList<string> SourceTopics { get; }

    public string DeadLetterTopic => Topics.DeadLetters;

    /// <summary>The compiled fields, key, time, id and rules.</summary>
    public DomainSchema Schema { get; }

    /// <summary>The domain's validation rules, compiled.</summary>
    public RuleSet<DomainRecord> Rules => Schema.Rules;

    /// <summary>The input and output topics.</summary>
    public TopicsSpec Topics { get; }

    /// <summary>The aggregates, compiled, in file order.</summary>
    public IReadOnlyList<CompiledAggregate<DomainRecord>> Aggregates { get; }

    /// <summary>The watermark strategy this topology expects: the file's out-of-orderness, the configured idle timeout.</summary>
    public WatermarkStrategy WatermarkStrategy =>
        WatermarkStrategy.ForBoundedOutOfOrderness(Schema.Event.MaxOutOfOrderness).WithIdleness(_limits.IdleTimeout);

    /// <summary>The stages this topology runs, front to back, with what each acts on and where those records go: what <c>sluice domain check</c> prints.</summary>
    public IReadOnlyList<TopologyStage> Describe()
    {
        var e = Schema.Event;
        var t = Topics;
        var domain = Schema.Domain;
        var late = e.AllowedLateness > TimeSpan.Zero ? $", lateness {e.AllowedLateness:c}" : "";
        var stages = new List<TopologyStage>
        {
            new("source", "every record", t.Input, $"JSON objects, or Avro frames of {domain.Schema.Name} resolved through the schema registry; keyed by {e.Key}, event time {e.Time}"),
            new("decode", "an undecodable payload", t.DeadLetters, string.Join(", ", DomainRecordDecoder.ReasonCodes) + ", and the avro_* codes"),
            new("validate", $"the first of {Rules.Rules.Count} rules broken", t.DeadLetters, $"the rules of {domain.Name} ({domain.Source})"),
        };
        if (e.Id is { } id)
            stages.Add(new("dedupe", $"a repeated {id} (dropped)", "", $"within {e.DedupHorizon:c} of event time, at most {_limits.DedupMaxEntries:N0} ids per partition"));
        if (_gate is not null)
            stages.Add(new("late gate", $"its {TimeSpan.FromMilliseconds(_gate.SizeMs):c} window closed", t.Late, $"watermark: newest event time - {e.MaxOutOfOrderness:c}{late}"));
        stages.Add(new("output", "each on-time record", t.Valid, "the record as JSON, fields by name"));
        foreach (var a in Aggregates)
        {
            var by = a.Spec.GroupBy.Count == 0 ? "all records" : $"by {string.Join(", ", a.Spec.GroupBy)}";
            stages.Add(a.TimeWindows is { } w
                ? new(w.IsTumbling ? "tumbling window" : "hopping window",
                    $"{a.Name}: {TimeSpan.FromMilliseconds(w.SizeMs):c}" + (w.IsTumbling ? "" : $" every {TimeSpan.FromMilliseconds(w.AdvanceMs):c}"),
                    t.Aggregated, $"{by}: {a.MeasuresText}")
                : new("session window", $"{a.Name}: gap {TimeSpan.FromMilliseconds(a.SessionWindows!.GapMs):c}", t.Aggregated,
                    $"{by}, window = [first record, last record + gap), at most {_limits.MaxOpenSessions:N0} open per partition: {a.MeasuresText}"));
        }
        return stages;
    }

    public TaskTopology Build(TaskId taskId)
    {
        var t = Topics;
        var b = new TaskTopologyBuilder();

        var validSink = b.Add(new SinkProcessor<string, DomainRecord>(t.Valid));
        var lateSink = b.Add(new SinkProcessor<string, LateRecord<DomainRecord>>(t.Late));
        var aggregatedSink = b.Add(new SinkProcessor<AggregateRowKey, AggregateRow>(t.Aggregated));
        var lateByRecordKey = b.Add(new DomainLateRouter(lateSink));

        var children = new List<IProcessor<string, DomainRecord>> { validSink };
        foreach (var a in Aggregates)
        {
            var emitter = b.Add(new DomainRowEmitter<DomainRecord>(a, aggregatedSink));
            var aggregator = new DomainAggregator<DomainRecord>(a);
            IProcessor<string, DomainRecord> op = a.TimeWindows is { } windows
                ? b.Add(new WindowAggregateProcessor<string, DomainRecord, DomainAccumulator, DomainAccumulator, DomainAggregator<DomainRecord>>(
                    a.Name, windows, aggregator,
                    b.Store(new WindowStore<string, DomainAccumulator>(a.Name, _limits.MaxWindowEntries, StringComparer.Ordinal, valueSerde: a.Serde)),
                    emitter, lateByRecordKey, comparer: StringComparer.Ordinal))
                : b.Add(new SessionWindowProcessor<string, DomainRecord, DomainAccumulator, DomainAccumulator, DomainAggregator<DomainRecord>>(
                    a.Name, a.SessionWindows!, aggregator,
                    b.Store(new SessionStore<string, SessionState<DomainAccumulator>>(
                        a.Name, _limits.MaxOpenSessions, StringComparer.Ordinal, valueSerde: new SessionStateSerde<DomainAccumulator>(a.Serde))),
                    emitter, lateByRecordKey));
            children.Add(b.Add(new SelectKeyProcessor<string, string, DomainRecord>(a.GroupKey, op)));
        }

        IProcessor<string, DomainRecord> next = children.Count == 1 ? validSink : b.Add(new FanOutProcessor<string, DomainRecord>([.. children]));
        if (_gate is not null) next = b.Add(new LateEventFilter<string, DomainRecord>(_gateName, _gate, next, lateSink));
        if (Schema.IdIndex >= 0)
        {
            b.Store(new EventIdStore(DedupStore, Schema.Event.DedupHorizon, _limits.DedupMaxEntries));
            next = b.Add(new DomainDedupProcessor(DedupStore, Schema.TextOf(Schema.IdIndex), next));
        }
        var validate = b.Add(new ValidateProcessor<DomainRecord>(Rules, r => r.Timestamp, next));
        return b.Build(b.Add(new DomainDecodeProcessor(new DomainRecordDecoder(Schema, _schemas is null ? null : new DomainRecordAvro(Schema, _schemas)), validate)));
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
