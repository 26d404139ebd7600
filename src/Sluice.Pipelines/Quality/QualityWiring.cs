using Sluice.Core.Events;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Quality.Alerts;
using Sluice.Streaming.Errors;
using Sluice.Streaming.Processing;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;

namespace Sluice.Pipelines.Quality;

/// <summary>One task's quality measurement: the window operator, its emitter and output, and the probe and taps placed in the clickstream topology.</summary>
/// <remarks>
/// Each method wraps the processor at one point of the topology and returns what to wire in its place. With quality
/// off (<c>quality.enabled: false</c>) every method returns its argument, so the topology (and its snapshot shape) is
/// the same as without this class.
/// </remarks>
public sealed class QualityWiring
{
    /// <summary>The name of the quality window operator and of its window store.</summary>
    public const string WindowName = "quality";

    /// <summary>The store of records in per window start that volume baselines are read from.</summary>
    public const string VolumeStoreName = "quality_volume";

    private readonly QualityProbe? _probe;
    private readonly TaskTopologyBuilder? _builder;

    private QualityWiring(QualityProbe? probe, TaskTopologyBuilder? builder)
    {
        _probe = probe;
        _builder = builder;
    }

    /// <summary>Registers the quality operator, its stores and its output with <paramref name="b"/>, when <c>quality.enabled</c>.</summary>
    public static QualityWiring Create(TaskTopologyBuilder b, ClickstreamOptions o, IQualityAlertSink? alerts)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(o);
        var q = o.Quality;
        if (!q.Enabled) return new QualityWiring(null, null);
        var required = q.RequiredFieldList;
        var sink = b.Add(new SinkProcessor<QualityRowKey, QualityRow>(q.Topic));
        b.Store(QualityEmitter.VolumeStore(VolumeStoreName, q.Window, q.VolumeHistory));
        var emitter = b.Add(new QualityEmitter(VolumeStoreName, q.Window, q.VolumeHistory, [.. required.Select(QualityFields.IndexOf)],
            new QualityChecks(q.Thresholds, required), alerts, sink));
        var window = b.Add(new WindowAggregateProcessor<int, QualityObservation, QualityAggregator.Acc, QualityAggregator.Acc, QualityAggregator>(
            WindowName, TumblingWindows.Of(q.Window).WithAllowedLateness(o.AllowedLateness), new QualityAggregator(),
            b.Store(new WindowStore<int, QualityAggregator.Acc>(WindowName, o.MaxWindowEntries, valueSerde: QualitySerdes.Counts)),
            emitter, b.Add(new Unreachable())));
        return new QualityWiring(new QualityProbe(window, q.Window, o.AllowedLateness, ClickstreamRules.MaxFutureSkew(o.Domain)) { InputTopic = o.InputTopic }, b);
    }

    /// <summary>The topology's source: the probe in front of the decoder.</summary>
    public IProcessor<byte[]?, byte[]> Source(IProcessor<byte[]?, byte[]> decoder) =>
        _probe is null ? decoder : _builder!.Add(_probe.Around(decoder));

    /// <summary>After decoding, in front of validation: a dead letter from here on has the event's own time, when it is usable.</summary>
    public IProcessor<string, ClickEvent> Decoded(IProcessor<string, ClickEvent> validate) => Tap(null, validate);

    /// <summary>In front of deduplication: the record is valid.</summary>
    public IProcessor<string, ClickEvent> Valid(IProcessor<string, ClickEvent> dedup) => Tap(QualityOutcome.Duplicate, dedup);

    /// <summary>After deduplication: the event is new (and accepted, unless a bot or late).</summary>
    public IProcessor<string, ClickEvent> Unique(IProcessor<string, ClickEvent> botFilter) => Tap(QualityOutcome.Accepted, botFilter);

    /// <summary>In front of the bots output.</summary>
    public IProcessor<string, ClickEvent> Bots(IProcessor<string, ClickEvent> botsSink) => Tap(QualityOutcome.Bot, botsSink);

    /// <summary>In front of the late gate's late output (not the window operators': an event late for a session is still accepted).</summary>
    public IProcessor<string, LateRecord<EnrichedEvent>> Late(IProcessor<string, LateRecord<EnrichedEvent>> lateSink) => Tap(QualityOutcome.Late, lateSink);

    private IProcessor<string, T> Tap<T>(QualityOutcome? outcome, IProcessor<string, T> next) =>
        _probe is null ? next : _builder!.Add(new QualityTap<T>(_probe, outcome, next));

    // The probe moves a record whose window has closed into the open window holding the watermark, so the operator finds
    // none late; only windows closed early at the store's entry limit could. Those are counted in late_events.quality.
    private sealed class Unreachable : IProcessor<int, LateRecord<QualityObservation>>
    {
        public void Init(IProcessorContext context)
        {
        }

        public void Process(in Record<int, LateRecord<QualityObservation>> record)
        {
        }

        public void Close()
        {
        }
    }
}
